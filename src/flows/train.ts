/**
 * Training a flow toward an unnormalised target p(x) ∝ e^{−S(x)} by the reverse
 * Kullback–Leibler divergence (no data: samples come from the flow itself):
 *
 *   KL(q‖p) + log Z = E_{z∼r} [ log r(z) − log|det ∂f/∂z| + S(f(z)) ],
 *
 * one `jit` around loss, gradient and optimiser update (`makeTrainStep`), base samples drawn on
 * the host from a seeded generator, and the loss read every step. A non-finite loss stops the
 * run and returns the last good parameters (those at which the loss was last finite), as `fit`
 * does. `flowSampler` draws samples with their log importance weights log w = −S(x) − log q(x).
 */
import { jit, numpy as np, tree, type Array as JArray } from "../jax.js";
import { ConfigError, NonFiniteError } from "../core/errors.js";
import { fromHost, toFloat64 } from "../core/host.js";
import { hostRng } from "../core/rng.js";
import type { Params } from "../core/tree.js";
import { adam, type OptState, type Optimizer } from "../train/optim.js";
import { makeTrainStep } from "../train/step.js";
import type { BaseDensity, Flow } from "./bijector.js";

/** Reverse-KL loss of a batch of base samples z [B, ...event]: mean(log r(z) − logDet + S(f(z))). Consumes params and z. */
export function reverseKL<P extends Params>(
  flow: Flow<P>,
  base: BaseDensity,
  action: (x: JArray) => JArray,
  params: P,
  z: JArray,
): JArray {
  const lr = base.logProb(z.ref);
  const [x, ld] = flow.forward(params, z);
  return lr.sub(ld).add(action(x)).mean();
}

/** Options of `trainReverseKL`. */
export interface ReverseKLOptions<P extends Params> {
  flow: Flow<P>;
  base: BaseDensity;
  /** S(x) per sample [B] (consumes x). */
  action: (x: JArray) => JArray;
  /** Initial parameters (consumed). */
  params: P;
  steps: number;
  batch: number;
  /** Learning rate (default 1e-3) and optimiser (default Adam). */
  lr?: number;
  optimizer?: Optimizer;
  /** Clip gradients to this global norm (default none). */
  clipNorm?: number;
  /** Host seed of the base samples. */
  seed: number;
  dtype?: "float32" | "float64";
  /** Called after each step with the step's loss (read on the host). */
  onStep?: (step: number, loss: number) => void;
}

/** What `trainReverseKL` returns (params and optState owned by the caller). */
export interface ReverseKLResult<P extends Params> {
  params: P;
  optState: OptState;
  /** Loss per completed step. */
  losses: number[];
  /** Updates contained in `params`. */
  steps: number;
  stopReason: "completed" | "non-finite";
  message?: string;
}

/** Trains `flow` by reverse KL (see the module comment). */
export function trainReverseKL<P extends Params>(o: ReverseKLOptions<P>): ReverseKLResult<P> {
  if (!(Number.isInteger(o.steps) && o.steps >= 1))
    throw new ConfigError(`trainReverseKL: steps must be a positive integer, got ${o.steps}`);
  if (!(Number.isInteger(o.batch) && o.batch >= 1))
    throw new ConfigError(`trainReverseKL: batch must be a positive integer, got ${o.batch}`);
  const optimizer = o.optimizer ?? adam();
  const lrv = o.lr ?? 1e-3;
  const dtype = o.dtype ?? "float32";
  const step = makeTrainStep<P>(
    (p, z, dummy) => {
      dummy.dispose();
      return reverseKL(o.flow, o.base, o.action, p, z);
    },
    optimizer,
    o.clipNorm !== undefined ? { clipNorm: o.clipNorm } : {},
  );
  const rng = hostRng(o.seed);
  let params: Params = o.params;
  let optState = optimizer.init(params);
  let good: { params: Params; optState: OptState } | null = null;
  const losses: number[] = [];
  try {
    for (let t = 1; t <= o.steps; t++) {
      const z = o.base.sample(o.batch, rng, { dtype });
      const keep = { params: tree.ref(params), optState: tree.ref(optState) };
      const out = step(params, optState, z, fromHost([0], [1], { dtype }), lrv, t);
      const loss = out.loss.item() as number;
      if (!Number.isFinite(loss)) {
        tree.dispose([out.params, out.optState, keep.params, keep.optState]);
        if (good === null) {
          throw new NonFiniteError(
            `trainReverseKL: the loss at step 1 is ${loss} at the initial parameters; nothing to keep`,
          );
        }
        return {
          params: good.params as P,
          optState: good.optState,
          losses,
          steps: t - 2,
          stopReason: "non-finite",
          message: `trainReverseKL: loss ${loss} at step ${t}; returning the parameters of step ${t - 1} (loss ${losses[t - 2]})`,
        };
      }
      if (good !== null) tree.dispose([good.params, good.optState]);
      good = keep;
      losses.push(loss);
      params = out.params;
      optState = out.optState;
      o.onStep?.(t, loss);
    }
    if (good !== null) tree.dispose([good.params, good.optState]);
    good = null;
    return { params: params as P, optState, losses, steps: o.steps, stopReason: "completed" };
  } finally {
    step.dispose();
  }
}

/**
 * A host sampler of the trained flow: `draw(n)` → x [n · D] and log w = −S(x) − log q(x) [n],
 * one jitted forward per call (params borrowed until `dispose()`).
 */
export function flowSampler<P extends Params>(o: {
  flow: Flow<P>;
  base: BaseDensity;
  action: (x: JArray) => JArray;
  params: P;
  seed: number;
  dtype?: "float32" | "float64";
}): { draw(n: number): { x: Float64Array; logw: Float64Array }; dispose(): void } {
  const rng = hostRng(o.seed);
  const dtype = o.dtype ?? "float32";
  const fwd = jit((p: P, z: JArray) => {
    const lr = o.base.logProb(z.ref);
    const [x, ld] = o.flow.forward(p, z);
    const logq = lr.sub(ld);
    const logw = o.action(x.ref).neg().sub(logq);
    return [x, logw];
  });
  return {
    draw(n) {
      const z = o.base.sample(n, rng, { dtype });
      const [x, logw] = fwd(tree.ref(o.params) as never, z) as [JArray, JArray];
      return { x: toFloat64(x), logw: toFloat64(logw) };
    },
    dispose() {
      fwd.dispose();
      tree.dispose(o.params);
    },
  };
}

/** log w of given samples, for tests: −S(f(z)) − (log r(z) − logDet). Consumes params and z. */
export function logWeights<P extends Params>(
  flow: Flow<P>,
  base: BaseDensity,
  action: (x: JArray) => JArray,
  params: P,
  z: JArray,
): JArray {
  const lr = base.logProb(z.ref);
  const [x, ld] = flow.forward(params, z);
  return np.negative(action(x)).sub(lr.sub(ld));
}

/**
 * Negative log-likelihood per sample [B] of data x [B, ...event] under the flow's density
 * (maximum-likelihood training): −(log r(f⁻¹(x)) + log|det ∂f⁻¹/∂x|). Consumes params and x.
 */
export function negLogLikelihood<P extends Params>(flow: Flow<P>, base: BaseDensity, params: P, x: JArray): JArray {
  const [z, ld] = flow.inverse(params, x);
  return base.logProb(z).add(ld).neg();
}
