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
}

/** The numbers an experiment returns (also written to `results.json`). */
export type ExperimentResults = Record<string, string | number | boolean | null>;

/** One registered experiment. */
export interface Experiment {
  name: string;
  /** One line: what it trains and what it shows. */
  description: string;
  run(opts: ExperimentOptions): Promise<ExperimentResults>;
}
