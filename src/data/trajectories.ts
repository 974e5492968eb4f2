/**
 * Trajectory data generators matching the HNN (Greydanus et al. 2019) and LNN (Cranmer et al.
 * 2020) papers (independently sampled states for the LNN are in state-samples.ts). Everything is computed on the host in float64 (adaptive Dormand–Prince with
 * explicit tolerances), seeded with `hostRng`, and returned as flat row-major Float64Arrays
 * with their shapes; `toArrays` turns them into jax-js arrays.
 */
import type { Array as JArray, Device } from "../jax.js";
import { checkFinite, ConfigError, ShapeError } from "../core/errors.js";
import { fromHost } from "../core/host.js";
import type { FloatDtype } from "../core/engine.js";
import { hostNormal, hostRng } from "../core/rng.js";
import { dopri5Host } from "../physics/integrators.js";
import { massSpring, pendulum, twoBody, type PhysicalSystem } from "../physics/systems.js";

/** One split of a trajectory dataset; rows are trajectory-major: row = trajectory · points + point. */
export interface TrajectorySplit {
  /** Observed states (with noise) [n, dim]. */
  x: Float64Array;
  /** Clean states [n, dim]. */
  xTrue: Float64Array;
  /** True dx/dt at the clean states [n, dim]. */
  dx: Float64Array;
  /** True energy of the clean states [n]. */
  energy: Float64Array;
  /** Rows n = trajectories · points. */
  n: number;
  dim: number;
  trajectories: number;
  points: number;
}

/** A train/test trajectory dataset and the settings that made it. */
export interface TrajectoryDataset {
  /** The system's name. */
  system: string;
  dim: number;
  /** Sample times [points] (the same for every trajectory). */
  t: Float64Array;
  train: TrajectorySplit;
  test: TrajectorySplit;
  settings: Record<string, number | string | boolean | number[]>;
}

/** Integration tolerances of the ground-truth solver. */
export interface Tolerances {
  rtol: number;
  atol: number;
}

/** Evenly spaced times: [points] from t0 to t1 inclusive (NumPy's linspace). */
export function linspace(t0: number, t1: number, points: number): Float64Array {
  if (!Number.isInteger(points) || points < 1)
    throw new ConfigError(`linspace: points must be a positive integer, got ${points}`);
  const t = new Float64Array(points);
  for (let i = 0; i < points; i++) t[i] = points === 1 ? t0 : t0 + ((t1 - t0) * i) / (points - 1);
  return t;
}

/** Throws a ShapeError unless `data` holds whole states of length `dim`, NonFiniteError on NaN/Inf. */
export function checkStates(what: string, data: ArrayLike<number>, dim: number): number {
  if (data.length === 0 || data.length % dim !== 0) {
    throw new ShapeError(
      `${what}: expected states of dimension ${dim} (length a positive multiple of ${dim}), got length ${data.length}`,
    );
  }
  checkFinite(what, data);
  return data.length / dim;
}

/**
 * Ground-truth trajectories of `system` from initial states x0 ([B, dim] flat) at times t [T]
 * (t[0] is the start time): returns [B, T, dim] flat, by dopri5Host with the given tolerances.
 */
export function trueTrajectories(
  system: PhysicalSystem,
  x0: ArrayLike<number>,
  t: ArrayLike<number>,
  tol: Tolerances,
): Float64Array {
  const D = system.dim;
  const B = checkStates(`trueTrajectories(${system.name}): x0`, x0, D);
  const T = t.length;
  if (T < 1) throw new ConfigError("trueTrajectories: need at least one time");
  const out = new Float64Array(B * T * D);
  const f = (_t: number, y: Float64Array, dy: Float64Array) => system.fieldHost(y, dy);
  for (let b = 0; b < B; b++) {
    const y0 = Array.prototype.slice.call(x0, b * D, (b + 1) * D) as number[];
    if (T === 1) {
      out.set(y0, b * T * D);
      continue;
    }
    const r = dopri5Host(f, y0, t[T - 1]!, { ...tol, t0: t[0]!, tEval: t });
    out.set(r.y, b * T * D);
  }
  return out;
}

interface SimulateOptions extends Tolerances {
  seed: number;
  trajectories: number;
  t: Float64Array;
  /** Gaussian noise σ added to every observed coordinate. */
  noise: number;
  /** Number of test trajectories. */
  testCount: number;
  /** true: the first trajectories are the test split (HNN two-body); false: the last (HNN spring). */
  testFirst: boolean;
  sampleInitial: (rng: () => number) => Float64Array;
}

