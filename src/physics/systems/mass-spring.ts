/** The ideal mass-spring (Greydanus et al. 2019): H = kq²/2 + p²/(2m). */
import { numpy as np, type Array as JArray } from "../../jax.js";
import { checkBatch, checkHost, checkParam, col, type PhysicalSystem } from "./system.js";

export interface MassSpringParams {
  /** Spring constant k (default 2, so that H = q² + p² with m = 1/2). */
  k?: number;
  /** Mass m (default 1/2). */
  m?: number;
}

/**
 * Ideal mass-spring, 1 DOF, x = [q, p]: H = k q²/2 + p²/(2m), L = m q̇²/2 − k q²/2.
 * Defaults k = 2, m = 1/2 give the HNN paper's H = q² + p² (angular frequency ω = √(k/m) = 2).
 */
export function massSpring(params: MassSpringParams = {}): PhysicalSystem {
  const name = "mass-spring";
  const k = checkParam(name, "k", params.k ?? 2);
  const m = checkParam(name, "m", params.m ?? 0.5);
  const H = (x: JArray): JArray => {
    checkBatch(`${name}.hamiltonian: x`, x, 2);
    const q = x.ref.slice([], 0);
    const p = x.slice([], 1);
    return np
      .square(q)
      .mul(k / 2)
      .add(np.square(p).mul(1 / (2 * m)));
  };
  return {
    name,
    dof: 1,
    dim: 2,
    coordinates: "canonical",
    params: { k, m },
    layout: "[q, p]",
    hamiltonian: H,
    lagrangian(q, qdot) {
      checkBatch(`${name}.lagrangian: q`, q, 1);
      checkBatch(`${name}.lagrangian: qdot`, qdot, 1);
      return np.sum(
        np
          .square(qdot)
          .mul(m / 2)
          .sub(np.square(q).mul(k / 2)),
        -1,
      );
    },
    energy: H,
    field(x) {
      checkBatch(`${name}.field: x`, x, 2);
      const q = col(x.ref, 0);
      const p = col(x, 1);
      return np.concatenate([p.mul(1 / m), q.mul(-k)], -1);
    },
    separable: { dTdp: (p) => p.mul(1 / m), dVdq: (q) => q.mul(k) },
    fieldHost(x, dx) {
      dx[0] = x[1]! / m;
      dx[1] = -k * x[0]!;
    },
    energyHost(x) {
      checkHost(`${name}.energyHost`, x, 2);
      return (k / 2) * x[0]! * x[0]! + (x[1]! * x[1]!) / (2 * m);
    },
  };
}
