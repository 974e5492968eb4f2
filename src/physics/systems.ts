/**
 * Physical systems with analytic Hamiltonians and/or Lagrangians, their energy and their true
 * vector fields — both as batched jax-js functions (differentiable) and as host float64
 * functions on one state (fast, for data generation and ground truth).
 *
 * Every physical parameter is explicit (no hidden unit masses, g or G); defaults reproduce the
 * settings of the papers (Greydanus et al. 2019; Cranmer et al. 2020).
 *
 * State conventions: a system with `coordinates: "canonical"` has states x = [q, p] (n
 * positions then n momenta); one with `coordinates: "velocity"` has x = [q, q̇]. Batched
 * functions take x of shape [B, dim] and consume their array arguments.
 */
import { grad, numpy as np, type Array as JArray } from "../jax.js";
import { checkShape, ConfigError } from "../core/errors.js";
import { fromHost, placementOf, toFloat64 } from "../core/host.js";

/** Separable H(q, p) = T(p) + V(q): the two gradients leapfrog needs, on [B, n] batches. */
export interface SeparableSplit {
  /** ∂T/∂p: [B, n] → [B, n] (= dq/dt). */
  dTdp(p: JArray): JArray;
  /** ∂V/∂q: [B, n] → [B, n] (= −dp/dt). */
  dVdq(q: JArray): JArray;
}

/** A physical system: its state layout, analytic H and/or L, energy and true vector field. */
export interface PhysicalSystem {
  /** Short name, e.g. "mass-spring". */
  readonly name: string;
  /** Degrees of freedom n. */
  readonly dof: number;
  /** State dimension D = 2n. */
  readonly dim: number;
  /** "canonical": x = [q, p]; "velocity": x = [q, q̇]. */
  readonly coordinates: "canonical" | "velocity";
  /** The physical parameters in use (after defaults). */
  readonly params: Readonly<Record<string, number>>;
  /** Human-readable description of the state layout. */
  readonly layout: string;
  /** H(x): [B, 2n] → [B] (canonical systems). */
  hamiltonian?(x: JArray): JArray;
  /** L(q, q̇): [B, n], [B, n] → [B]. */
  lagrangian?(q: JArray, qdot: JArray): JArray;
  /** Total energy E(x): [B, D] → [B]. */
  energy(x: JArray): JArray;
  /** True vector field dx/dt: [B, D] → [B, D]. */
  field(x: JArray): JArray;
  /** H = T(p) + V(q) split for symplectic integrators (separable canonical systems only). */
  separable?: SeparableSplit;
  /** Host float64 field on one state: writes dx/dt of x (length D) into dx (length D). */
  fieldHost(x: ArrayLike<number>, dx: Float64Array): void;
  /** Host float64 energy of one state (length D). */
  energyHost(x: ArrayLike<number>): number;
}

function checkParam(system: string, name: string, v: number, positive = true): number {
  if (!Number.isFinite(v) || (positive && !(v > 0))) {
    throw new ConfigError(`${system}: parameter ${name} must be a ${positive ? "positive " : ""}finite number, got ${v}`);
  }
  return v;
}

function checkBatch(what: string, x: JArray, dim: number): void {
  checkShape(what, x.shape, [-1, dim]);
}

function checkHost(what: string, x: ArrayLike<number>, dim: number): void {
  if (x.length !== dim) throw new ConfigError(`${what}: expected a state of length ${dim}, got length ${x.length}`);
}

/** Column i of a [B, D] batch as [B, 1] (consumes x). */
function col(x: JArray, i: number): JArray {
  return x.slice([], [i, i + 1]);
}

/** Columns [a, b) of a [B, D] batch (consumes x). */
function cols(x: JArray, a: number, b: number): JArray {
  return x.slice([], [a, b]);
}

// ---------------------------------------------------------------------------------------------
// Mass-spring

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
    return np.square(q).mul(k / 2).add(np.square(p).mul(1 / (2 * m)));
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
      return np.sum(np.square(qdot).mul(m / 2).sub(np.square(q).mul(k / 2)), -1);
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