function emptySplit(dim: number, trajectories: number, points: number): TrajectorySplit {
  const n = trajectories * points;
  return {
    x: new Float64Array(n * dim),
    xTrue: new Float64Array(n * dim),
    dx: new Float64Array(n * dim),
    energy: new Float64Array(n),
    n,
    dim,
    trajectories,
    points,
  };
}

function simulate(system: PhysicalSystem, o: SimulateOptions): { train: TrajectorySplit; test: TrajectorySplit } {
  const D = system.dim;
  const P = o.t.length;
  const rng = hostRng(o.seed);
  const train = emptySplit(D, o.trajectories - o.testCount, P);
  const test = emptySplit(D, o.testCount, P);
  const dx = new Float64Array(D);
  for (let k = 0; k < o.trajectories; k++) {
    const y0 = o.sampleInitial(rng);
    const traj = trueTrajectories(system, y0, o.t, o);
    const noise = o.noise > 0 ? hostNormal(P * D, rng) : null;
    const isTest = o.testFirst ? k < o.testCount : k >= o.trajectories - o.testCount;
    const split = isTest ? test : train;
    const slot = isTest ? (o.testFirst ? k : k - (o.trajectories - o.testCount)) : o.testFirst ? k - o.testCount : k;
    for (let i = 0; i < P; i++) {
      const row = slot * P + i;
      const state = traj.subarray(i * D, (i + 1) * D);
      system.fieldHost(state, dx);
      split.xTrue.set(state, row * D);
      split.dx.set(dx, row * D);
      split.energy[row] = system.energyHost(state);
      for (let j = 0; j < D; j++) split.x[row * D + j] = state[j]! + (noise ? o.noise * noise[i * D + j]! : 0);
    }
  }
  return { train, test };
}

/** Throws unless `r` is a finite range lo ≤ hi (lo > 0 when `positive`). */
export function checkRange(what: string, r: readonly [number, number], positive = false): void {
  const [a, b] = r;
  if (!Number.isFinite(a) || !Number.isFinite(b) || !(a <= b) || (positive && !(a > 0))) {
    throw new ConfigError(
      `${what}: expected a finite range [lo, hi] with lo ≤ hi${positive ? " and lo > 0" : ""}, got [${a}, ${b}]`,
    );
  }
}

/** Throws unless `v` is an integer ≥ `min`. */
export function checkCount(what: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new ConfigError(`${what}: expected an integer ≥ ${min}, got ${v}`);
}

function checkNonNegative(what: string, v: number): void {
  if (!Number.isFinite(v) || v < 0) throw new ConfigError(`${what}: expected a finite number ≥ 0, got ${v}`);
}

/** Options of the HNN spring/pendulum generators (defaults in each generator's doc). */
export interface RadialDatasetOptions {
  seed?: number;
  /** The system (must be canonical with dim 2 for the paper's sampling); default per generator. */
  system?: PhysicalSystem;
  trajectories?: number;
  /** Fraction of trajectories held out (the last ones, as in the HNN repo). */
  testFraction?: number;
  tSpan?: [number, number];
  points?: number;
  /** Initial radius |x0| ~ U(radius[0], radius[1]); direction uniform-in-square then normalised (as in the repo). */
  radius?: [number, number];
  /** Gaussian σ added to observed q and p. */
  noise?: number;
  rtol?: number;
  atol?: number;
}

