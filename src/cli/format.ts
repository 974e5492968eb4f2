/** Plain-text helpers of the CLI: option parsers, paths, numbers and aligned tables. */
import { constants } from "node:fs";
import * as fsp from "node:fs/promises";
import { dirname, relative, resolve } from "node:path";
import { ConfigError } from "../core/errors.js";
import { InvalidArgumentError } from "commander";
import { flattenResults, type ExperimentResults } from "../experiments/types.js";

/** Where the CLI writes: injectable for tests. */
export interface CliIO {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** A parser made by `parseIntArg` carries its bounds, so tests can walk every numeric option. */
export interface IntArgParser {
  (v: string): number;
  intOption: { name: string; min: number };
}

/**
 * A commander argument parser for an integer option ≥ `min`: decimal digits only (no "", "1e3",
 * "0x10", "1.5", "NaN" or a sign other than +), and a safe integer.
 */
export function parseIntArg(name: string, min: number): IntArgParser {
  const parse = (v: string): number => {
    const t = v.trim();
    const n = /^\+?\d+$/.test(t) ? Number(t) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min)
      throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}, got ${JSON.stringify(v)}.`);
    return n;
  };
  return Object.assign(parse, { intOption: { name, min } });
}

/** YYYYMMDD-hhmmss, local time: the default run folder's suffix. */
export function timestamp(d = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, "0");
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** `p` relative to the working directory when it lies under it, else absolute. */
export function showPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r === "" ? "." : r.startsWith("..") ? p : r;
}

/** A number as a table cell: integers in full, others to 4 significant digits (exponential outside [1e-3, 1e5)). */
export function fmtValue(v: unknown): string {
  if (typeof v === "number") {
    if (Number.isInteger(v)) return String(v);
    return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 ? v.toPrecision(4) : v.toExponential(3);
  }
  return String(v);
}

/** Formats rows as an aligned plain-text table. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** An experiment's results as a two-column metric/value table (nested keys joined by dots). */
export function resultsTable(results: ExperimentResults): string {
  return formatTable(
    ["metric", "value"],
    flattenResults(results).map(([k, v]) => [k, fmtValue(v)]),
  );
}

/** The file-system calls `outputDir` makes (injectable so tests can simulate a hung mount). */
export interface OutputFs {
  stat(path: string): Promise<{ isDirectory(): boolean }>;
  access(path: string, mode: number): Promise<void>;
  mkdir(path: string, opts: { recursive: true }): Promise<unknown>;
}

const nodeFs: OutputFs = { stat: fsp.stat, access: fsp.access, mkdir: fsp.mkdir };

/** Options of `outputDir`. */
export interface OutputDirOptions {
  /** Longest wait for any one file-system call, in ms (default 10 000: a hung network mount). */
  timeoutMs?: number;
  fs?: OutputFs;
}

/** `p`, or a ConfigError after `ms` when it has not settled (the call itself cannot be cancelled). */
async function within<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ConfigError(what())), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves and creates the output folder of option `flag` (e.g. "--out"), failing with one line
 * that names the option: an empty value, a path through a file, a folder that cannot be
 * written, or a file system that does not answer within `timeoutMs` (checked on every call, so
 * a dead mount is an error, not a hang). The nearest existing ancestor is checked first, so
 * nothing is created where the folder itself could not be.
 */
export async function outputDir(flag: string, value: string, opts: OutputDirOptions = {}): Promise<string> {
  if (value.trim() === "") throw new ConfigError(`${flag} is empty; give a folder to write into`);
  const fs = opts.fs ?? nodeFs;
  const ms = opts.timeoutMs ?? 10_000;
  const hung = (path: string, call: string) => () =>
    `${flag} ${value}: ${call} of ${path} did not answer within ${ms / 1000} s (a hung or unreachable mount?)`;
  const dir = resolve(value);
  let probe = dir;
  for (;;) {
    let st: { isDirectory(): boolean } | undefined;
    try {
      st = await within(fs.stat(probe), ms, hung(probe, "stat"));
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR")
        throw new ConfigError(`${flag} ${value}: cannot use ${probe} (${code})`);
    }
    if (st !== undefined) {
      if (!st.isDirectory())
        throw new ConfigError(
          `${flag} ${value}: ${probe === dir ? "is a file, not a folder" : `${probe} is a file, not a folder`}`,
        );
      try {
        await within(fs.access(probe, constants.W_OK | constants.X_OK), ms, hung(probe, "access"));
      } catch (e) {
        if (e instanceof ConfigError) throw e;
        throw new ConfigError(`${flag} ${value}: ${probe} is not writable`);
      }
      break;
    }
    const up = dirname(probe);
    if (up === probe) break;
    probe = up;
  }
  try {
    await within(fs.mkdir(dir, { recursive: true }), ms, hung(dir, "mkdir"));
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`${flag} ${value}: cannot create the folder (${(e as Error).message})`);
  }
  return dir;
}
