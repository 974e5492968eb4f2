/**
 * Graph-structured physics data, seeded and host-side (float64):
 *
 * - Mass–spring chains (the graph_nets physics demo): n masses of 1 kg in the plane linked in a
 *   chain by springs of 50 N/m whose rest length is the initial spacing, both ends fixed,
 *   gravity −10 m/s² along y. `simulateChain` steps it with the demo's semi-implicit Euler
 *   (v ← v + dt·F/m, x ← x + dt·v; dt 0.1); `chainField` is the continuous dynamics
 *   (for Hamiltonian models and RK4 ground truth) and `chainEnergy` its total energy.
 * - Charged particles (Kipf et al. 2018's simulator as used by EGNN, Satorras et al. 2021):
 *   5 particles in 3-D with charges ±1, Coulomb-like forces qᵢqⱼ(xᵢ − xⱼ)/r³ (clipped at
 *   |F| ≤ 0.1/dt per component, as the original), no box, dt 0.001; the task maps the state at
 *   frame 30 (3000 steps) to positions at frame 40 (1000 steps later).
 */
import { hostNormal, hostRng } from "../core/rng.js";
import { ConfigError } from "../core/errors.js";

/** A chain's constants: n masses, spring constant, rest length, gravity. */
export interface Chain {
  n: number;
  /** Rest length of every spring (= the initial spacing). */
  rest: number;
  /** Spring constant (default 50 N/m). */
  k: number;
  /** Mass of every node (default 1 kg). */
  mass: number;
  /** Gravitational acceleration along −y (default 10). */
  gravity: number;
}

/** A chain with the demo's constants. */
export function chain(n: number, rest = 1, o: { k?: number; mass?: number; gravity?: number } = {}): Chain {
  if (!(Number.isInteger(n) && n >= 2))
    throw new ConfigError(`chain: needs at least 2 masses (both ends fixed), got ${n}`);
  return { n, rest, k: o.k ?? 50, mass: o.mass ?? 1, gravity: o.gravity ?? 10 };
}

/** Accelerations of chain positions q [n·2] (ends fixed: zero). */
export function chainAccelerations(c: Chain, q: ArrayLike<number>, a: Float64Array): void {
  a.fill(0);
  for (let i = 0; i + 1 < c.n; i++) {
    const dx = q[2 * (i + 1)]! - q[2 * i]!;
    const dy = q[2 * (i + 1) + 1]! - q[2 * i + 1]!;
    const len = Math.hypot(dx, dy);
    const f = (c.k * (len - c.rest)) / (len > 0 ? len : 1);
    a[2 * i]! += (f * dx) / c.mass;
    a[2 * i + 1]! += (f * dy) / c.mass;
    a[2 * (i + 1)]! -= (f * dx) / c.mass;
    a[2 * (i + 1) + 1]! -= (f * dy) / c.mass;
  }
  for (let i = 0; i < c.n; i++) a[2 * i + 1]! -= c.gravity;
  a[0] = a[1] = a[2 * (c.n - 1)] = a[2 * (c.n - 1) + 1] = 0;
}

/** Initial chain state [q (n·2), v (n·2)]: masses evenly spaced on a line, interior ones nudged by N(0, noise²), at rest. */
export function chainInitialState(c: Chain, rng: () => number, noise = 0.1): Float64Array {
  const s = new Float64Array(4 * c.n);
  const z = hostNormal(2 * c.n, rng);
  for (let i = 0; i < c.n; i++) {
    const interior = i > 0 && i < c.n - 1;
    s[2 * i] = i * c.rest + (interior ? noise * z[2 * i]! : 0);
    s[2 * i + 1] = interior ? noise * z[2 * i + 1]! : 0;
  }
  return s;
}

/** The demo's simulator: `steps` semi-implicit Euler steps of size dt → states [steps + 1][4n] (flat). */
export function simulateChain(c: Chain, s0: ArrayLike<number>, dt: number, steps: number): Float64Array {
  const D = 4 * c.n;
  const out = new Float64Array((steps + 1) * D);
  out.set(Array.from(s0).slice(0, D), 0);
  const a = new Float64Array(2 * c.n);
  for (let t = 0; t < steps; t++) {
    const cur = out.subarray(t * D, (t + 1) * D);
    const nxt = out.subarray((t + 1) * D, (t + 2) * D);
    chainAccelerations(c, cur.subarray(0, 2 * c.n), a);
    for (let j = 0; j < 2 * c.n; j++) {
      const v = cur[2 * c.n + j]! + dt * a[j]!;
      nxt[2 * c.n + j] = v;
      nxt[j] = cur[j]! + dt * v;
    }
  }
  return out;
}

/**
 * Continuous chain dynamics for a host integrator on canonical states [q (2n), p (2n)]
 * (p = m·v): dq/dt = p/m, dp/dt = m·a(q); fixed ends stay put.
 */