function radialDataset(
  name: string,
  defaults: Required<Omit<RadialDatasetOptions, "system">> & { system: PhysicalSystem },
  o: RadialDatasetOptions,
): TrajectoryDataset {
  const s = {
    ...defaults,
    ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)),
  } as typeof defaults;
  const system = s.system;
  if (system.coordinates !== "canonical")
    throw new ConfigError(`${name}: expected a canonical system, got ${system.name} (${system.coordinates})`);
  checkCount(`${name}: trajectories`, s.trajectories, 1);
  checkCount(`${name}: points`, s.points, 2);
  checkRange(`${name}: radius`, s.radius, true);
  checkRange(`${name}: tSpan`, s.tSpan);
  checkNonNegative(`${name}: noise`, s.noise);
  if (!(s.testFraction >= 0 && s.testFraction <= 1))
    throw new ConfigError(`${name}: testFraction must be in [0, 1], got ${s.testFraction}`);
  if (!Number.isInteger(s.seed)) throw new ConfigError(`${name}: seed must be an integer, got ${s.seed}`);
  const D = system.dim;
  const t = linspace(s.tSpan[0], s.tSpan[1], s.points);
  const testCount = Math.floor(s.trajectories * s.testFraction);
  const { train, test } = simulate(system, {
    seed: s.seed,
    trajectories: s.trajectories,
    t,
    noise: s.noise,
    testCount,
    testFirst: false,
    rtol: s.rtol,
    atol: s.atol,
    sampleInitial: (rng) => {
      const y0 = new Float64Array(D);
      let r2 = 0;
      for (let j = 0; j < D; j++) {
        y0[j] = rng() * 2 - 1;
        r2 += y0[j]! * y0[j]!;
      }
      const radius = s.radius[0] + (s.radius[1] - s.radius[0]) * rng();
      const scale = radius / Math.sqrt(r2);
      for (let j = 0; j < D; j++) y0[j]! *= scale;
      return y0;
    },
  });
  return {
    system: system.name,
    dim: D,
    t,
    train,
    test,
    settings: {
      seed: s.seed,
      trajectories: s.trajectories,
      testFraction: s.testFraction,
      tSpan: [...s.tSpan],
      points: s.points,
      radius: [...s.radius],
      noise: s.noise,
      rtol: s.rtol,
      atol: s.atol,
      ...Object.fromEntries(Object.entries(system.params).map(([k, v]) => [`param.${k}`, v])),
    },
  };
}

/**
 * HNN ideal-spring data: 50 trajectories of H = q² + p² (massSpring()), the last 25 held out;
 * t = linspace(0, 3, 30); |x0| ~ U(0.1, 1.0); noise σ = 0.05 on q and p; dx/dt exact at the
 * clean states; ground truth by DOPRI5 with rtol = atol = 1e-10. All overridable.
 */
export function springDataset(o: RadialDatasetOptions = {}): TrajectoryDataset {
  return radialDataset(
    "springDataset",
    {
      seed: 0,
      system: massSpring(),
      trajectories: 50,
      testFraction: 0.5,
      tSpan: [0, 3],
      points: 30,
      radius: [0.1, 1.0],
      noise: 0.05,
      rtol: 1e-10,
      atol: 1e-10,
    },
    o,
  );
}

/**
 * HNN ideal-pendulum data: 50 trajectories of H = 2(1 − cos q) + p² (pendulum()), the last 25 held
 * out; t = linspace(0, 3, 45); |x0| ~ U(0.2, 2.0) (the paper; the repo uses U(1.3, 2.3) with
 * H = 3(1 − cos q) + p²); noise σ = 0.05; DOPRI5 rtol = atol = 1e-10. All overridable.
 */
export function pendulumDataset(o: RadialDatasetOptions = {}): TrajectoryDataset {
  return radialDataset(
    "pendulumDataset",
    {
      seed: 0,
      system: pendulum(),
      trajectories: 50,
      testFraction: 0.5,
      tSpan: [0, 3],
      points: 45,
      radius: [0.2, 2.0],
      noise: 0.05,
      rtol: 1e-10,
      atol: 1e-10,
    },
    o,
  );
}

/** Options of `twoBodyDataset`. */
export interface TwoBodyDatasetOptions {
  seed?: number;
  /** Masses and G (default twoBody(): m1 = m2 = G = 1). */
  system?: ReturnType<typeof twoBody>;
  /** Number of orbits (default 1000). */
  trials?: number;
  /** States per orbit (default 50). */
  points?: number;
  tSpan?: [number, number];
  /** Relative Gaussian perturbation of the circular-orbit speed (default 0.05). */
  orbitNoise?: number;
  /** Each coordinate of body 1's position ~ U(minRadius, maxRadius) (default 0.5, 1.5), as in the repo. */
  minRadius?: number;
  maxRadius?: number;
  /** Fraction of orbits held out, the first ones as in the repo (default 0.2). */
  testFraction?: number;
  /** Gaussian σ on observed states (default 0: the repo adds none). */
  noise?: number;
  rtol?: number;
  atol?: number;
}

/**
 * HNN two-body data, following the repo's experiment-2body/data.py: per orbit, body 1's position
 * has each coordinate ~ U(0.5, 1.5) (so |r| ∈ [0.71, 2.12], first quadrant), velocities make a
 * circular orbit about the centre of mass, scaled by (1 + 0.05·N(0,1)); 1000 orbits, 50 states
 * on linspace(0, 20, 50), first 20% of orbits held out; DOPRI5 rtol = 1e-9 (repo), atol = 1e-9.
 * State layout [x1, x2, y1, y2, px1, px2, py1, py2] (p = m v). Masses/G general: positions
 * r1 = d m2/M, r2 = −d m1/M with d = 2·pos, relative speed √(G M/|d|).
 */
