/**
 * What the soft-symmetry experiments share: a training loop over host data with a fresh
 * augmentation per batch (which `fit`, with its fixed data, cannot do), and the per-sample
 * group action on host rows that augmentation uses.
 */
import { tree, type Array as JArray } from "../../jax.js";
import { fromHost } from "../../core/host.js";
import { hostRng, permutation } from "../../core/rng.js";
import type { Params } from "../../core/tree.js";
import type { Rep } from "../../reps/rep.js";
import type { LossFn } from "../../train/losses.js";
import { adam, cosine } from "../../train/optim.js";
import { makeTrainStep } from "../../train/step.js";

/** out[k] = ρ(g_k) x[k] on host rows (structured ρ). */
export function actRows(rep: Rep, gs: Float64Array[], x: Float64Array): Float64Array {
  const n = rep.size;
  const out = new Float64Array(x.length);
  gs.forEach((g, k) => {
    out.set(rep.rhoOp(g).apply(x.subarray(k * n, (k + 1) * n), 1), k * n);
  });
  return out;
}

/** Options of `trainHost`. */
export interface HostTrainOptions {
  lossFn: LossFn;
  /** Initial parameters (consumed). */
  params: Params;
  x: Float64Array;
  y: Float64Array;
  n: number;
  nIn: number;
  nOut: number;
  steps: number;
  batch: number;
  /** Peak learning rate (cosine decay to lr/100). */
  lr: number;
  seed: number;
  /** Transforms a batch on the host (e.g. a fresh random group element per sample). */
  augment?: (xb: Float64Array, yb: Float64Array, rng: () => number) => [Float64Array, Float64Array];
  /** Called after every step with the step (1-based), its loss and the (borrowed) parameters. */
  onStep?: (t: number, loss: number, params: Params) => void;
}

/**
 * Adam with a cosine schedule on host data, `steps` jitted steps of `batch` rows (a fresh
 * permutation per epoch); the loss is read every step. Returns the final parameters (owned).
 */
export function trainHost(o: HostTrainOptions): Params {
  const optimizer = adam();
  const step = makeTrainStep(o.lossFn, optimizer);
  const schedule = cosine({ lr: o.lr, totalSteps: o.steps, finalLr: o.lr / 100 });
  let params = o.params;
  let optState = optimizer.init(params);
  const rng = hostRng(o.seed ^ 0x50f7);
  const batch = Math.min(o.batch, o.n);
  const xb = new Float64Array(batch * o.nIn);
  const yb = new Float64Array(batch * o.nOut);
  let perm = permutation(o.n, rng);
  let at = 0;
  try {
    for (let t = 1; t <= o.steps; t++) {
      if (at + batch > o.n) {
        perm = permutation(o.n, rng);
        at = 0;
      }
      for (let k = 0; k < batch; k++) {
        const i = perm[at + k]!;
        xb.set(o.x.subarray(i * o.nIn, (i + 1) * o.nIn), k * o.nIn);
        yb.set(o.y.subarray(i * o.nOut, (i + 1) * o.nOut), k * o.nOut);
      }
      at += batch;
      const [xh, yh] = o.augment ? o.augment(xb, yb, rng) : [xb, yb];
      const out = step(
        params,
        optState,
        fromHost(xh, [batch, o.nIn], { dtype: "float32" }),
        fromHost(yh, [batch, o.nOut], { dtype: "float32" }),
        schedule(t - 1),
        t,
      );
      params = out.params;
      optState = out.optState;
      const loss = out.loss.item();
      if (!Number.isFinite(loss)) throw new Error(`non-finite loss ${loss} at step ${t}`);
      o.onStep?.(t, loss, params);
    }
  } finally {
    step.dispose();
    tree.dispose(optState);
  }
  return params;
}

/** Predictions of `apply` on host rows [n, nIn] in chunks (float32; borrows params). */
export function predictHost(
  apply: (p: Params, x: JArray) => JArray,
  params: Params,
  x: Float64Array,
  n: number,
  nIn: number,
  chunk = 1000,
): Float64Array {
  const parts: Float64Array[] = [];
  for (let s = 0; s < n; s += chunk) {
    const m = Math.min(chunk, n - s);
    const y = apply(tree.ref(params), fromHost(x.subarray(s * nIn, (s + m) * nIn), [m, nIn], { dtype: "float32" }));
    parts.push(Float64Array.from(y.dataSync() as Float32Array));
  }
  const out = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, o), (o += p.length);
  return out;
}

/** Mean squared error of host arrays. */
export function hostMse(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s / a.length;
}

/** Rounds to 4 significant digits (for results.json). */
export const sig = (v: number): number => (Number.isFinite(v) ? Number(v.toPrecision(4)) : v);
