/**
 * The adaptive Dormand–Prince 5(4) integrator (the method of scipy's RK45 and of torchdiffeq's
 * dopri5), on the host (`dopri5Host`, one Float64Array state) and on batched jax-js states
 * (`dopri5`, which reads its error estimate on the host to choose steps, so it runs eagerly:
 * ground truth, not for grad/jit). Tolerances are explicit (rtol, atol); `tEval` lands on exact
 * output times.
 */
import type { Array as JArray } from "../jax.js";
import { checkShape, ConfigError, NonFiniteError } from "../core/errors.js";
import { IntegrationError, checkState, type Field, type HostField } from "./field.js";

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
  for (const [k, v] of [
    ["rtol", o.rtol],
    ["atol", o.atol],
  ] as const) {
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0)
      throw new ConfigError(`${what}: ${k} must be a finite number ≥ 0, got ${v}`);
  }
  if (!(o.rtol > 0 || o.atol > 0)) throw new ConfigError(`${what}: rtol and atol cannot both be 0`);
  const tEval = Float64Array.from(o.tEval ?? [t1]);
  for (let i = 0; i < tEval.length; i++) {
    const t = tEval[i]!;
    if (!(t >= t0 && t <= t1) || (i > 0 && !(t > tEval[i - 1]!))) {
      throw new ConfigError(
        `${what}: tEval must be strictly increasing within [t0, t1] = [${t0}, ${t1}]; bad value ${t} at index ${i}`,
      );
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
function errNorm(
  e: ArrayLike<number>,
  y0: ArrayLike<number>,
  y1: ArrayLike<number>,
  D: number,
  rtol: number,
  atol: number,
): number {
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
    if (!Number.isFinite(k[0]![j]!))
      throw new NonFiniteError(`dopri5Host: the field at t0 = ${t} has ${k[0]![j]} at index ${j}`);
  }
  let h =
    opts.h0 ??
    startingStep(y, k[0]!, D, p, (hh) => {
      for (let j = 0; j < D; j++) ytmp[j] = y[j]! + hh * k[0]![j]!;
      const f1 = new Float64Array(D);
      f(t + hh, ytmp, f1);
      nfev++;
      return f1;
    });
  if (!(h > 0)) throw new ConfigError(`dopri5Host: h0 must be positive, got ${h}`);
  let lastRejected = false;
  while (next < p.tEval.length) {
    if (steps + rejected >= p.maxSteps)
      throw new IntegrationError(`dopri5Host: more than ${p.maxSteps} steps before t = ${p.tEval[next]} (at t = ${t})`);
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
      if (h < 1e-14 * Math.max(1, Math.abs(t)))
        throw new IntegrationError(`dopri5Host: step size underflow at t = ${t}`);
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
      if (steps + rejected >= p.maxSteps)
        throw new IntegrationError(`dopri5: more than ${p.maxSteps} steps before t = ${p.tEval[next]} (at t = ${t})`);
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
