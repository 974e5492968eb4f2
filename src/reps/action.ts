/**
 * Representations acting on data: x ↦ x ρ(g)ᵀ on a batch, for the equivariance harness and for
 * augmentation.
 */
import type { Array as JArray } from "../jax.js";
import { numpy as np } from "../jax.js";
import { fromHost, placementOf } from "../core/host.js";
import { transpose } from "../core/matrix.js";
import type { Rep } from "./rep.js";

/**
 * The action x ↦ x ρ(g)ᵀ of `rep` on a batch [B, rep.size] (consumes x), for the equivariance
 * harness and for augmentation: `assertEquivariant(f, { group: G, actIn: repAction(repIn), actOut: repAction(repOut) })`.
 */
export function repAction(rep: Rep): (g: Float64Array, x: JArray) => JArray {
  const n = rep.size;
  return (g, x) => {
    const R = rep.rho(g);
    const at = placementOf(x);
    return np.matmul(x, fromHost(transpose(R, n, n), [n, n], at));
  };
}