export function twoBodyDataset(o: TwoBodyDatasetOptions = {}): TrajectoryDataset {
  const name = "twoBodyDataset";
  const system = o.system ?? twoBody();
  if (system.dim !== 8 || system.name !== "two-body")
    throw new ConfigError(`${name}: expected a twoBody() system, got ${system.name}`);
  const seed = o.seed ?? 0;
  const trials = o.trials ?? 1000;
  const points = o.points ?? 50;
  const tSpan = o.tSpan ?? [0, 20];
  const orbitNoise = o.orbitNoise ?? 0.05;
  const minRadius = o.minRadius ?? 0.5;
  const maxRadius = o.maxRadius ?? 1.5;
  const testFraction = o.testFraction ?? 0.2;
  const noise = o.noise ?? 0;
  const rtol = o.rtol ?? 1e-9;
  const atol = o.atol ?? 1e-9;
  if (!Number.isInteger(seed)) throw new ConfigError(`${name}: seed must be an integer, got ${seed}`);
  checkCount(`${name}: trials`, trials, 1);
  checkCount(`${name}: points`, points, 2);
  checkRange(`${name}: tSpan`, tSpan);
  checkRange(`${name}: [minRadius, maxRadius]`, [minRadius, maxRadius], true);
  checkNonNegative(`${name}: orbitNoise`, orbitNoise);
  checkNonNegative(`${name}: noise`, noise);
  if (!(testFraction >= 0 && testFraction <= 1))
    throw new ConfigError(`${name}: testFraction must be in [0, 1], got ${testFraction}`);
  const { m1, m2, G } = system.params as { m1: number; m2: number; G: number };
  const M = m1 + m2;
  const t = linspace(tSpan[0], tSpan[1], points);
  const testCount = Math.floor(trials * testFraction);
  const { train, test } = simulate(system, {
    seed,
    trajectories: trials,
    t,
    noise,
    testCount,
    testFirst: true,
    rtol,
    atol,
    sampleInitial: (rng) => {
      const px = rng() * (maxRadius - minRadius) + minRadius;
      const py = rng() * (maxRadius - minRadius) + minRadius;
      const dist = 2 * Math.hypot(px, py); // separation |r1 − r2|
      const vrel = Math.sqrt((G * M) / dist) * (1 + orbitNoise * hostNormal(1, rng)[0]!);
      const ux = -py / Math.hypot(px, py); // counter-clockwise tangent
      const uy = px / Math.hypot(px, py);
      const dx = 2 * px,
        dy = 2 * py;
      const v1 = (vrel * m2) / M,
        v2 = (-vrel * m1) / M;
      return Float64Array.from([
        (dx * m2) / M,
        (-dx * m1) / M,
        (dy * m2) / M,
        (-dy * m1) / M,
        m1 * v1 * ux,
        m2 * v2 * ux,
        m1 * v1 * uy,
        m2 * v2 * uy,
      ]);
    },
  });
  return {
    system: system.name,
    dim: 8,
    t,
    train,
    test,
    settings: {
      seed,
      trials,
      points,
      tSpan: [...tSpan],
      orbitNoise,
      minRadius,
      maxRadius,
      testFraction,
      noise,
      rtol,
      atol,
      m1,
      m2,
      G,
    },
  };
}

/** A trajectory split as jax-js arrays: { x: [n, dim] (observed), dx: [n, dim] }. */
export function toArrays(
  split: TrajectorySplit,
  opts: { dtype?: FloatDtype; device?: Device } = {},
): { x: JArray; dx: JArray } {
  return {
    x: fromHost(split.x, [split.n, split.dim], { ...opts, what: "toArrays: x", finite: true }),
    dx: fromHost(split.dx, [split.n, split.dim], { ...opts, what: "toArrays: dx", finite: true }),
  };
}

/** Trajectory k of a split as a view [points, dim] (flat) of x, xTrue (default) or dx. */
export function trajectoryRows(split: TrajectorySplit, k: number, which: "x" | "xTrue" | "dx" = "xTrue"): Float64Array {
  if (!Number.isInteger(k) || k < 0 || k >= split.trajectories)
    throw new ConfigError(`trajectoryRows: trajectory ${k} out of range [0, ${split.trajectories})`);
  const P = split.points * split.dim;
  return split[which].subarray(k * P, (k + 1) * P);
}
