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
  /**
   * The parameters the user set (`--param key=value`, validated against the experiment's
   * `params`); a parameter not set is absent and the experiment uses its default.
   */
  params: Record<string, ParamValue>;
  /** For experiments that run on the user's files (`Experiment.userData`): what `run` was given. */
  userData?: UserData;
}

/** The user's files and columns (`noether run <name> --data FILE.csv --target COL --group FILE [--train N]`). */
export interface UserData {
  /** A CSV file with a header row. */
  data?: string;
  /** The target column. */
  target?: string;
  /** Input columns (default: the group file's, else every column but the target). */
  inputs?: string[];
  /** A group.json from `noether discover`. */
  group?: string;
  /** Rows used for training (the first N; the rest test). */
  train?: number;
}

/** How a parameter's value is written and read: `int-list` and `string-list` are comma-separated. */
export type ParamKind = "int" | "number" | "string" | "int-list" | "string-list";

/** A parameter's value, by kind: int and number → number, string → string, lists → arrays. */
export type ParamValue = number | string | number[] | string[];

/** One parameter an experiment takes (`noether run <name> --param name=value`, listed by `noether describe`). */
export interface ParamSpec {
  name: string;
  /** One line: what it changes. */
  description: string;
  kind: ParamKind;
  /** The default, as printed (the experiment applies it when the parameter is not set). */
  default: string;
  /** Inclusive bounds of a number (of every element of an int-list). */
  min?: number;
  max?: number;
  /** The accepted strings (of every element of a string-list). */
  choices?: string[];
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
  /** Parameters `--param` accepts (plain data, so listing them does not load the experiment); absent: none. */
  params?: ParamSpec[];
  /** Runs on the user's files (--data FILE.csv, --target, --group, --train) rather than built-in data; never in the tour. */
  userData?: boolean;
  run(opts: ExperimentOptions): Promise<ExperimentResults>;
}
