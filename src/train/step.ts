/**
 * The jitted training step: one `jit` around loss, gradient, clipping and optimiser update.
 */
import { jit, numpy as np, tree, valueAndGrad, type Array as JArray, type DType } from "../jax.js";
import { ConfigError } from "../core/errors.js";
import type { Params } from "../core/tree.js";
import type { LossFn } from "./losses.js";
import { clipByGlobalNorm, clipByValue, type OptState, type Optimizer, type StepScalars } from "./optim.js";

/** Gradient clipping applied inside the jitted step. */
export interface TrainStepOptions {
  /** Clip gradients to this global L2 norm before the update (PyTorch `clip_grad_norm_`). */
  clipNorm?: number;
  /** Clip each gradient entry to [−clipValue, clipValue] (applied after clipNorm). */
  clipValue?: number;
}

/** What one training step returns (all owned by the caller). */
export interface TrainStepOutput {
  /** Loss at the parameters *before* the update, 0-d. */
  loss: JArray;
  /** Updated parameters. */
  params: Params;
  /** Updated optimiser state. */
  optState: OptState;
  /** Global gradient norm before clipping, 0-d (only when `clipNorm` is set). */
  gradNorm?: JArray;
}

/**
 * A compiled training step: `(params, optState, xb, yb, lr, t) → { loss, params, optState }`,
 * `lr` the learning rate and `t` the 1-based step count (both JS numbers, turned into 0-d
 * arrays on the host). Consumes params, optState, xb and yb. Call `dispose()` when done.
 */
export type TrainStep = ((
  params: Params,
  optState: OptState,
  xb: JArray,
  yb: JArray,
  lr: number,
  t: number,
) => TrainStepOutput) & {
  dispose(): void;
};

function leafDtype(params: Params): DType {
  const first = tree.leaves(params)[0] as JArray | undefined;
  return first === undefined ? np.float32 : first.dtype;
}

/**
 * Builds the jitted step for `lossFn(params, xb, yb) → 0-d` and `optimizer`: one compiled
 * function computes loss and gradient, clips, and applies the update (retraced only when
 * shapes change, e.g. for a last partial batch).
 * @example
 * const step = makeTrainStep(modelLoss(net, mse), adam());
 * const out = step(params, optState, xb, yb, 1e-3, 1); params = out.params; optState = out.optState;
 * console.log(out.loss.item());
 */
export function makeTrainStep<P extends Params>(
  lossFn: LossFn<P>,
  optimizer: Optimizer,
  opts: TrainStepOptions = {},
): TrainStep {
  const { clipNorm, clipValue } = opts;
  if (clipNorm !== undefined && !(clipNorm > 0))
    throw new ConfigError(`makeTrainStep: clipNorm must be > 0, got ${clipNorm}`);
  if (clipValue !== undefined && !(clipValue > 0))
    throw new ConfigError(`makeTrainStep: clipValue must be > 0, got ${clipValue}`);
  const inner = jit((params: Params, optState: OptState, xb: JArray, yb: JArray, h: StepScalars) => {
    const [loss, g0] = valueAndGrad((p: Params) => lossFn(p as P, xb, yb))(tree.ref(params));
    let grads = g0 as Params;
    let gradNorm: JArray | undefined;
    if (clipNorm !== undefined) [grads, gradNorm] = clipByGlobalNorm(grads, clipNorm);
    if (clipValue !== undefined) grads = clipByValue(grads, clipValue);
    const [newParams, newState] = optimizer.update(grads, optState, params, h);
    const out: { loss: JArray; params: Params; optState: OptState; gradNorm?: JArray } = {
      loss,
      params: newParams,
      optState: newState,
    };
    if (gradNorm !== undefined) out.gradNorm = gradNorm;
    return out;
  });
  const step = (params: Params, optState: OptState, xb: JArray, yb: JArray, lr: number, t: number): TrainStepOutput => {
    const dtype = leafDtype(params);
    const hostScalars = optimizer.hyper(lr, t);
    const h: StepScalars = {};
    for (const [k, v] of Object.entries(hostScalars)) h[k] = np.array(v, { dtype });
    return inner(params, optState, xb, yb, h) as TrainStepOutput;
  };
  return Object.assign(step, { dispose: () => inner.dispose() });
}
