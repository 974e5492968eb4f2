/**
 * ODE integrators for autonomous vector fields dx/dt = f(x).
 *
 * - jax-js versions work on batched states [B, D] and are differentiable (rk4, leapfrog; dopri5
 *   reads its error estimate on the host to choose steps, so it runs eagerly and is not meant
 *   to be traced by grad/jit — use it for ground truth).
 * - Host versions (`rk4Host`, `dopri5Host`) work on one Float64Array state and a host field
 *   `(t, y, dy) => void`; they generate the paper-size datasets in well under a second.
 *
 * Every step size is explicit (rk4/leapfrog take dt; dopri5 takes rtol and atol). jax-js eager
 * ops are lazy: an unread chain of thousands of steps builds a graph whose cost grows faster
 * than linearly, so the multi-step loops read each concrete (non-traced) state every
 * `syncEvery` steps (default 1). Caution: under `jit`, jax-js 0.1.25 rounds JavaScript number
 * constants to float32 even in float64 programs; the eager loops here are exact in float64.
 */
import { Array as JArrayClass, numpy as np, type Array as JArray } from "../jax.js";
import { checkShape, ConfigError, NoetherError, NonFiniteError } from "../core/errors.js";
import type { SeparableSplit } from "./systems.js";

/** A batched autonomous vector field: x [B, D] → dx/dt [B, D] (consumes x). */
export type Field = (x: JArray) => JArray;

/** A host vector field on one state: writes dy/dt at (t, y) into dy. */
export type HostField = (t: number, y: Float64Array, dy: Float64Array) => void;

/** Options of the fixed-step jax-js loops. */
export interface StepLoopOptions {
  /** Read (materialise) each concrete state every this many steps; 0 never (default 1). */
  syncEvery?: number;
}

/** Thrown when an adaptive integrator cannot meet its tolerance (step underflow or too many steps). */
export class IntegrationError extends NoetherError {}

function checkDt(what: string, dt: number): void {
  if (!Number.isFinite(dt) || dt === 0) throw new ConfigError(`${what}: dt must be a finite non-zero number, got ${dt}`);
}

function checkSteps(what: string, steps: number): void {
  if (!Number.isInteger(steps) || steps < 0) throw new ConfigError(`${what}: steps must be a non-negative integer, got ${steps}`);
}

function checkState(what: string, x: JArray): void {
  if (x.shape.length !== 2) throw new ConfigError(`${what}: expected a batch of states [B, D], got shape [${x.shape.join(", ")}]`);
}

/** Materialises a concrete array so lazy graphs stay short (no-op for grad/jit tracers). */
function realise(x: JArray): void {
  if (x instanceof JArrayClass) x.ref.dataSync();
}

function syncer(opts: StepLoopOptions | undefined): (i: number, xs: JArray[]) => void {
  const every = opts?.syncEvery ?? 1;
  if (!Number.isInteger(every) || every < 0) throw new ConfigError(`syncEvery must be a non-negative integer, got ${every}`);
  return (i, xs) => {
    if (every > 0 && (i + 1) % every === 0) for (const x of xs) realise(x);
  };
}

// ---------------------------------------------------------------------------------------------
// RK4

/** One classical Runge–Kutta step: x + dt/6 (k1 + 2k2 + 2k3 + k4); x [B, D] → [B, D] (consumes x). */
export function rk4Step(field: Field, x: JArray, dt: number): JArray {
  const k1 = field(x.ref);
  checkShape("rk4Step: field(x)", k1.shape, x.shape);
  const k2 = field(x.ref.add(k1.ref.mul(dt / 2)));
  const k3 = field(x.ref.add(k2.ref.mul(dt / 2)));
  const k4 = field(x.ref.add(k3.ref.mul(dt)));
  return x.add(k1.add(k2.add(k3).mul(2)).add(k4).mul(dt / 6));
}

