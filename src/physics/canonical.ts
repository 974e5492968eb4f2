/**
 * Canonical (Hamiltonian) form of mechanical systems whose Lagrangian is quadratic in the
 * velocities, L = ½ q̇ᵀ M(q) q̇ − V(q):
 *   p = ∂L/∂q̇ = M(q) q̇,   H(q, p) = ½ pᵀ M(q)⁻¹ p + V(q),   ṗ = ∂L/∂q,
 * with conversions of states (and flat batches of states or rollouts) between velocity
 * coordinates x = [q, q̇] and canonical coordinates z = [q, p], on the host in float64 and as
 * batched jax-js functions. Used to train Hamiltonian NNs on systems that are given by their
 * Lagrangian (the double pendulum of the LNN paper).
 */
import { numpy as np, type Array as JArray } from "../jax.js";
import { checkShape, ConfigError, NonFiniteError } from "../core/errors.js";
import type { doublePendulum } from "./systems.js";

/** A mechanical system in canonical form; host functions act on one state, `*Batch` on flat [B, 2n] rows. */
export interface CanonicalForm {
  /** Degrees of freedom n. */
  readonly dof: number;
  /** Mass matrix M(q) of one position (length n) as a row-major n×n Float64Array. */
  massMatrixHost(q: ArrayLike<number>): Float64Array;
  /** [q, q̇] → [q, p = M(q) q̇] for one state. */
  toCanonicalHost(x: ArrayLike<number>): Float64Array;
  /** [q, p] → [q, q̇ = M(q)⁻¹ p] for one state. */
  toVelocityHost(z: ArrayLike<number>): Float64Array;
  /** H(q, p) = ½ pᵀM⁻¹p + V(q) of one canonical state. */
  hamiltonianHost(z: ArrayLike<number>): number;
  /** True canonical field dz/dt = [∂H/∂p, −∂H/∂q] = [q̇, ∂L/∂q] of one canonical state, into dz. */
  fieldHost(z: ArrayLike<number>, dz: Float64Array): void;
  /** Flat batch [B, 2n] of velocity states → canonical states (rows independent; also converts rollouts [B, T, 2n]). */
  toCanonicalBatch(x: ArrayLike<number>): Float64Array;
  /** Flat batch [B, 2n] of canonical states → velocity states. */
  toVelocityBatch(z: ArrayLike<number>): Float64Array;
  /** Velocity derivatives [q̇, q̈] at velocity states x → canonical derivatives [q̇, ṗ] (flat [B, 2n] each). */
  derivativesBatch(x: ArrayLike<number>): Float64Array;
  /** Batched jax-js H(z): [B, 2n] → [B] (consumes z). */
  hamiltonian(z: JArray): JArray;
}

function rows(what: string, data: ArrayLike<number>, dim: number): number {
  if (data.length % dim !== 0)
    throw new ConfigError(`${what}: expected flat states of dimension ${dim}, got length ${data.length}`);
  return data.length / dim;
}

function mapRows(
  what: string,
  data: ArrayLike<number>,
  dim: number,
  f: (row: ArrayLike<number>) => Float64Array,
): Float64Array {
  const B = rows(what, data, dim);
  const out = new Float64Array(B * dim);
  const isTyped = ArrayBuffer.isView(data);
  for (let b = 0; b < B; b++) {
    const row = isTyped
      ? (data as Float64Array).subarray(b * dim, (b + 1) * dim)
      : Array.prototype.slice.call(data, b * dim, (b + 1) * dim);
    out.set(f(row as ArrayLike<number>), b * dim);
  }
  return out;
}

/**
 * Canonical form of the double pendulum, q = [θ1, θ2]:
 * M(q) = [[(m1+m2) l1², m2 l1 l2 cos(θ1−θ2)], [m2 l1 l2 cos(θ1−θ2), m2 l2²]],
 * V(q) = −(m1+m2) g l1 cos θ1 − m2 g l2 cos θ2 (H equals `system.energy`).
 */
