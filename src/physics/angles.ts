/**
 * Angle coordinates: wrapping to [−π, π), on the host and in front of a field, for systems whose
 * first coordinates are angles (pendulums). Wrapping is the identity away from the cut θ = ±π, so
 * a wrapped field has the derivatives of the unwrapped one there; a trajectory crosses the cut as
 * a jump of 2π in the field's input only.
 */
import { numpy as np } from "../jax.js";
import type { ParamField } from "./fields.js";

const TAU = 2 * Math.PI;

/** An angle wrapped to [−π, π). */
export function wrapAngle(a: number): number {
  return a - TAU * Math.floor((a + Math.PI) / TAU);
}

/** The field `f` seeing the first `nAngles` coordinates of x [B, D] wrapped to [−π, π). */
export function wrapAngles<P>(f: ParamField<P>, nAngles: number): ParamField<P> {
  return (p, x) => {
    const D = x.shape[1]!;
    const q = np.remainder(x.ref.slice([], [0, nAngles]).add(Math.PI), TAU).sub(Math.PI);
    return f(p, np.concatenate([q, x.slice([], [nAngles, D])], 1));
  };
}