export function chainField(c: Chain): (t: number, y: Float64Array, dy: Float64Array) => void {
  const a = new Float64Array(2 * c.n);
  const m = 2 * c.n;
  return (_t, y, dy) => {
    chainAccelerations(c, y.subarray(0, m), a);
    for (let j = 0; j < m; j++) {
      const fixed = j < 2 || j >= m - 2;
      dy[j] = fixed ? 0 : y[m + j]! / c.mass;
      dy[m + j] = fixed ? 0 : c.mass * a[j]!;
    }
  };
}

/** Total energy of a canonical chain state [q, p]: Σ p²/2m + Σ k(|Δq| − rest)²/2 + Σ m g y. */
export function chainEnergy(c: Chain, y: ArrayLike<number>): number {
  const m = 2 * c.n;
  let e = 0;
  for (let j = 0; j < m; j++) e += (y[m + j]! * y[m + j]!) / (2 * c.mass);
  for (let i = 0; i + 1 < c.n; i++) {
    const len = Math.hypot(y[2 * (i + 1)]! - y[2 * i]!, y[2 * (i + 1) + 1]! - y[2 * i + 1]!);
    e += 0.5 * c.k * (len - c.rest) ** 2;
  }
  for (let i = 0; i < c.n; i++) e += c.mass * c.gravity * y[2 * i + 1]!;
  return e;
}

/** One charged-particle system: initial positions and velocities [n·3] and charges [n]. */
export interface ChargedSample {
  /** Positions at the input frame [n·3]. */
  x: Float64Array;
  /** Velocities at the input frame [n·3]. */
  v: Float64Array;
  /** Charges ±1 [n]. */
  charges: Float64Array;
  /** Positions at the target frame [n·3]. */
  target: Float64Array;
}

/** Options of `chargedNBody`. */
export interface ChargedOptions {
  samples: number;
  seed: number;
  /** Particles (default 5). */
  n?: number;
  /** Simulator step (default 0.001). */
  dt?: number;
  /** Steps to the input frame (default 3000: frame 30 at 100 steps per frame). */
  inputStep?: number;
  /** Steps from the input to the target frame (default 1000). */
  horizon?: number;
}

/**
 * The EGNN n-body data: per sample, charges ±1 and initial positions N(0, 1), velocities of norm
 * 0.5 in a random direction per particle; simulated for inputStep steps (the input frame), then
 * `horizon` more (the target frame). Forces Σⱼ qᵢqⱼ(xᵢ − xⱼ)/‖xᵢ − xⱼ‖³ clipped to ±0.1/dt per
 * component; v ← v + dt·F, x ← x + dt·v.
 */
export function chargedNBody(o: ChargedOptions): ChargedSample[] {
  const n = o.n ?? 5;
  const dt = o.dt ?? 0.001;
  const inputStep = o.inputStep ?? 3000;
  const horizon = o.horizon ?? 1000;
  const maxF = 0.1 / dt;
  const rng = hostRng(o.seed);
  const out: ChargedSample[] = [];
  const F = new Float64Array(3 * n);
  for (let s = 0; s < o.samples; s++) {
    const charges = Float64Array.from({ length: n }, () => (rng() < 0.5 ? -1 : 1));
    const x = hostNormal(3 * n, rng);
    const v = hostNormal(3 * n, rng);
    for (let i = 0; i < n; i++) {
      const nv = Math.hypot(v[3 * i]!, v[3 * i + 1]!, v[3 * i + 2]!) || 1;
      for (let c = 0; c < 3; c++) v[3 * i + c] = (0.5 * v[3 * i + c]!) / nv;
    }
    let x0: Float64Array | null = null;
    let v0: Float64Array | null = null;
    for (let t = 0; t < inputStep + horizon; t++) {
      if (t === inputStep) {
        x0 = Float64Array.from(x);
        v0 = Float64Array.from(v);
      }
      F.fill(0);
      for (let i = 0; i < n; i++)
        for (let j = i + 1; j < n; j++) {
          const dx = x[3 * i]! - x[3 * j]!;
          const dy = x[3 * i + 1]! - x[3 * j + 1]!;
          const dz = x[3 * i + 2]! - x[3 * j + 2]!;
          const r2 = dx * dx + dy * dy + dz * dz;
          const f = (charges[i]! * charges[j]!) / (r2 * Math.sqrt(r2));
          F[3 * i]! += f * dx;
          F[3 * i + 1]! += f * dy;
          F[3 * i + 2]! += f * dz;
          F[3 * j]! -= f * dx;
          F[3 * j + 1]! -= f * dy;
          F[3 * j + 2]! -= f * dz;
        }
      for (let k = 0; k < 3 * n; k++) {
        v[k]! += dt * Math.max(-maxF, Math.min(maxF, F[k]!));
        x[k]! += dt * v[k]!;
      }
    }
    out.push({ x: x0 ?? Float64Array.from(x), v: v0 ?? Float64Array.from(v), charges, target: Float64Array.from(x) });
  }
  return out;
}
