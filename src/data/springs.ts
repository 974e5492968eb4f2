/**
 * The spring-dynamics data of LieConv (Finzi et al. 2020; lie_conv/datasets.py SpringDynamics):
 * n particles in ℝ², masses mᵢ = 3·U(0, 1) + 0.1, constants kᵢ ~ U(0, 5) with every pair coupled
 * by Kᵢⱼ = kᵢkⱼ, V = ½ Σᵢ Σⱼ Kᵢⱼ |qᵢ − qⱼ|² (over all ordered pairs), H = Σ|pᵢ|²/(2mᵢ) + V;
 * q₀ ~ 0.4·N(0, I), p₀ ~ 0.6·N(0, I). Trajectories by RK4 in float64 on the host (`substeps` per
 * record) — the dynamics are linear, so this is accurate to ~1e-12 at dt = 0.01.
 *
 * States are positions then momenta, particle-major: [q₀x, q₀y, q₁x, …, p₀x, p₀y, …] (length 4n).
 * Host-only, browser-safe.
 */
import { ConfigError } from "../core/errors.js";
import { hostNormal, hostRng } from "../core/rng.js";

/** Options of `springsDataset`. */
export interface SpringsOptions {
  /** Systems (trajectories). */
  systems: number;
  /** Particles (default 6). */
  particles?: number;
  /** Recorded steps after the initial state (default 500). */
  steps?: number;
  /** Time between records (default 0.01). */
  dt?: number;
  /** RK4 steps per record (default 4). */
  substeps?: number;
  seed: number;
}

/** A set of spring systems and their trajectories. */
export interface SpringsDataset {
  particles: number;
  systems: number;
  /** Records per trajectory (steps + 1). */
  points: number;
  dt: number;
  /** Masses [systems, n]. */
  masses: Float64Array;
  /** Spring constants kᵢ [systems, n]. */
  k: Float64Array;
  /** States [systems, points, 4n]. */
  states: Float64Array;
}

/** dx/dt of one spring system at x (length 4n) into dx. */
export function springField(
  x: ArrayLike<number>,
  m: ArrayLike<number>,
  k: ArrayLike<number>,
  n: number,
  dx: Float64Array,
): void {
  for (let i = 0; i < n; i++) {
    dx[2 * i] = x[2 * n + 2 * i]! / m[i]!;
    dx[2 * i + 1] = x[2 * n + 2 * i + 1]! / m[i]!;
    let fx = 0;
    let fy = 0;
    for (let j = 0; j < n; j++) {
      const K = 2 * k[i]! * k[j]!; // ∂/∂qᵢ of ½ΣᵢΣⱼ Kᵢⱼ|qᵢ − qⱼ|² = 2 Σⱼ Kᵢⱼ (qᵢ − qⱼ)
      fx -= K * (x[2 * i]! - x[2 * j]!);
      fy -= K * (x[2 * i + 1]! - x[2 * j + 1]!);
    }
    dx[2 * n + 2 * i] = fx;
    dx[2 * n + 2 * i + 1] = fy;
  }
}

/** The true energy H of one state x (length 4n). */
export function springEnergy(x: ArrayLike<number>, m: ArrayLike<number>, k: ArrayLike<number>, n: number): number {
  let T = 0;
  let V = 0;
  for (let i = 0; i < n; i++) {
    T += (x[2 * n + 2 * i]! ** 2 + x[2 * n + 2 * i + 1]! ** 2) / (2 * m[i]!);
    for (let j = 0; j < n; j++)
      V += 0.5 * k[i]! * k[j]! * ((x[2 * i]! - x[2 * j]!) ** 2 + (x[2 * i + 1]! - x[2 * j + 1]!) ** 2);
  }
  return T + V;
}

