/** The two-body problem in the plane (Greydanus et al. 2019), in canonical coordinates. */
import { numpy as np, type Array as JArray } from "../../jax.js";
import { fromHost, placementOf } from "../../core/host.js";
import { checkBatch, checkHost, checkParam, cols, type PhysicalSystem } from "./system.js";

export interface TwoBodyParams {
  /** Mass of body 1 (default 1). */
  m1?: number;
  /** Mass of body 2 (default 1). */
  m2?: number;
  /** Gravitational constant G (default 1). */
  G?: number;
}

/** Index of each coordinate in the two-body state (the HNN repo's canonical-coordinate order). */
export const TWO_BODY_LAYOUT = {
  x1: 0,
  x2: 1,
  y1: 2,
  y2: 3,
  px1: 4,
  px2: 5,
  py1: 6,
  py2: 7,
} as const;

/**
 * Planar two-body gravitational problem, 4 DOF, in the HNN repo's order
 * x = [x1, x2, y1, y2, px1, px2, py1, py2] (q = positions grouped by axis, p = m·v):
 * H = |p1|²/(2m1) + |p2|²/(2m2) − G m1 m2 / |r1 − r2|. Defaults m1 = m2 = G = 1 (the repo's).
 * No softening: the field is singular at collision.
 */
export function twoBody(params: TwoBodyParams = {}): PhysicalSystem & {
  /** Total angular momentum Σ (x p_y − y p_x): [B, 8] → [B]. */
  angularMomentum(x: JArray): JArray;
  /** Host angular momentum of one state. */
  angularMomentumHost(x: ArrayLike<number>): number;
  /** Host total linear momentum [Px, Py] of one state. */
  momentumHost(x: ArrayLike<number>): [number, number];
} {
  const name = "two-body";
  const m1 = checkParam(name, "m1", params.m1 ?? 1);
  const m2 = checkParam(name, "m2", params.m2 ?? 1);
  const G = checkParam(name, "G", params.G ?? 1);
  const gmm = G * m1 * m2;
  /** 1/m per canonical coordinate [x1, x2, y1, y2] order. */
  const invMass = (x: JArray) => fromHost([1 / m1, 1 / m2, 1 / m1, 1 / m2], [4], placementOf(x));
  /** Relative position r1 − r2 as [B, 2] from q [B, 4]. */
  const rel = (q: JArray): JArray => {
    const B = q.shape[0]!;
    const qq = q.reshape([B, 2, 2]); // [B, axis, body]
    return qq.ref.slice([], [], 0).sub(qq.slice([], [], 1));
  };
  const H = (x: JArray): JArray => {
    checkBatch(`${name}.hamiltonian: x`, x, 8);
    const im = invMass(x);
    const q = cols(x.ref, 0, 4);
    const p = cols(x, 4, 8);
    const T = np.sum(np.square(p).mul(im), -1).mul(0.5);
    const r = np.sqrt(np.sum(np.square(rel(q)), -1));
    return T.sub(np.reciprocal(r).mul(gmm));
  };
  const fieldHost = (x: ArrayLike<number>, dx: Float64Array): void => {
    const x1 = x[0]!,
      x2 = x[1]!,
      y1 = x[2]!,
      y2 = x[3]!;
    dx[0] = x[4]! / m1;
    dx[1] = x[5]! / m2;
    dx[2] = x[6]! / m1;
    dx[3] = x[7]! / m2;
    const rx = x1 - x2;
    const ry = y1 - y2;
    const r2 = rx * rx + ry * ry;
    const s = gmm / (r2 * Math.sqrt(r2));
    dx[4] = -s * rx;
    dx[5] = s * rx;
    dx[6] = -s * ry;
    dx[7] = s * ry;
  };
  return {
    name,
    dof: 4,
    dim: 8,
    coordinates: "canonical",
    params: { m1, m2, G },
    layout: "[x1, x2, y1, y2, px1, px2, py1, py2] (p = m v)",
    hamiltonian: H,
    lagrangian(q, qdot) {
      checkBatch(`${name}.lagrangian: q`, q, 4);
      checkBatch(`${name}.lagrangian: qdot`, qdot, 4);
      const mass = fromHost([m1, m2, m1, m2], [4], placementOf(q));
      const T = np.sum(np.square(qdot).mul(mass), -1).mul(0.5);
      const r = np.sqrt(np.sum(np.square(rel(q)), -1));
      return T.add(np.reciprocal(r).mul(gmm));
    },
    energy: H,
    field(x) {
      checkBatch(`${name}.field: x`, x, 8);
      const B = x.shape[0]!;
      const im = invMass(x);
      const q = cols(x.ref, 0, 4);
      const p = cols(x, 4, 8);
      const d = rel(q); // [B, 2]
      const r2 = np.sum(np.square(d.ref), -1, { keepdims: true });
      const f = d.mul(np.reciprocal(r2.ref.mul(np.sqrt(r2))).mul(gmm)); // G m1 m2 (r1 − r2)/r³
      const dp = np.stack([f.ref.neg(), f], -1).reshape([B, 4]); // [B, axis, body] → [fx1, fx2, fy1, fy2]
      return np.concatenate([p.mul(im), dp], -1);
    },
    separable: {
      dTdp: (p) => p.mul(invMass(p)),
      dVdq: (q) => {
        const B = q.shape[0]!;
        const d = rel(q);
        const r2 = np.sum(np.square(d.ref), -1, { keepdims: true });
        const f = d.mul(np.reciprocal(r2.ref.mul(np.sqrt(r2))).mul(gmm));
        return np.stack([f.ref, f.neg()], -1).reshape([B, 4]);
      },
    },
    fieldHost,
    energyHost(x) {
      checkHost(`${name}.energyHost`, x, 8);
      const T = (x[4]! ** 2 + x[6]! ** 2) / (2 * m1) + (x[5]! ** 2 + x[7]! ** 2) / (2 * m2);
      return T - gmm / Math.hypot(x[0]! - x[1]!, x[2]! - x[3]!);
    },
    angularMomentum(x) {
      checkBatch(`${name}.angularMomentum: x`, x, 8);
      const xs = cols(x.ref, 0, 2);
      const ys = cols(x.ref, 2, 4);
      const pxs = cols(x.ref, 4, 6);
      const pys = cols(x, 6, 8);
      return np.sum(xs.mul(pys).sub(ys.mul(pxs)), -1);
    },
    angularMomentumHost(x) {
      checkHost(`${name}.angularMomentumHost`, x, 8);
      return x[0]! * x[6]! - x[2]! * x[4]! + (x[1]! * x[7]! - x[3]! * x[5]!);
    },
    momentumHost(x) {
      checkHost(`${name}.momentumHost`, x, 8);
      return [x[4]! + x[5]!, x[6]! + x[7]!];
    },
  };
}
