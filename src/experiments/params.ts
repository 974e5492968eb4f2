/**
 * Experiment parameters: `--param key=value` strings parsed and checked against an experiment's
 * `ParamSpec`s, the same check for values handed over in code, and typed reads with a default.
 * Light (no engine import): the CLI validates before any experiment module is loaded.
 */
import { ConfigError } from "../core/errors.js";
import type { ParamSpec, ParamValue } from "./types.js";

/** " in [min, max]", " ≥ min", " ≤ max" or "". */
function rangeText(spec: ParamSpec): string {
  if (spec.min !== undefined && spec.max !== undefined) return ` in [${spec.min}, ${spec.max}]`;
  if (spec.min !== undefined) return ` ≥ ${spec.min}`;
  return spec.max !== undefined ? ` ≤ ${spec.max}` : "";
}

/** What a spec accepts, in words: "an integer ≥ 1", "one of projected, basis", "a comma-separated list of …". */
export function describeKind(spec: ParamSpec): string {
  const range = rangeText(spec);
  const choices = spec.choices ? `one of ${spec.choices.join(", ")}` : "a string";
  switch (spec.kind) {
    case "int":
      return `an integer${range}`;
    case "number":
      return `a number${range}`;
    case "string":
      return choices;
    case "int-list":
      return `a comma-separated list of integers${range}`;
    case "string-list":
      return `a comma-separated list, each ${choices}`;
  }
}

/** The kind as one short cell of the `describe` table: "int ≥ 1", "string-list: mlp|mlp-aug|emlp". */
export function kindCell(spec: ParamSpec): string {
  return spec.choices ? `${spec.kind}: ${spec.choices.join("|")}` : `${spec.kind}${rangeText(spec)}`;
}

function numberOk(spec: ParamSpec, v: number, integer: boolean): boolean {
  if (!Number.isFinite(v) || (integer && !Number.isInteger(v))) return false;
  return (spec.min === undefined || v >= spec.min) && (spec.max === undefined || v <= spec.max);
}

function stringOk(spec: ParamSpec, v: string): boolean {
  return v !== "" && (spec.choices === undefined || spec.choices.includes(v));
}

/** Whether `value` is a valid value of `spec` (its kind, range and choices). */
export function validValue(spec: ParamSpec, value: unknown): value is ParamValue {
  switch (spec.kind) {
    case "int":
    case "number":
      return typeof value === "number" && numberOk(spec, value, spec.kind === "int");
    case "string":
      return typeof value === "string" && stringOk(spec, value);
    case "int-list":
      return (
        Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "number" && numberOk(spec, v, true))
      );
    case "string-list":
      return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string" && stringOk(spec, v));
  }
}

const INT = /^[+-]?\d+$/;

function parseNumber(s: string, integer: boolean): number {
  const t = s.trim();
  if (integer ? !INT.test(t) : t === "") return Number.NaN;
  return Number(t);
}

/** Parses the text of one value by its spec; undefined when it does not parse or is out of range. */
export function parseValue(spec: ParamSpec, text: string): ParamValue | undefined {
  let v: ParamValue;
  switch (spec.kind) {
    case "int":
    case "number":
      v = parseNumber(text, spec.kind === "int");
      break;
    case "string":
      v = text.trim();
      break;
    case "int-list":
      v = text.split(",").map((s) => parseNumber(s, true));
      break;
    case "string-list":
      v = text.split(",").map((s) => s.trim());
      break;
  }
  return validValue(spec, v) ? v : undefined;
}

function paramNames(specs: readonly ParamSpec[]): string {
  return specs.map((s) => s.name).join(", ");
}

/**
 * Parses `--param key=value` arguments against an experiment's specs. Throws a ConfigError with
 * one line naming what is wrong: a malformed argument, an unknown or repeated name (listing the
 * experiment's parameters), or a value that is not of the expected kind, range or choices.
 */
export function parseParamArgs(
  experiment: string,
  specs: readonly ParamSpec[] | undefined,
  args: readonly string[],
): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  if (args.length === 0) return out;
  if (specs === undefined || specs.length === 0)
    throw new ConfigError(`${experiment} takes no --param (it has no parameters); got ${JSON.stringify(args[0])}`);
  for (const arg of args) {
    const eq = arg.indexOf("=");
    if (eq <= 0)
      throw new ConfigError(
        `--param expects key=value, got ${JSON.stringify(arg)}; ${experiment}'s parameters: ${paramNames(specs)}`,
      );
    const name = arg.slice(0, eq).trim();
    const text = arg.slice(eq + 1);
    const spec = specs.find((s) => s.name === name);
    if (spec === undefined)
      throw new ConfigError(
        `${experiment} has no parameter ${JSON.stringify(name)}; its parameters: ${paramNames(specs)}`,
      );
    if (name in out) throw new ConfigError(`--param ${name} is given more than once`);
    const v = parseValue(spec, text);
    if (v === undefined)
      throw new ConfigError(`--param ${name} must be ${describeKind(spec)}, got ${JSON.stringify(text)}`);
    out[name] = v;
  }
  return out;
}

/** Checks parameter values handed over in code (`opts.params`) against the specs; throws a ConfigError naming the first bad one. */
export function checkParams(
  experiment: string,
  specs: readonly ParamSpec[] | undefined,
  params: Record<string, unknown> | undefined,
): void {
  for (const [name, value] of Object.entries(params ?? {})) {
    const spec = specs?.find((s) => s.name === name);
    if (spec === undefined) {
      throw new ConfigError(
        specs === undefined || specs.length === 0
          ? `${experiment} takes no parameters; got ${JSON.stringify(name)}`
          : `${experiment} has no parameter ${JSON.stringify(name)}; its parameters: ${paramNames(specs)}`,
      );
    }
    if (!validValue(spec, value))
      throw new ConfigError(
        `${experiment}: parameter ${name} must be ${describeKind(spec)}, got ${JSON.stringify(value)}`,
      );
  }
}

function read<T>(
  params: Record<string, ParamValue>,
  name: string,
  ok: (v: ParamValue) => boolean,
  what: string,
): T | undefined {
  const v = params[name];
  if (v === undefined) return undefined;
  if (!ok(v)) throw new ConfigError(`parameter ${name} must be ${what}, got ${JSON.stringify(v)}`);
  return v as T;
}

/** The number parameter `name` if set (a ConfigError if it is not a finite number). */
export function numberParam(params: Record<string, ParamValue>, name: string): number | undefined {
  return read<number>(params, name, (v) => typeof v === "number" && Number.isFinite(v), "a number");
}

/** The int parameter `name` if set (a ConfigError if it is not an integer). */
export function intParam(params: Record<string, ParamValue>, name: string): number | undefined {
  return read<number>(params, name, (v) => Number.isInteger(v), "an integer");
}

/** The string parameter `name` if set. */
export function stringParam<S extends string = string>(
  params: Record<string, ParamValue>,
  name: string,
): S | undefined {
  return read<S>(params, name, (v) => typeof v === "string", "a string");
}

/** The int-list parameter `name` if set. */
export function intListParam(params: Record<string, ParamValue>, name: string): number[] | undefined {
  return read<number[]>(
    params,
    name,
    (v) => Array.isArray(v) && v.every((x) => Number.isInteger(x)),
    "a list of integers",
  );
}

/** The string-list parameter `name` if set. */
export function stringListParam<S extends string = string>(
  params: Record<string, ParamValue>,
  name: string,
): S[] | undefined {
  return read<S[]>(params, name, (v) => Array.isArray(v) && v.every((x) => typeof x === "string"), "a list of strings");
}
