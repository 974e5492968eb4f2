/**
 * Weight initialisers. Weights are stored [fanIn, fanOut] (y = x W + b).
 *
 * - "torch": PyTorch's nn.Linear default, W and b ~ U(−1/√fanIn, 1/√fanIn)
 *   (kaiming_uniform with a = √5).
 * - "glorot": Glorot/Xavier uniform, W ~ U(±√(6/(fanIn+fanOut))).
 * - "orthogonal": W with orthonormal rows or columns (QR of a Gaussian matrix, signs fixed as
 *   in PyTorch's orthogonal_), times `gain`.
 * - "zeros": all zeros (biases).
 */
import { numpy as np, random, type Array as JArray } from "../jax.js";
import { getFloatDtype, toDType, type FloatDtype } from "../core/engine.js";
import { orthogonalMatrix } from "../core/linalg.js";
import { fromHost } from "../core/host.js";
import { hostNormal, hostRng } from "../core/rng.js";

export type WeightInit = "torch" | "glorot" | "orthogonal";
export type BiasInit = "torch" | "zeros";

function uniform(key: JArray, shape: number[], bound: number, dtype: FloatDtype): JArray {
  return random.uniform(key, shape, { minval: -bound, maxval: bound }).astype(toDType(dtype));
}

/** Weight matrix [fanIn, fanOut] drawn with `kind` (consumes `key`). */
export function initWeight(
  key: JArray,
  fanIn: number,
  fanOut: number,
  kind: WeightInit = "torch",
  opts: { gain?: number; dtype?: FloatDtype } = {},
): JArray {
  const dtype = opts.dtype ?? getFloatDtype();
  const gain = opts.gain ?? 1;
  switch (kind) {
    case "torch":
      return uniform(key, [fanIn, fanOut], gain / Math.sqrt(fanIn), dtype);
    case "glorot":
      return uniform(key, [fanIn, fanOut], gain * Math.sqrt(6 / (fanIn + fanOut)), dtype);
    case "orthogonal": {
      const out = orthogonalMatrix(
        random
          .normal(key, [Math.max(fanIn, fanOut), Math.min(fanIn, fanOut)])
          .astype(toDType("float64"))
          .dataSync() as Float64Array,
        fanIn,
        fanOut,
      );
      if (gain !== 1) for (let i = 0; i < out.length; i++) out[i]! *= gain;
      return fromHost(out, [fanIn, fanOut], { dtype });
    }
    default:
      throw new TypeError(`unknown weight init ${JSON.stringify(kind)}; expected "torch", "glorot" or "orthogonal"`);
  }
}

/** Bias vector [fanOut] (consumes `key`). */
export function initBias(
  key: JArray,
  fanIn: number,
  fanOut: number,
  kind: BiasInit = "torch",
  dtype: FloatDtype = getFloatDtype(),
): JArray {
  if (kind === "zeros") {
    key.dispose();
    return np.zeros([fanOut], { dtype: toDType(dtype) });
  }
  if (kind === "torch") return uniform(key, [fanOut], 1 / Math.sqrt(fanIn), dtype);
  throw new TypeError(`unknown bias init ${JSON.stringify(kind)}; expected "torch" or "zeros"`);
}

/**
 * "Convex" initialisation of a softplus MLP [sizes] (Cranmer et al.'s per-layer scale, made
 * convex): biases 0, weights N(0, σ²) with σ = (1/√n)·(2.2 first layer, 0.58·i middle layer i,
 * n output layer), n = max(fan_in, fan_out) — the LNN authors' `custom_init` — and |W| for every
 * layer after the first. A softplus MLP whose later weights are ≥ 0 is convex in its input, so an
 * LNN's ∂²L/∂q̇² starts positive definite at every state (with signed weights a third of the
 * double pendulum's training states start indefinite, and training stalls where det crosses 0).
 * Only the start is convex: the weights train unconstrained. The draws come from a host RNG
 * seeded by the key (a number, or a key array, consumed); parameters in the engine float dtype.
 */
export function convexInit(sizes: readonly number[], key: JArray | number): { layers: { w: JArray; b: JArray }[] } {
  let seed = key as number;
  if (typeof key !== "number") {
    const d = key.ref.dataSync() as ArrayLike<number>;
    seed = (Number(d[0]) * 31 + Number(d[d.length - 1])) >>> 0;
    key.dispose();
  }
  const rng = hostRng(seed * 2654435761 + 17);
  const L = sizes.length - 1;
  const dtype = getFloatDtype();
  return {
    layers: sizes.slice(1).map((o, i) => {
      const fanIn = sizes[i]!;
      const m = Math.max(fanIn, o);
      const sigma = (i === 0 ? 2.2 : i === L - 1 ? m : 0.58 * i) / Math.sqrt(m);
      const w = hostNormal(fanIn * o, rng).map((v) => (i > 0 ? Math.abs(v) : v) * sigma);
      return { w: fromHost(w, [fanIn, o], { dtype }), b: fromHost(new Float64Array(o), [o], { dtype }) };
    }),
  };
}
