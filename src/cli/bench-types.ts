/**
 * The benchmark contract between the CLI and the benchmark registry in `bench/` (which lives
 * outside `src/` and is only present in a source checkout).
 */
import type { ProgressEvent } from "../experiments/types.js";

/** Options every benchmark's `run` receives. */
export interface BenchOptions {
  /** Timed steps (each benchmark has its default). */
  steps?: number;
  /** Untimed warm-up steps (each benchmark has its default). */
  warmup?: number;
  /** Also run the reference implementation (PyTorch) where it is available. */
  reference: boolean;
  /** Threads for the reference implementation (default: the machine's CPU cores). */
  referenceThreads?: number;
  onProgress: (e: ProgressEvent) => void;
  log: (msg: string) => void;
}

/** A reference implementation's timing. */
export interface BenchReference {
  impl: string;
  msPerStep: number;
}

/** What `noether bench <name> --json` prints (one object; `bench all --json`: an array of them). */
export interface BenchResult {
  name: string;
  msPerStep: number;
  reference: BenchReference | null;
  /** ours / reference; null without a reference. */
  ratio: number | null;
}

/** A benchmark's full outcome: the JSON fields plus human-readable details. */
export interface BenchOutcome extends BenchResult {
  /** Extra lines for the human-readable output (configuration, why no reference, …). */
  notes: string[];
}

/** One registered benchmark. */
export interface Benchmark {
  name: string;
  /** One line: what one "step" is. */
  description: string;
  run(opts: BenchOptions): Promise<BenchOutcome>;
}
