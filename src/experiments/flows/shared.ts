/**
 * What the flow experiments share: train a flow by reverse KL with progress and a checkpoint,
 * run the independence Metropolis chain on its proposals, and histogram helpers for the plots.
 */
import { tree, type Array as JArray } from "../../jax.js";
import type { Params } from "../../core/tree.js";
import {
  bufferedDraws,
  essPerSample,
  flowSampler,
  independenceKernel,
  metropolis,
  trainReverseKL,
  type BaseDensity,
  type Flow,
  type MHResult,
} from "../../flows/index.js";
import { hostRng, makeKey } from "../../core/rng.js";
import type { RunOutput } from "../output.js";
import type { ExperimentOptions, JsonValue } from "../types.js";

/** A trained flow's sampling record. */
export interface FlowRun {
  chain: MHResult;
  /** ESS per sample of a fresh batch of importance weights. */
  ess: number;
  /** Reverse-KL losses per step. */
  losses: number[];
  stopReason: string;
  trainSeconds: number;
  sampleSeconds: number;
  paramCount: number;
}

/** Trains `flow` (reverse KL), saves a checkpoint, runs a `chainLength` independence-Metropolis chain on its proposals. */
export async function trainAndSample<P extends Params>(o: {
  name: string;
  flow: Flow<P>;
  base: BaseDensity;
  action: (x: JArray) => JArray;
  dim: number;
  steps: number;
  batch: number;
  lr: number;
  seed: number;
  chainLength: number;
  opts: ExperimentOptions;
  output: RunOutput;
  progress: { offset: number; total: number };
  config: JsonValue;
}): Promise<FlowRun> {
  const t0 = performance.now();
  const params = o.flow.init(makeKey(o.seed));
  const paramCount = (tree.leaves(params) as JArray[]).reduce((a, l) => a + l.size, 0);
  const res = trainReverseKL({
    flow: o.flow,
    base: o.base,
    action: o.action,
    params,
    steps: o.steps,
    batch: o.batch,
    lr: o.lr,
    seed: o.seed + 1,
    clipNorm: 100,
    onStep: (t, loss) =>
      o.opts.onProgress({
        done: o.progress.offset + t,
        total: o.progress.total,
        unit: "steps",
        metrics: { [o.name]: loss },
      }),
  });
  if (res.stopReason !== "completed") o.opts.log(`${o.name}: ${res.message}`);
  const trainSeconds = (performance.now() - t0) / 1000;
  await o.output.saveCheckpoint(`checkpoint-${o.name}.safetensors`, {
    params: res.params,
    optState: res.optState,
    meta: { step: res.steps, epoch: 0, seed: o.seed, config: o.config },
  });
  tree.dispose(res.optState);
  const t1 = performance.now();
  const sampler = flowSampler({ flow: o.flow, base: o.base, action: o.action, params: res.params, seed: o.seed + 2 });
  try {
    const batch = Math.min(1024, o.chainLength);
    const draw = (n: number) => sampler.draw(n);
    const ess = essPerSample(draw(batch).logw);
    const next = bufferedDraws(o.dim, batch, draw);
    const first = next(1);
    const init = new Float64Array(o.dim + 1);
    init.set(first.x);
    init[o.dim] = first.logw[0]!;
    const chain = metropolis(independenceKernel(o.dim, next), init, 1, o.chainLength, hostRng(o.seed + 3));
    return {
      chain,
      ess,
      losses: res.losses,
      stopReason: res.stopReason,
      trainSeconds,
      sampleSeconds: (performance.now() - t1) / 1000,
      paramCount,
    };
  } finally {
    sampler.dispose();
  }
}

/** Histogram of `xs` on `bins` equal bins over [lo, hi]: bin centres and densities (integral 1). */
export function histogram(
  xs: ArrayLike<number>,
  lo: number,
  hi: number,
  bins: number,
): { x: Float64Array; y: Float64Array } {
  const x = new Float64Array(bins);
  const y = new Float64Array(bins);
  const w = (hi - lo) / bins;
  for (let i = 0; i < bins; i++) x[i] = lo + (i + 0.5) * w;
  let n = 0;
  for (let i = 0; i < xs.length; i++) {
    const k = Math.floor((xs[i]! - lo) / w);
    if (k >= 0 && k < bins) y[k]! += 1;
    n++;
  }
  for (let i = 0; i < bins; i++) y[i] = y[i]! / (n * w);
  return { x, y };
}

/** A finite number or null (JSON has no NaN). */
export function num(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}
