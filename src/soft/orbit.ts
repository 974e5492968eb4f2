/**
 * The weight-orbit regulariser (after Anselmi, Evangelopoulos, Rosasco & Poggio 2017, "Symmetry
 * regularization"): the filters of a dense layer, the columns w_j of W [in, out], are pushed to
 * form orbits of a group acting on the input, so that the layer's responses to g·x are a
 * permutation of its responses to x. For elements g_k with input action ρ(g_k):
 *   R(W) = mean_{k, j} min_l ‖ρ(g_k)w_j − w_l‖² / mean_j ‖w_j‖²
 * (zero exactly when every transformed filter is another filter; scale-free). A loss term on
 * any dense layer, e.g. `weightOrbitPenalty(V(G))(params.layers[0].w)`.
 */
import { numpy as np, type Array as JArray } from "../jax.js";
import { ConfigError, ShapeError, fmtShape } from "../core/errors.js";
import { fromHost, placementOf } from "../core/host.js";
import { eye, maxAbsDiff } from "../core/matrix.js";
import { hostRng } from "../core/rng.js";
import type { Rep } from "../reps/rep.js";

/** Options of `weightOrbitPenalty`. */
export interface WeightOrbitOptions {
  /** Sampled elements of an infinite group (default 8); a finite group uses all its elements but the identity. */
  samples?: number;
  seed?: number;
  /** The elements to use instead ([d, d] each, of rep's group). */
  elements?: readonly Float64Array[];
  /** Weight of the term (default 1). */
  weight?: number;
}

/**
 * R(W) of the module comment for W [rep.size, out] (consumes W); a 0-d array times `weight`.
 * @example lossFn = (p, x, y) => mse(net.apply(tree.ref(p), x), y).add(orbit(p.layers[0].w.ref)) …
 */
export function weightOrbitPenalty(
  rep: Rep,
  opts: WeightOrbitOptions = {},
): ((W: JArray) => JArray) & {
  readonly elements: readonly Float64Array[];
} {
  const G = rep.G;
  const n = rep.size;
  let elements: Float64Array[];
  if (opts.elements !== undefined) elements = opts.elements.map((g) => Float64Array.from(g));
  else if (G.isFinite && opts.samples === undefined)
    elements = G.elements!().filter((g) => maxAbsDiff(g, eye(G.d)) > 1e-12);
  else {
    const rng = hostRng(opts.seed ?? 0);
    elements = Array.from({ length: opts.samples ?? 8 }, () => G.sample(rng));
  }
  if (elements.length === 0) throw new ConfigError(`weightOrbitPenalty: no group elements (${G.name})`);
  const K = elements.length;
  const stack = new Float64Array(K * n * n);
  elements.forEach((g, k) => stack.set(rep.rho(g), k * n * n));
  const weight = opts.weight ?? 1;
  const f = (W: JArray): JArray => {
    if (W.ndim !== 2 || W.shape[0] !== n) {
      const s = W.shape;
      W.dispose();
      throw new ShapeError(`weightOrbitPenalty: expected W [${n}, out] (${rep.structure} → out), got ${fmtShape(s)}`);
    }
    const out = W.shape[1]!;
    const at = placementOf(W);
    // A = [ρ(g_1)W; …; ρ(g_K)W] [K·n, out] → the transformed filters as rows [K·out, n].
    const A = np
      .matmul(fromHost(stack, [K * n, n], at), W.ref)
      .reshape([K, n, out])
      .transpose([0, 2, 1])
      .reshape([K * out, n]);
    const a2 = np.sum(np.square(A.ref), 1, { keepdims: true });
    const w2 = np.sum(np.square(W.ref), 0, { keepdims: true });
    const d = a2.add(w2.ref).sub(np.matmul(A, W).mul(2));
    const nearest = np.min(np.maximum(d, 0), 1);
    return np.mean(nearest).div(np.mean(w2)).mul(weight);
  };
  return Object.assign(f, { elements });
}
