/**
 * What the graph experiments share: a minibatch training loop over prebuilt batches (trees of
 * arrays) with one jitted step (`makeTreeTrainStep`), the loss read every step, progress
 * reported as steps.
 */
import { tree, type Array as JArray, type JsTree } from "../../jax.js";
import { NonFiniteError } from "../../core/errors.js";
import { hostRng, permutation } from "../../core/rng.js";
import type { Params } from "../../core/tree.js";
import { makeTreeTrainStep } from "../../layers/graph/train.js";
import type { Optimizer } from "../../train/optim.js";
import type { ProgressEvent } from "../types.js";

/** Options of `trainBatches`. */
export interface TrainLoopOptions<P extends Params, B extends JsTree<JArray>> {
  name: string;
  params: P;
  /** Batches (borrowed; each step takes a `tree.ref`). */
  batches: B[];
  /** One key per batch: batches with the same key share a compiled step (same layout). */
  layoutKey?: (i: number) => string;
  lossFn: (params: P, batch: B) => JArray;
  optimizer: Optimizer;
  lr: number | ((step: number, total: number) => number);
  epochs: number;
  seed: number;
  onProgress: (e: ProgressEvent) => void;
  /** Steps done before this loop and the total across loops (one bar for several models). */
  offset?: number;
  total?: number;
  /** Called after every epoch with the current params (borrowed); returns numbers to record. */
  onEpoch?: (epoch: number, params: P) => Record<string, number>;
}

/** Trains for `epochs` passes over the batches in a seeded random order; returns params and the per-epoch records. */
export async function trainBatches<P extends Params, B extends JsTree<JArray>>(
  o: TrainLoopOptions<P, B>,
): Promise<{ params: P; history: Record<string, number>[]; steps: number; seconds: number }> {
  const t0 = performance.now();
  const steps = new Map<string, ReturnType<typeof makeTreeTrainStep<P, B>>>();
  const stepFor = (i: number) => {
    const k = o.layoutKey?.(i) ?? "";
    let s = steps.get(k);
    if (!s) {
      s = makeTreeTrainStep<P, B>(o.lossFn, o.optimizer);
      steps.set(k, s);
    }
    return s;
  };
  let params = o.params;
  let optState = o.optimizer.init(params);
  const rng = hostRng(o.seed);
  const total = o.epochs * o.batches.length;
  const history: Record<string, number>[] = [];
  let t = 0;
  try {
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      let sum = 0;
      for (const i of permutation(o.batches.length, rng)) {
        t++;
        const lr = typeof o.lr === "number" ? o.lr : o.lr(t, total);
        const out = stepFor(i)(params, optState, tree.ref(o.batches[i]!) as B, lr, t);
        params = out.params;
        optState = out.optState;
        const loss = (await out.loss.data())[0]!;
        if (!Number.isFinite(loss))
          throw new NonFiniteError(
            `${o.name}: loss became ${loss} at step ${t} (epoch ${epoch}); lower the learning rate`,
          );
        sum += loss;
        o.onProgress({
          done: (o.offset ?? 0) + t,
          total: o.total ?? total,
          unit: "steps",
          metrics: { [`${o.name} loss`]: loss },
        });
      }
      const rec = { epoch, trainLoss: sum / o.batches.length, ...(o.onEpoch?.(epoch, params) ?? {}) };
      history.push(rec);
    }
  } catch (e) {
    tree.dispose(params);
    throw e;
  } finally {
    tree.dispose(optState);
    for (const s of steps.values()) s.dispose();
  }
  return { params, history, steps: t, seconds: (performance.now() - t0) / 1000 };
}

/** A cosine decay from lr to lr/100 over the run. */
export function cosineLr(lr: number): (step: number, total: number) => number {
  return (step, total) => lr * (0.01 + 0.99 * 0.5 * (1 + Math.cos((Math.PI * (step - 1)) / Math.max(1, total - 1))));
}
