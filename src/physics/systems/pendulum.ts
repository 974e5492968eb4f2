/** The ideal pendulum (Greydanus et al. 2019): H = mgl(1 − cos q) + p²/(2ml²). */
import { numpy as np, type Array as JArray } from "../../jax.js";
import { checkBatch, checkHost, checkParam, col, type PhysicalSystem } from "./system.js";

export interface PendulumParams {
  /** Bob mass m (default 1/2). */
  m?: number;
  /** Length l (default 1). */
  l?: number;
  /** Gravitational acceleration g (default 4). */
  g?: number;
}

/**
 * Ideal pendulum, 1 DOF, x = [q, p] (q the angle from the downward vertical):
 * H = m g l (1 − cos q) + p²/(2 m l²), L = m l² q̇²/2 − m g l (1 − cos q).
 * Defaults m = 1/2, l = 1, g = 4 give the HNN paper's H = 2(1 − cos q) + p².
 */
export function pendulum(params: PendulumParams = {}): PhysicalSystem {
  const name = "pendulum";
  const m = checkParam(name, "m", params.m ?? 0.5);
  const l = checkParam(name, "l", params.l ?? 1);
  const g = checkParam(name, "g", params.g ?? 4);
  const mgl = m * g * l;
  const inertia = m * l * l;
  const H = (x: JArray): JArray => {
    checkBatch(`${name}.hamiltonian: x`, x, 2);
    const q = x.ref.slice([], 0);
    const p = x.slice([], 1);
    return np
      .cos(q)
      .mul(-mgl)
      .add(mgl)
      .add(np.square(p).mul(1 / (2 * inertia)));
  };
  return {
    name,
    dof: 1,
    dim: 2,
    coordinates: "canonical",
    params: { m, l, g },
    layout: "[q, p] (q: angle from the downward vertical, p = m l² q̇)",
    hamiltonian: H,
    lagrangian(q, qdot) {
      checkBatch(`${name}.lagrangian: q`, q, 1);
      checkBatch(`${name}.lagrangian: qdot`, qdot, 1);
      const T = np.square(qdot).mul(inertia / 2);
      const V = np.cos(q).mul(-mgl).add(mgl);
      return np.sum(T.sub(V), -1);
    },
    energy: H,
    field(x) {
      checkBatch(`${name}.field: x`, x, 2);
      const q = col(x.ref, 0);
      const p = col(x, 1);
      return np.concatenate([p.mul(1 / inertia), np.sin(q).mul(-mgl)], -1);
    },
    separable: { dTdp: (p) => p.mul(1 / inertia), dVdq: (q) => np.sin(q).mul(mgl) },
    fieldHost(x, dx) {
      dx[0] = x[1]! / inertia;
      dx[1] = -mgl * Math.sin(x[0]!);
    },
    energyHost(x) {
      checkHost(`${name}.energyHost`, x, 2);
      return mgl * (1 - Math.cos(x[0]!)) + (x[1]! * x[1]!) / (2 * inertia);
    },
  };
}