export function doublePendulumCanonical(system: ReturnType<typeof doublePendulum>): CanonicalForm {
  const { m1, m2, l1, l2, g } = system.params as { m1: number; m2: number; l1: number; l2: number; g: number };
  const M = m1 + m2;
  const a = M * l1 * l1;
  const c22 = m2 * l2 * l2;
  const k = m2 * l1 * l2;
  const check = (what: string, s: ArrayLike<number>): void => {
    if (s.length !== 4) throw new ConfigError(`${what}: expected a state of length 4, got ${s.length}`);
    for (let i = 0; i < 4; i++) {
      if (!Number.isFinite(s[i]!))
        throw new NonFiniteError(`${what}: expected finite values, found ${s[i]} at index ${i}`);
    }
  };
  /** [M11, M12, M22] at θ1 − θ2 = d, and det. */
  const mass = (d: number): [number, number, number, number] => {
    const b = k * Math.cos(d);
    return [a, b, c22, a * c22 - b * b];
  };
  const toCanonicalHost = (x: ArrayLike<number>): Float64Array => {
    check("doublePendulumCanonical.toCanonicalHost", x);
    const [m11, m12, m22] = mass(x[0]! - x[1]!);
    return Float64Array.of(x[0]!, x[1]!, m11 * x[2]! + m12 * x[3]!, m12 * x[2]! + m22 * x[3]!);
  };
  const toVelocityHost = (z: ArrayLike<number>): Float64Array => {
    check("doublePendulumCanonical.toVelocityHost", z);
    const [m11, m12, m22, det] = mass(z[0]! - z[1]!);
    return Float64Array.of(z[0]!, z[1]!, (m22 * z[2]! - m12 * z[3]!) / det, (-m12 * z[2]! + m11 * z[3]!) / det);
  };
  /** ∂L/∂q at velocity state (t1, t2, w1, w2) = ṗ. */
  const pdot = (t1: number, t2: number, w1: number, w2: number): [number, number] => {
    const s = k * w1 * w2 * Math.sin(t1 - t2);
    return [-s - M * g * l1 * Math.sin(t1), s - m2 * g * l2 * Math.sin(t2)];
  };
  const form: CanonicalForm = {
    dof: 2,
    massMatrixHost(q) {
      if (q.length !== 2)
        throw new ConfigError(`doublePendulumCanonical.massMatrixHost: expected q of length 2, got ${q.length}`);
      const [m11, m12, m22] = mass(q[0]! - q[1]!);
      return Float64Array.of(m11, m12, m12, m22);
    },
    toCanonicalHost,
    toVelocityHost,
    hamiltonianHost(z) {
      const x = toVelocityHost(z);
      return system.energyHost(x);
    },
    fieldHost(z, dz) {
      const x = toVelocityHost(z);
      const [p1, p2] = pdot(x[0]!, x[1]!, x[2]!, x[3]!);
      dz[0] = x[2]!;
      dz[1] = x[3]!;
      dz[2] = p1;
      dz[3] = p2;
    },
    toCanonicalBatch: (x) => mapRows("doublePendulumCanonical.toCanonicalBatch", x, 4, toCanonicalHost),
    toVelocityBatch: (z) => mapRows("doublePendulumCanonical.toVelocityBatch", z, 4, toVelocityHost),
    derivativesBatch: (x) =>
      mapRows("doublePendulumCanonical.derivativesBatch", x, 4, (s) => {
        check("doublePendulumCanonical.derivativesBatch", s);
        const [p1, p2] = pdot(s[0]!, s[1]!, s[2]!, s[3]!);
        return Float64Array.of(s[2]!, s[3]!, p1, p2);
      }),
    hamiltonian(z) {
      checkShape("doublePendulumCanonical.hamiltonian: z", z.shape, [-1, 4]);
      const t1 = z.ref.slice([], 0);
      const t2 = z.ref.slice([], 1);
      const p1 = z.ref.slice([], 2);
      const p2 = z.slice([], 3);
      const b = np.cos(t1.ref.sub(t2.ref)).mul(k);
      const det = b.ref
        .mul(b.ref)
        .neg()
        .add(a * c22);
      // ½ pᵀ M⁻¹ p with M⁻¹ = [[m22, −m12], [−m12, m11]] / det
      const quad = np.square(p1.ref).mul(c22).add(np.square(p2.ref).mul(a)).sub(p1.mul(p2).mul(b).mul(2));
      const T = quad.div(det).mul(0.5);
      const V = np
        .cos(t1)
        .mul(-M * g * l1)
        .sub(np.cos(t2).mul(m2 * g * l2));
      return T.add(V);
    },
  };
  return form;
}
