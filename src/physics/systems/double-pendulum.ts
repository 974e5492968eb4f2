/** The double pendulum (Cranmer et al. 2020), in velocity coordinates [θ1, θ2, ω1, ω2]. */
import { numpy as np, type Array as JArray } from "../../jax.js";
import { checkBatch, checkHost, checkParam, type PhysicalSystem } from "./system.js";

export interface DoublePendulumParams {
  m1?: number;
  m2?: number;
  l1?: number;
  l2?: number;
  /** Gravitational acceleration (default 9.8, as in the LNN paper). */
  g?: number;
}

/**
 * Double pendulum, 2 DOF, x = [θ1, θ2, ω1, ω2] (angles from the downward vertical, ω = θ̇):
 * L = ½(m1+m2) l1² ω1² + ½ m2 l2² ω2² + m2 l1 l2 ω1 ω2 cos(θ1−θ2) + (m1+m2) g l1 cos θ1 + m2 g l2 cos θ2.
 * The field uses the closed-form accelerations (as in the LNN repo's `f_analytical`).
 * `maxPotential` = (m1+m2) g l1 + m2 g l2 (29.4 at the defaults m = l = 1, g = 9.8).
 */
export function doublePendulum(params: DoublePendulumParams = {}): PhysicalSystem & {
  /** Largest potential energy, max V = (m1+m2) g l1 + m2 g l2 (V ranges over [−maxPotential, maxPotential]). */
  readonly maxPotential: number;
  /** Host accelerations [θ̈1, θ̈2] of one state. */
  accelerationHost(x: ArrayLike<number>): [number, number];
} {
  const name = "double-pendulum";
  const m1 = checkParam(name, "m1", params.m1 ?? 1);
  const m2 = checkParam(name, "m2", params.m2 ?? 1);
  const l1 = checkParam(name, "l1", params.l1 ?? 1);
  const l2 = checkParam(name, "l2", params.l2 ?? 1);
  const g = checkParam(name, "g", params.g ?? 9.8);
  const M = m1 + m2;
  const mu = m2 / M;
  const accel = (t1: number, t2: number, w1: number, w2: number): [number, number] => {
    const c = Math.cos(t1 - t2);
    const s = Math.sin(t1 - t2);
    const a1 = (l2 / l1) * mu * c;
    const a2 = (l1 / l2) * c;
    const f1 = -(l2 / l1) * mu * w2 * w2 * s - (g / l1) * Math.sin(t1);
    const f2 = (l1 / l2) * w1 * w1 * s - (g / l2) * Math.sin(t2);
    const den = 1 - a1 * a2;
    return [(f1 - a1 * f2) / den, (f2 - a2 * f1) / den];
  };
  /** Kinetic and potential energy [batch] from angles and angular velocities (consumes all four). */
  const kineticPotential = (t1: JArray, t2: JArray, w1: JArray, w2: JArray): [JArray, JArray] => {
    const T = np
      .square(w1.ref)
      .mul(0.5 * M * l1 * l1)
      .add(np.square(w2.ref).mul(0.5 * m2 * l2 * l2))
      .add(
        w1
          .mul(w2)
          .mul(np.cos(t1.ref.sub(t2.ref)))
          .mul(m2 * l1 * l2),
      );
    const V = np
      .cos(t1)
      .mul(-M * g * l1)
      .sub(np.cos(t2).mul(m2 * g * l2));
    return [T, V];
  };
  const energy = (x: JArray): JArray => {
    checkBatch(`${name}.energy: x`, x, 4);
    const t1 = x.ref.slice([], 0);
    const t2 = x.ref.slice([], 1);
    const w1 = x.ref.slice([], 2);
    const w2 = x.slice([], 3);
    const [T, V] = kineticPotential(t1, t2, w1, w2);
    return T.add(V);
  };
  return {
    name,
    dof: 2,
    dim: 4,
    coordinates: "velocity",
    params: { m1, m2, l1, l2, g },
    layout: "[θ1, θ2, ω1, ω2] (angles from the downward vertical)",
    maxPotential: M * g * l1 + m2 * g * l2,
    lagrangian(q, qdot) {
      checkBatch(`${name}.lagrangian: q`, q, 2);
      checkBatch(`${name}.lagrangian: qdot`, qdot, 2);
      const t1 = q.ref.slice([], 0);
      const t2 = q.slice([], 1);
      const w1 = qdot.ref.slice([], 0);
      const w2 = qdot.slice([], 1);
      const [T, V] = kineticPotential(t1, t2, w1, w2);
      return T.sub(V);
    },
    energy,
    field(x) {
      checkBatch(`${name}.field: x`, x, 4);
      const t1 = x.ref.slice([], 0);
      const t2 = x.ref.slice([], 1);
      const w1 = x.ref.slice([], 2);
      const w2 = x.slice([], 3);
      const d = t1.ref.sub(t2.ref);
      const c = np.cos(d.ref);
      const s = np.sin(d);
      const a1 = c.ref.mul((l2 / l1) * mu);
      const a2 = c.mul(l1 / l2);
      const f1 = np
        .square(w2.ref)
        .mul(s.ref)
        .mul(-(l2 / l1) * mu)
        .sub(np.sin(t1).mul(g / l1));
      const f2 = np
        .square(w1.ref)
        .mul(s)
        .mul(l1 / l2)
        .sub(np.sin(t2).mul(g / l2));
      const inv = np.reciprocal(a1.ref.mul(a2.ref).neg().add(1));
      const g1 = f1.ref.sub(a1.mul(f2.ref)).mul(inv.ref);
      const g2 = f2.sub(a2.mul(f1)).mul(inv);
      return np.stack([w1, w2, g1, g2], -1);
    },
    fieldHost(x, dx) {
      const [g1, g2] = accel(x[0]!, x[1]!, x[2]!, x[3]!);
      dx[0] = x[2]!;
      dx[1] = x[3]!;
      dx[2] = g1;
      dx[3] = g2;
    },
    energyHost(x) {
      checkHost(`${name}.energyHost`, x, 4);
      const [t1, t2, w1, w2] = [x[0]!, x[1]!, x[2]!, x[3]!];
      const T = 0.5 * M * l1 * l1 * w1 * w1 + 0.5 * m2 * l2 * l2 * w2 * w2 + m2 * l1 * l2 * w1 * w2 * Math.cos(t1 - t2);
      return T - M * g * l1 * Math.cos(t1) - m2 * g * l2 * Math.cos(t2);
    },
    accelerationHost(x) {
      checkHost(`${name}.accelerationHost`, x, 4);
      return accel(x[0]!, x[1]!, x[2]!, x[3]!);
    },
  };
}