/** RK4 for `steps` steps of size dt: x0 [B, D] → x(t0 + steps·dt) [B, D] (consumes x0). Global error O(dt⁴). */
export function rk4(field: Field, x0: JArray, dt: number, steps: number, opts?: StepLoopOptions): JArray {
  checkDt("rk4", dt);
  checkSteps("rk4", steps);
  checkState("rk4: x0", x0);
  const sync = syncer(opts);
  let x = x0;
  for (let i = 0; i < steps; i++) {
    x = rk4Step(field, x, dt);
    sync(i, [x]);
  }
  return x;
}

/** RK4 keeping every state: x0 [B, D] → steps + 1 arrays [B, D] (x0 first; consumes x0). */
export function rk4Trajectory(field: Field, x0: JArray, dt: number, steps: number, opts?: StepLoopOptions): JArray[] {
  checkDt("rk4Trajectory", dt);
  checkSteps("rk4Trajectory", steps);
  checkState("rk4Trajectory: x0", x0);
  const sync = syncer(opts);
  const out = [x0];
  let x = x0;
  for (let i = 0; i < steps; i++) {
    x = rk4Step(field, x.ref, dt);
    sync(i, [x]);
    out.push(x);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Leapfrog / Störmer–Verlet (kick–drift–kick) for separable H = T(p) + V(q), x = [q, p]

interface LeapfrogState {
  q: JArray;
  p: JArray;
  /** ∂V/∂q at q. */
  a: JArray;
}

function splitState(what: string, x: JArray, split: SeparableSplit): LeapfrogState {
  checkState(what, x);
  const D = x.shape[1]!;
  if (D % 2 !== 0) throw new ConfigError(`${what}: a state [q, p] needs an even dimension, got ${D}`);
  const n = D / 2;
  const q = x.ref.slice([], [0, n]);
  const p = x.slice([], [n, D]);
  const a = split.dVdq(q.ref);
  checkShape(`${what}: dVdq(q)`, a.shape, q.shape);
  return { q, p, a };
}

function leapfrogAdvance(split: SeparableSplit, s: LeapfrogState, dt: number): LeapfrogState {
  const pHalf = s.p.sub(s.a.mul(dt / 2));
  const q = s.q.add(split.dTdp(pHalf.ref).mul(dt));
  const a = split.dVdq(q.ref);
  const p = pHalf.sub(a.ref.mul(dt / 2));
  return { q, p, a };
}

/**
 * One Störmer–Verlet step for separable H, x = [q, p] [B, 2n] (consumes x):
 * p½ = p − dt/2 ∂V/∂q(q); q' = q + dt ∂T/∂p(p½); p' = p½ − dt/2 ∂V/∂q(q'). Symplectic, order 2.
 */
export function leapfrogStep(split: SeparableSplit, x: JArray, dt: number): JArray {
  const s = leapfrogAdvance(split, splitState("leapfrogStep: x", x, split), dt);
  s.a.dispose();
  return np.concatenate([s.q, s.p], -1);
}

/** Störmer–Verlet for `steps` steps: x0 = [q, p] [B, 2n] → [B, 2n] (consumes x0); one ∂V/∂q per step. */
export function leapfrog(split: SeparableSplit, x0: JArray, dt: number, steps: number, opts?: StepLoopOptions): JArray {
  checkDt("leapfrog", dt);
  checkSteps("leapfrog", steps);
  const sync = syncer(opts);
  let s = splitState("leapfrog: x0", x0, split);
  for (let i = 0; i < steps; i++) {
    s = leapfrogAdvance(split, s, dt);
    sync(i, [s.q, s.p, s.a]);
  }
  s.a.dispose();
  return np.concatenate([s.q, s.p], -1);
}

/** Störmer–Verlet keeping every state: x0 [B, 2n] → steps + 1 arrays [B, 2n] (x0 first; consumes x0). */
export function leapfrogTrajectory(split: SeparableSplit, x0: JArray, dt: number, steps: number, opts?: StepLoopOptions): JArray[] {
  checkDt("leapfrogTrajectory", dt);
  checkSteps("leapfrogTrajectory", steps);
  const sync = syncer(opts);
  let s = splitState("leapfrogTrajectory: x0", x0.ref, split);
  const out = [x0];
  for (let i = 0; i < steps; i++) {
    s = leapfrogAdvance(split, s, dt);
    sync(i, [s.q, s.p, s.a]);
    out.push(np.concatenate([s.q.ref, s.p.ref], -1));
  }
  s.q.dispose();
  s.p.dispose();
  s.a.dispose();
  return out;
}

// ---------------------------------------------------------------------------------------------
// Dormand–Prince 5(4)

/** Dormand–Prince tableau: nodes c, stage weights a (rows 2..7), and error weights e = b5 − b4. */
const DP_C = [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1];
const DP_A: number[][] = [
  [],
  [1 / 5],
  [3 / 40, 9 / 40],
  [44 / 45, -56 / 15, 32 / 9],
  [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
  [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
  [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
];
const DP_E = [71 / 57600, 0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40];

/** Options of the adaptive Dormand–Prince 5(4) integrators. */
export interface Dopri5Options {
  /** Relative tolerance per component (required). */
  rtol: number;
  /** Absolute tolerance per component (required). */
  atol: number;
  /** Start time (default 0). */
  t0?: number;
  /** Increasing output times in [t0, t1] (default [t1]); steps are clipped to land on each exactly. */
  tEval?: ArrayLike<number>;
  /** First step size (default: Hairer's starting-step heuristic). */
  h0?: number;
  /** Largest step size (default t1 − t0). */
  hMax?: number;
  /** Give up after this many attempted steps (default 1e6). */
  maxSteps?: number;
}

/** Step statistics of an adaptive solve. */
export interface Dopri5Stats {
  /** Accepted steps. */
  steps: number;
  /** Rejected steps. */
  rejected: number;
  /** Field evaluations. */
  nfev: number;
}

interface Plan {
  t0: number;
  t1: number;
  tEval: Float64Array;
  rtol: number;
  atol: number;
  hMax: number;
  maxSteps: number;
}

function plan(what: string, t1: number, o: Dopri5Options): Plan {
  const t0 = o.t0 ?? 0;
  if (!Number.isFinite(t0) || !Number.isFinite(t1) || !(t1 > t0)) {
    throw new ConfigError(`${what}: need finite t0 < t1, got t0 = ${t0}, t1 = ${t1}`);
  }
  for (const [k, v] of [["rtol", o.rtol], ["atol", o.atol]] as const) {
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new ConfigError(`${what}: ${k} must be a finite number ≥ 0, got ${v}`);
  }
  if (!(o.rtol > 0 || o.atol > 0)) throw new ConfigError(`${what}: rtol and atol cannot both be 0`);
  const tEval = Float64Array.from(o.tEval ?? [t1]);
  for (let i = 0; i < tEval.length; i++) {
    const t = tEval[i]!;
    if (!(t >= t0 && t <= t1) || (i > 0 && !(t > tEval[i - 1]!))) {
      throw new ConfigError(`${what}: tEval must be strictly increasing within [t0, t1] = [${t0}, ${t1}]; bad value ${t} at index ${i}`);
    }
  }
  const hMax = o.hMax ?? t1 - t0;
  if (!(hMax > 0)) throw new ConfigError(`${what}: hMax must be positive, got ${hMax}`);
  const maxSteps = o.maxSteps ?? 1e6;
  return { t0, t1, tEval, rtol: o.rtol, atol: o.atol, hMax, maxSteps };
}

/**
 * RMS of e/(atol + rtol·max(|y0|, |y1|)) per row of a [rows, D] buffer, maximum over rows
 * (so every trajectory in a batch meets the tolerance).
 */
function errNorm(e: ArrayLike<number>, y0: ArrayLike<number>, y1: ArrayLike<number>, D: number, rtol: number, atol: number): number {
  let worst = 0;
  const rows = e.length / D;
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = r * D; j < (r + 1) * D; j++) {
      const sc = atol + rtol * Math.max(Math.abs(y0[j]!), Math.abs(y1[j]!));
      const v = e[j]! / sc;
      s += v * v;
    }
    const n = Math.sqrt(s / D);
    if (!(n <= worst)) worst = n; // NaN propagates
  }
  return worst;
}

/** Hairer–Nørsett–Wanner starting step (Solving ODEs I, II.4), from y0, f0 and f(y0 + h0 f0). */
function startingStep(
  y0: ArrayLike<number>,
  f0: ArrayLike<number>,
  D: number,
  p: Plan,
  evalAt: (h: number) => ArrayLike<number>,
): number {
  const norm = (v: (j: number) => number) => {
    let worst = 0;
    for (let r = 0; r < y0.length / D; r++) {
      let s = 0;
      for (let j = r * D; j < (r + 1) * D; j++) s += v(j) ** 2;
      worst = Math.max(worst, Math.sqrt(s / D));
    }
    return worst;
  };
  const sc = (j: number) => p.atol + p.rtol * Math.abs(y0[j]!);
  const d0 = norm((j) => y0[j]! / sc(j));
  const d1 = norm((j) => f0[j]! / sc(j));
  const h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : (0.01 * d0) / d1;
  const f1 = evalAt(h0);
  const d2 = norm((j) => (f1[j]! - f0[j]!) / sc(j)) / h0;
  const h1 = Math.max(d1, d2) <= 1e-15 ? Math.max(1e-6, h0 * 1e-3) : (0.01 / Math.max(d1, d2)) ** (1 / 5);
  return Math.min(100 * h0, h1, p.hMax, p.t1 - p.t0);
}

/** Step-size factor after a step with error norm err (order 5 error estimate of order 4). */
function stepFactor(err: number, rejectedBefore: boolean): number {
  const f = err === 0 ? 10 : Math.min(10, Math.max(0.2, 0.9 * err ** (-1 / 5)));
  return rejectedBefore ? Math.min(1, f) : f;
}

/** Result of `dopri5Host`. */
export interface Dopri5HostResult extends Dopri5Stats {
  /** Output times [T]. */
  t: Float64Array;
  /** States at the output times, row-major [T, D]. */
  y: Float64Array;
}

/**
 * Adaptive Dormand–Prince 5(4) on the host in float64 for one state y0 (length D), from t0 to t1,
 * returning y at tEval as [T, D]. Error per step: RMS of err/(atol + rtol·|y|) ≤ 1.
 */
export function dopri5Host(f: HostField, y0: ArrayLike<number>, t1: number, opts: Dopri5Options): Dopri5HostResult {
  const p = plan("dopri5Host", t1, opts);
  const D = y0.length;
  if (D === 0) throw new ConfigError("dopri5Host: empty state");
  let y = Float64Array.from(y0);
  for (let j = 0; j < D; j++) {
    if (!Number.isFinite(y[j]!)) throw new NonFiniteError(`dopri5Host: y0 has ${y[j]} at index ${j}`);
  }
  const k = Array.from({ length: 7 }, () => new Float64Array(D));
  let yNew = new Float64Array(D);
  const ytmp = new Float64Array(D);
  const err = new Float64Array(D);
  const out = new Float64Array(p.tEval.length * D);
  let nfev = 0;
  let steps = 0;
  let rejected = 0;
  let t = p.t0;
  let next = 0;
  while (next < p.tEval.length && p.tEval[next] === t) out.set(y, D * next++);
  f(t, y, k[0]!);
  nfev++;
  for (let j = 0; j < D; j++) {
    if (!Number.isFinite(k[0]![j]!)) throw new NonFiniteError(`dopri5Host: the field at t0 = ${t} has ${k[0]![j]} at index ${j}`);
  }
  let h = opts.h0 ?? startingStep(y, k[0]!, D, p, (hh) => {
    for (let j = 0; j < D; j++) ytmp[j] = y[j]! + hh * k[0]![j]!;
    const f1 = new Float64Array(D);
    f(t + hh, ytmp, f1);
    nfev++;
    return f1;
  });
  if (!(h > 0)) throw new ConfigError(`dopri5Host: h0 must be positive, got ${h}`);
  let lastRejected = false;
  while (next < p.tEval.length) {
    if (steps + rejected >= p.maxSteps) throw new IntegrationError(`dopri5Host: more than ${p.maxSteps} steps before t = ${p.tEval[next]} (at t = ${t})`);
    const target = p.tEval[next]!;
    const hStep = Math.min(h, target - t);
    for (let s = 1; s < 7; s++) {
      const a = DP_A[s]!;
      for (let j = 0; j < D; j++) {
        let acc = 0;
        for (let i = 0; i < s; i++) acc += a[i]! * k[i]![j]!;
        ytmp[j] = y[j]! + hStep * acc;
      }
      if (s === 6) yNew.set(ytmp);
      f(t + DP_C[s]! * hStep, s === 6 ? yNew : ytmp, k[s]!);
      nfev++;
    }
    for (let j = 0; j < D; j++) {
      let acc = 0;
      for (let i = 0; i < 7; i++) acc += DP_E[i]! * k[i]![j]!;
      err[j] = hStep * acc;
    }
    const en = errNorm(err, y, yNew, D, p.rtol, p.atol);
    if (!Number.isFinite(en)) {
      throw new NonFiniteError(`dopri5Host: non-finite state or error estimate at t = ${t} (step ${hStep})`);
    }
    const factor = stepFactor(en, lastRejected);
    if (en <= 1) {
      t = hStep === target - t ? target : t + hStep;
      const tmp = y;
      y = yNew;
      yNew = tmp;
      const k0 = k[0]!;
      k[0] = k[6]!; // first-same-as-last
      k[6] = k0;
      steps++;
      lastRejected = false;
      // A step clipped to an output time does not shrink the next one.
      h = Math.min(p.hMax, Math.max(h, hStep) * (hStep < h ? 1 : factor));
      while (next < p.tEval.length && p.tEval[next]! <= t) out.set(y, D * next++);
    } else {
      rejected++;
      lastRejected = true;
      h = hStep * factor;
      if (h < 1e-14 * Math.max(1, Math.abs(t))) throw new IntegrationError(`dopri5Host: step size underflow at t = ${t}`);
    }
  }
  return { t: p.tEval, y: out, steps, rejected, nfev };
}

/** Result of the jax-js `dopri5`. */
export interface Dopri5Result extends Dopri5Stats {
  /** Output times [T]. */
  t: Float64Array;
  /** States at the output times, T arrays [B, D]. */
  y: JArray[];
}

/**
 * Adaptive Dormand–Prince 5(4) over a batch x0 [B, D] (consumed) with jax-js ops, one step size
 * for the whole batch (each row must meet RMS err/(atol + rtol·|y|) ≤ 1). Step control reads
 * the error on the host each step: run eagerly, not under grad/jit.
 */
export function dopri5(field: Field, x0: JArray, t1: number, opts: Dopri5Options): Dopri5Result {
  const p = plan("dopri5", t1, opts);
  checkState("dopri5: x0", x0);
  const D = x0.shape[1]!;
  let y = x0;
  let yHost = Float64Array.from(y.ref.dataSync() as ArrayLike<number>);
  for (let j = 0; j < yHost.length; j++) {
    if (!Number.isFinite(yHost[j]!)) throw new NonFiniteError(`dopri5: x0 has ${yHost[j]} at flat index ${j}`);
  }
  const out: JArray[] = [];
  let nfev = 0;
  let steps = 0;
  let rejected = 0;
  let t = p.t0;
  let next = 0;
  while (next < p.tEval.length && p.tEval[next] === t) {
    out.push(y.ref);
    next++;
  }
  let k0 = field(y.ref);
  checkShape("dopri5: field(x)", k0.shape, y.shape);
  nfev++;
  const f0Host = Float64Array.from(k0.ref.dataSync() as ArrayLike<number>);
  for (let j = 0; j < f0Host.length; j++) {
    if (!Number.isFinite(f0Host[j]!)) {
      k0.dispose();
      y.dispose();
      throw new NonFiniteError(`dopri5: the field at x0 has ${f0Host[j]} at flat index ${j}`);
    }
  }
  let h =
    opts.h0 ??
    startingStep(yHost, f0Host, D, p, (hh) => {
      nfev++;
      return field(y.ref.add(k0.ref.mul(hh))).dataSync() as ArrayLike<number>;
    });
  if (!(h > 0)) throw new ConfigError(`dopri5: h0 must be positive, got ${h}`);
  let lastRejected = false;
  const comb = (ks: JArray[], w: number[], scale: number): JArray | null => {
    let acc: JArray | null = null;
    for (let i = 0; i < w.length; i++) {
      const c = w[i]!;
      if (c === 0) continue;
      const term = ks[i]!.ref.mul(c * scale);
      acc = acc === null ? term : acc.add(term);
    }
    return acc;
  };
  try {
    while (next < p.tEval.length) {
      if (steps + rejected >= p.maxSteps) throw new IntegrationError(`dopri5: more than ${p.maxSteps} steps before t = ${p.tEval[next]} (at t = ${t})`);
      const target = p.tEval[next]!;
      const hStep = Math.min(h, target - t);
      const ks: JArray[] = [k0.ref];
      let yNew: JArray | null = null;
      for (let s = 1; s < 7; s++) {
        const ys = y.ref.add(comb(ks, DP_A[s]!, hStep)!);
        if (s === 6) yNew = ys.ref;
        ks.push(field(ys));
        nfev++;
      }
      const e = comb(ks, DP_E, hStep)!;
      const eHost = e.dataSync() as ArrayLike<number>;
      const yNewHost = Float64Array.from(yNew!.ref.dataSync() as ArrayLike<number>);
      const en = errNorm(eHost, yHost, yNewHost, D, p.rtol, p.atol);
      if (!Number.isFinite(en)) {
        for (const k of ks) k.dispose();
        yNew!.dispose();
        throw new NonFiniteError(`dopri5: non-finite state or error estimate at t = ${t} (step ${hStep})`);
      }
      const factor = stepFactor(en, lastRejected);
      if (en <= 1) {
        t = hStep === target - t ? target : t + hStep;
        y.dispose();
        y = yNew!;
        yHost = yNewHost;
        k0.dispose();
        k0 = ks.pop()!;
        k0.ref.dataSync();
        for (const k of ks) k.dispose();
        steps++;
        lastRejected = false;
        h = Math.min(p.hMax, Math.max(h, hStep) * (hStep < h ? 1 : factor));
        while (next < p.tEval.length && p.tEval[next]! <= t) {
          out.push(y.ref);
          next++;
        }
      } else {
        for (const k of ks) k.dispose();
        yNew!.dispose();
        rejected++;
        lastRejected = true;
        h = hStep * factor;
        if (h < 1e-14 * Math.max(1, Math.abs(t))) throw new IntegrationError(`dopri5: step size underflow at t = ${t}`);
      }
    }
  } finally {
    k0.dispose();
    y.dispose();
  }
  return { t: p.tEval, y: out, steps, rejected, nfev };
}

// ---------------------------------------------------------------------------------------------
// Host RK4

/** Fixed-step RK4 on the host for one state y0 (length D): returns [steps + 1, D] (y0 first). */
export function rk4Host(f: HostField, y0: ArrayLike<number>, dt: number, steps: number, t0 = 0): Float64Array {
  checkDt("rk4Host", dt);
  checkSteps("rk4Host", steps);
  const D = y0.length;
  const out = new Float64Array((steps + 1) * D);
  out.set(Float64Array.from(y0), 0);
  const y = Float64Array.from(y0);
  const k1 = new Float64Array(D), k2 = new Float64Array(D), k3 = new Float64Array(D), k4 = new Float64Array(D);
  const tmp = new Float64Array(D);
  for (let s = 0; s < steps; s++) {
    const t = t0 + s * dt;
    f(t, y, k1);
    for (let j = 0; j < D; j++) tmp[j] = y[j]! + (dt / 2) * k1[j]!;
    f(t + dt / 2, tmp, k2);
    for (let j = 0; j < D; j++) tmp[j] = y[j]! + (dt / 2) * k2[j]!;
    f(t + dt / 2, tmp, k3);
    for (let j = 0; j < D; j++) tmp[j] = y[j]! + dt * k3[j]!;
    f(t + dt, tmp, k4);
    for (let j = 0; j < D; j++) y[j] = y[j]! + (dt / 6) * (k1[j]! + 2 * k2[j]! + 2 * k3[j]! + k4[j]!);
    out.set(y, (s + 1) * D);
  }
  return out;
}
