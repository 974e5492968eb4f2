/**
 * Representations acting on data: x ↦ x ρ(g)ᵀ on a batch, for the equivariance harness and for
 * augmentation.
 */
import type { Array as JArray } from "../jax.js";
import { numpy as np } from "../jax.js";
import { ShapeError, fmtShape } from "../core/errors.js";
import { fromHost, placementOf } from "../core/host.js";
import { transpose } from "../core/matrix.js";
import type { Rep } from "./rep.js";

/**
 * The action x ↦ x ρ(g)ᵀ of `rep` on a batch [B, rep.size] (consumes x), for the equivariance
 * harness and for augmentation: `assertEquivariant(f, { group: G, actIn: repAction(repIn), actOut: repAction(repOut) })`.
 */
export function repAction(rep: Rep): (g: Float64Array, x: JArray) => JArray {
  const n = rep.size;
  const d = rep.G.d;
  return (g, x) => {
    const last = x.shape[x.shape.length - 1];
    if (g.length !== d * d || x.ndim < 1 || last !== n) {
      const why =
        g.length !== d * d
          ? `a group element of ${rep.G.name} is a ${d}×${d} matrix (${d * d} values), got ${g.length} values`
          : `expected x [..., ${n}] (the size of ${rep.structure}), got ${fmtShape(x.shape)}`;
      x.dispose();
      throw new ShapeError(`repAction(${rep.structure}): ${why}`);
    }
    const R = rep.rho(g);
    const at = placementOf(x);
    return np.matmul(x, fromHost(transpose(R, n, n), [n, n], at));
  };
}
