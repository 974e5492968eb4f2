/**
 * The one way an experiment writes into its output folder (Node only): plots and other files,
 * `results.partial.json` while a long run goes on, `results.json` at the end (the partial file
 * removed), checkpoints; and the adapter from `fit`'s per-step progress to the CLI's bar.
 *
 * Conventions every experiment follows: `results.json` holds what `run` returns; the paper's
 * numbers beside ours sit under one key, `paper` (with a `source`), where the paper has numbers.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { saveCheckpoint } from "../node/checkpoint-file.js";
import type { CheckpointState } from "../train/checkpoint.js";
import type { FitOptions, ProgressInfo } from "../train/fit.js";
import type { ExperimentResults, JsonValue, ProgressEvent } from "./types.js";

/** Writer for one run's folder (see `runOutput`). */
export interface RunOutput {
  /** The folder. */
  dir: string;
  /** Writes `text` to `<dir>/<name>` (e.g. an SVG). */
  write(name: string, text: string): void;
  /** Writes `<dir>/results.partial.json`: what is done so far of a long run. */
  partial(results: JsonValue): void;
  /** Writes `<dir>/results.json`, removes `results.partial.json`, and returns `results`. */
  results(results: ExperimentResults): ExperimentResults;
  /** `fit`'s checkpoint option: write `<dir>/<file>` every `every` epochs (and at the end). */
  checkpoint(file: string, every: number): NonNullable<FitOptions["checkpoint"]>;
  /** Saves a checkpoint to `<dir>/<file>` atomically (arrays borrowed). */
  saveCheckpoint(file: string, state: CheckpointState): Promise<void>;
}

/** The writer for `outDir` (created if missing). */
export function runOutput(outDir: string): RunOutput {
  mkdirSync(outDir, { recursive: true });
  const json = (v: JsonValue) => `${JSON.stringify(v, null, 2)}\n`;
  return {
    dir: outDir,
    write: (name, text) => writeFileSync(join(outDir, name), text),
    partial: (results) => writeFileSync(join(outDir, "results.partial.json"), json(results)),
    results: (results) => {
      writeFileSync(join(outDir, "results.json"), json(results));
      rmSync(join(outDir, "results.partial.json"), { force: true });
      return results;
    },
    checkpoint: (file, every) => ({ every, save: (state) => saveCheckpoint(join(outDir, file), state) }),
    saveCheckpoint: (file, state) => saveCheckpoint(join(outDir, file), state),
  };
}

/**
 * `fit`'s onProgress → the experiment's: every step (not the extra call at an epoch's end) as
 * `offset + step` of `total` steps (default: this fit's own count) with the given live metrics.
 * Several fits in a row share one bar by passing the steps done before as `offset`.
 */
export function stepProgress(
  onProgress: (e: ProgressEvent) => void,
  o: { metrics: (p: ProgressInfo) => Record<string, number>; offset?: number; total?: number },
): (p: ProgressInfo) => void {
  return (p) => {
    if (p.epochEnd) return;
    onProgress({
      done: (o.offset ?? 0) + p.step,
      total: o.total ?? p.totalSteps,
      unit: "steps",
      metrics: o.metrics(p),
    });
  };
}
