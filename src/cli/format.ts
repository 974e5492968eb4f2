/** Plain-text helpers of the CLI: option parsers, paths, numbers and aligned tables. */
import { accessSync, constants, mkdirSync, statSync } from "node:fs";
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

/**
 * Resolves and creates the output folder of option `flag` (e.g. "--out"), failing with one line
 * that names the option: an empty value, a path through a file, or a folder that cannot be
 * written. The nearest existing ancestor is checked first, so nothing is created where the
 * folder itself could not be.
 */
export function outputDir(flag: string, value: string): string {
  if (value.trim() === "") throw new ConfigError(`${flag} is empty; give a folder to write into`);
  const dir = resolve(value);
  let probe = dir;
  for (;;) {
    let st: ReturnType<typeof statSync> | undefined;
    try {
      st = statSync(probe);
    } catch (e) {
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
        accessSync(probe, constants.W_OK | constants.X_OK);
      } catch {
        throw new ConfigError(`${flag} ${value}: ${probe} is not writable`);
      }
      break;
    }
    const up = dirname(probe);
    if (up === probe) break;
    probe = up;
  }
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new ConfigError(`${flag} ${value}: cannot create the folder (${(e as Error).message})`);
  }
  return dir;
}
