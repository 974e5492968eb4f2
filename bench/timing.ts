/**
 * The timing loop shared by the training-step benchmarks: a jitted step (`makeTrainStep`),
 * `warmup` untimed steps (compilation), then `steps` timed ones; the loss is read every step
 * (so the step really ran and memory stays flat). Consumes params, x and y; disposes the step.
 */
import { tree, type Array as JArray } from "../src/jax.js";
import type { Params } from "../src/core/tree.js";
import type { LossFn } from "../src/train/losses.js";
import type { Optimizer } from "../src/train/optim.js";
import { makeTrainStep } from "../src/train/step.js";
import { median } from "./python.js";

/** Median ms per step and the last loss; throws if the loss is not finite. */
export async function timeTrainSteps<P extends Params>(
  name: string,
  o: {
    lossFn: LossFn<P>;
    optimizer: Optimizer;
    params: P;
    x: JArray;
    y: JArray;
    lr: number;
    steps: number;
    warmup: number;
    onStep?: (t: number, total: number, loss: number) => void;
  },
): Promise<{ ms: number; loss: number }> {
  const step = makeTrainStep(o.lossFn, o.optimizer);
  let params: Params = o.params;
  let optState = o.optimizer.init(params);
  const times: number[] = [];
  let loss = NaN;
  const total = o.warmup + o.steps;
  try {
    for (let t = 1; t <= total; t++) {
      const t0 = performance.now();
      const out = step(params, optState, o.x.ref, o.y.ref, o.lr, t);
      loss = (await out.loss.data())[0]!;
      params = out.params;
      optState = out.optState;
      if (t > o.warmup) times.push(performance.now() - t0);
      o.onStep?.(t, total, loss);
    }
  } finally {
    tree.dispose([params, optState]);
    o.x.dispose();
    o.y.dispose();
    step.dispose();
  }
  if (!Number.isFinite(loss)) throw new Error(`${name}: loss became ${loss}`);
  return { ms: median(times), loss };
}