/** Integrates one system from x0 by RK4 (host float64): states [points, 4n]. */
export function springTrajectory(
  x0: ArrayLike<number>,
  m: ArrayLike<number>,
  k: ArrayLike<number>,
  n: number,
  steps: number,
  dt: number,
  substeps = 4,
): Float64Array {
  const D = 4 * n;
  const out = new Float64Array((steps + 1) * D);
  out.set(Array.from(x0).slice(0, D));
  const x = Float64Array.from(x0);
  const k1 = new Float64Array(D);
  const k2 = new Float64Array(D);
  const k3 = new Float64Array(D);
  const k4 = new Float64Array(D);
  const y = new Float64Array(D);
  const h = dt / substeps;
  for (let s = 1; s <= steps; s++) {
    for (let sub = 0; sub < substeps; sub++) {
      springField(x, m, k, n, k1);
      for (let i = 0; i < D; i++) y[i] = x[i]! + 0.5 * h * k1[i]!;
      springField(y, m, k, n, k2);
      for (let i = 0; i < D; i++) y[i] = x[i]! + 0.5 * h * k2[i]!;
      springField(y, m, k, n, k3);
      for (let i = 0; i < D; i++) y[i] = x[i]! + h * k3[i]!;
      springField(y, m, k, n, k4);
      for (let i = 0; i < D; i++) x[i] = x[i]! + (h / 6) * (k1[i]! + 2 * k2[i]! + 2 * k3[i]! + k4[i]!);
    }
    out.set(x, s * D);
  }
  return out;
}

/** Seeded spring systems and their trajectories (see the module comment for the distributions). */
export function springsDataset(opts: SpringsOptions): SpringsDataset {
  const n = opts.particles ?? 6;
  const steps = opts.steps ?? 500;
  const dt = opts.dt ?? 0.01;
  const S = opts.systems;
  if (!(Number.isInteger(S) && S >= 1))
    throw new ConfigError(`springsDataset: systems must be a positive integer, got ${S}`);
  if (!(Number.isInteger(n) && n >= 2))
    throw new ConfigError(`springsDataset: particles must be an integer ≥ 2, got ${n}`);
  if (!(Number.isInteger(steps) && steps >= 1))
    throw new ConfigError(`springsDataset: steps must be a positive integer, got ${steps}`);
  if (!(dt > 0 && Number.isFinite(dt))) throw new ConfigError(`springsDataset: dt must be finite and > 0, got ${dt}`);
  const rng = hostRng(opts.seed ^ 0x5b1e9);
  const D = 4 * n;
  const masses = new Float64Array(S * n);
  const k = new Float64Array(S * n);
  const states = new Float64Array(S * (steps + 1) * D);
  for (let s = 0; s < S; s++) {
    for (let i = 0; i < n; i++) {
      masses[s * n + i] = 3 * rng() + 0.1;
      k[s * n + i] = 5 * rng();
    }
    const z = hostNormal(D, rng);
    const x0 = new Float64Array(D);
    for (let i = 0; i < 2 * n; i++) {
      x0[i] = 0.4 * z[i]!;
      x0[2 * n + i] = 0.6 * z[2 * n + i]!;
    }
    const m = masses.subarray(s * n, (s + 1) * n);
    const kk = k.subarray(s * n, (s + 1) * n);
    states.set(springTrajectory(x0, m, kk, n, steps, dt, opts.substeps ?? 4), s * (steps + 1) * D);
  }
  return { particles: n, systems: S, points: steps + 1, dt, masses, k, states };
}

/**
 * Training chunks: every window of `len` + 1 consecutive records starting at multiples of `len`
 * (the paper's 5-step chunks): x0 [M, 4n], the next `len` states [M, len·4n], and each chunk's
 * system index [M].
 */
export function springChunks(
  data: SpringsDataset,
  len: number,
): { x0: Float64Array; targets: Float64Array; system: Int32Array; count: number } {
  const D = 4 * data.particles;
  const per = Math.floor((data.points - 1) / len);
  const M = per * data.systems;
  const x0 = new Float64Array(M * D);
  const targets = new Float64Array(M * len * D);
  const system = new Int32Array(M);
  let c = 0;
  for (let s = 0; s < data.systems; s++) {
    for (let w = 0; w < per; w++) {
      const base = (s * data.points + w * len) * D;
      x0.set(data.states.subarray(base, base + D), c * D);
      targets.set(data.states.subarray(base + D, base + (len + 1) * D), c * len * D);
      system[c] = s;
      c++;
    }
  }
  return { x0, targets, system, count: M };
}
