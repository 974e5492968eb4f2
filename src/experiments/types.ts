/**
 * The experiment contract shared by the CLI, the tour and the report.
 * An experiment trains something, writes its artefacts into `outDir` and returns its numbers.
 */

/** A progress report: `done` of `total` units (steps, epochs), with optional live numbers. */
export interface ProgressEvent {
  done: number;
  total: number;
  /** What is being counted ("epoch", "step"). */
  unit?: string;
  /** Live scalars to show next to the bar (e.g. the current loss). */
  metrics?: Record<string, number>;
}

/** Options every experiment's `run` receives. */
export interface ExperimentOptions {
  /** Small, fast form (a few seconds) used by tests and the tour. */
  quick: boolean;
  /** Seed for parameters and data. */
  seed: number;
  /** Folder to write `results.json`, `checkpoint.safetensors` and SVG plots into (created). */
  outDir: string;
  /** Called as training progresses. */
  onProgress: (e: ProgressEvent) => void;
  /** Human-readable messages (the CLI sends them to stderr under --json). */
  log: (msg: string) => void;
  /** Which data set to use, for experiments that offer more than one (`--data`; default: the first). */
  data?: string;
}

/** A JSON value (results may nest, e.g. `{ baseline: { testLoss }, hnn: { testLoss } }`). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

/** The numbers an experiment returns (also written to `results.json`). */
export type ExperimentResults = { [k: string]: JsonValue };

/** Flattens nested results to `[dotted.key, scalar]` rows for tables (arrays index as `key.0`). */
export function flattenResults(results: JsonValue, prefix = ""): [string, string | number | boolean | null][] {
  if (results === null || typeof results !== "object") return [[prefix, results]];
  const entries = Array.isArray(results) ? results.map((v, i) => [String(i), v] as const) : Object.entries(results);
  return entries.flatMap(([k, v]) => flattenResults(v, prefix === "" ? k : `${prefix}.${k}`));
}

/** One registered experiment. */
export interface Experiment {
  name: string;
  /** One line: what it trains and what it shows. */
  description: string;
  /** Data sets `--data` accepts (the first is the default); absent: the option is refused. */
  dataSets?: string[];
  run(opts: ExperimentOptions): Promise<ExperimentResults>;
}