// ---------------------------------------------------------------------------------------------
// Pendulum

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
    return np.cos(q).mul(-mgl).add(mgl).add(np.square(p).mul(1 / (2 * inertia)));
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

// ---------------------------------------------------------------------------------------------
// Two-body problem

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
  x1: 0, x2: 1, y1: 2, y2: 3, px1: 4, px2: 5, py1: 6, py2: 7,
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
    const x1 = x[0]!, x2 = x[1]!, y1 = x[2]!, y2 = x[3]!;
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

// ---------------------------------------------------------------------------------------------
// Double pendulum

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
  const energy = (x: JArray): JArray => {
    checkBatch(`${name}.energy: x`, x, 4);
    const t1 = x.ref.slice([], 0);
    const t2 = x.ref.slice([], 1);
    const w1 = x.ref.slice([], 2);
    const w2 = x.slice([], 3);
    const T = np.square(w1.ref).mul(0.5 * M * l1 * l1)
      .add(np.square(w2.ref).mul(0.5 * m2 * l2 * l2))
      .add(w1.mul(w2).mul(np.cos(t1.ref.sub(t2.ref))).mul(m2 * l1 * l2));
    const V = np.cos(t1).mul(-M * g * l1).sub(np.cos(t2).mul(m2 * g * l2));
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
      const T = np.square(w1.ref).mul(0.5 * M * l1 * l1)
        .add(np.square(w2.ref).mul(0.5 * m2 * l2 * l2))
        .add(w1.mul(w2).mul(np.cos(t1.ref.sub(t2.ref))).mul(m2 * l1 * l2));
      const V = np.cos(t1).mul(-M * g * l1).sub(np.cos(t2).mul(m2 * g * l2));
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
      const f1 = np.square(w2.ref).mul(s.ref).mul(-(l2 / l1) * mu).sub(np.sin(t1).mul(g / l1));
      const f2 = np.square(w1.ref).mul(s).mul(l1 / l2).sub(np.sin(t2).mul(g / l2));
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

// ---------------------------------------------------------------------------------------------
// Relativistic particle

/** A potential V(q) on n-dimensional positions, batched for jax-js and optionally on the host. */
export interface Potential {
  readonly name: string;
  /** V(q): [B, n] → [B]. */
  V(q: JArray): JArray;
  /** ∇V(q): [B, n] → [B, n]; default: autodiff of V. */
  gradV?(q: JArray): JArray;
  /** Host V of one position (length n); needed for `energyHost`. */
  hostV?(q: ArrayLike<number>): number;
  /** Host ∇V of one position into `out`; without it `fieldHost` evaluates the jax-js field on `cpu`. */
  hostGradV?(q: ArrayLike<number>, out: Float64Array): void;
}

/** Harmonic potential V(q) = k |q|²/2 (k > 0 explicit). */
export function harmonicPotential(k: number): Potential {
  checkParam("harmonicPotential", "k", k);
  return {
    name: `harmonic(k=${k})`,
    V: (q) => np.sum(np.square(q), -1).mul(k / 2),
    gradV: (q) => q.mul(k),
    hostV: (q) => {
      let s = 0;
      for (let i = 0; i < q.length; i++) s += q[i]! * q[i]!;
      return (k / 2) * s;
    },
    hostGradV: (q, out) => {
      for (let i = 0; i < q.length; i++) out[i] = k * q[i]!;
    },
  };
}

export interface RelativisticParams {
  /** Rest mass m (default 1). */
  m?: number;
  /** Speed of light c (default 1). */
  c?: number;
  /** Spatial dimension n (default 1). */
  dof?: number;
  /** Potential V(q) (default harmonicPotential(1)). */
  potential?: Potential;
}

/**
 * Relativistic particle in a potential, x = [q, q̇] with |q̇| < c:
 * L = −m c² √(1 − |q̇|²/c²) − V(q); E = γ m c² + V(q), γ = 1/√(1 − |q̇|²/c²);
 * q̈ = (F − (F·q̇) q̇ / c²) / (γ m), F = −∇V. With c = 1: the LNN paper's L = −m√(1 − q̇²) − V(q).
 * States with |q̇| ≥ c have no real L: the jax-js functions return NaN, the host ones throw.
 */
export function relativisticParticle(params: RelativisticParams = {}): PhysicalSystem & { readonly potential: Potential } {
  const name = "relativistic-particle";
  const m = checkParam(name, "m", params.m ?? 1);
  const c = checkParam(name, "c", params.c ?? 1);
  const n = params.dof ?? 1;
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${name}: dof must be a positive integer, got ${n}`);
  const pot = params.potential ?? harmonicPotential(1);
  const c2 = c * c;
  const gradV = (q: JArray): JArray => (pot.gradV ? pot.gradV(q) : grad((qq: JArray) => np.sum(pot.V(qq)))(q));
  /** √(1 − |v|²/c²): [B, n] → [B, 1]. */
  const invGamma = (v: JArray): JArray => np.sqrt(np.sum(np.square(v), -1, { keepdims: true }).mul(-1 / c2).add(1));
  const speedCheck = (what: string, x: ArrayLike<number>): number => {
    let v2 = 0;
    for (let i = n; i < 2 * n; i++) v2 += x[i]! * x[i]!;
    if (!(v2 < c2)) throw new ConfigError(`${what}: speed |q̇| = ${Math.sqrt(v2)} must be below c = ${c}`);
    return v2;
  };
  const system: PhysicalSystem & { readonly potential: Potential } = {
    name,
    dof: n,
    dim: 2 * n,
    coordinates: "velocity",
    params: { m, c, dof: n },
    layout: n === 1 ? "[q, q̇]" : `[q (${n}), q̇ (${n})]`,
    potential: pot,
    lagrangian(q, qdot) {
      checkBatch(`${name}.lagrangian: q`, q, n);
      checkBatch(`${name}.lagrangian: qdot`, qdot, n);
      return np.sum(invGamma(qdot), -1).mul(-m * c2).sub(pot.V(q));
    },
    energy(x) {
      checkBatch(`${name}.energy: x`, x, 2 * n);
      const q = cols(x.ref, 0, n);
      const v = cols(x, n, 2 * n);
      return np.sum(np.reciprocal(invGamma(v)), -1).mul(m * c2).add(pot.V(q));
    },
    field(x) {
      checkBatch(`${name}.field: x`, x, 2 * n);
      const q = cols(x.ref, 0, n);
      const v = cols(x, n, 2 * n);
      const F = gradV(q).neg();
      const vF = np.sum(v.ref.mul(F.ref), -1, { keepdims: true });
      const a = F.sub(v.ref.mul(vF).mul(1 / c2)).mul(invGamma(v.ref)).mul(1 / m);
      return np.concatenate([v, a], -1);
    },
    fieldHost(x, dx) {
      const v2 = speedCheck(`${name}.fieldHost`, x);
      const F = new Float64Array(n);
      if (pot.hostGradV) {
        pot.hostGradV(Array.prototype.slice.call(x, 0, n) as number[], F);
      } else {
        const out = toFloat64(system.field(fromHost(x, [1, 2 * n], { dtype: "float64", device: "cpu" })));
        dx.set(out);
        return;
      }
      let vF = 0;
      for (let i = 0; i < n; i++) vF += x[n + i]! * -F[i]!;
      const ig = Math.sqrt(1 - v2 / c2);
      for (let i = 0; i < n; i++) {
        dx[i] = x[n + i]!;
        dx[n + i] = ((-F[i]! - (vF * x[n + i]!) / c2) * ig) / m;
      }
    },
    energyHost(x) {
      checkHost(`${name}.energyHost`, x, 2 * n);
      const v2 = speedCheck(`${name}.energyHost`, x);
      if (!pot.hostV) throw new ConfigError(`${name}.energyHost: the potential ${pot.name} has no hostV`);
      return (m * c2) / Math.sqrt(1 - v2 / c2) + pot.hostV(Array.prototype.slice.call(x, 0, n) as number[]);
    },
  };
  return system;
}
