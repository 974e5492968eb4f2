/**
 * ODE integrators for autonomous vector fields dx/dt = f(x): fixed-step RK4 and leapfrog here,
 * the adaptive Dormand–Prince 5(4) in ./dopri5.ts (re-exported).
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
import { checkShape, ConfigError } from "../core/errors.js";
import { checkState, type Field, type HostField } from "./field.js";
import type { SeparableSplit } from "./systems.js";

export { IntegrationError, type Field, type HostField } from "./field.js";
export {
  dopri5,
  dopri5Host,
  type Dopri5HostResult,
  type Dopri5Options,
  type Dopri5Result,
  type Dopri5Stats,
} from "./dopri5.js";

/** Options of the fixed-step jax-js loops. */
export interface StepLoopOptions {
  /** Read (materialise) each concrete state every this many steps; 0 never (default 1). */
  syncEvery?: number;
}

function checkDt(what: string, dt: number): void {
  if (!Number.isFinite(dt) || dt === 0)
    throw new ConfigError(`${what}: dt must be a finite non-zero number, got ${dt}`);
}

function checkSteps(what: string, steps: number): void {
  if (!Number.isInteger(steps) || steps < 0)
    throw new ConfigError(`${what}: steps must be a non-negative integer, got ${steps}`);
}

/** Materialises a concrete array so lazy graphs stay short (no-op for grad/jit tracers). */
function realise(x: JArray): void {
  if (x instanceof JArrayClass) x.ref.dataSync();
}

function syncer(opts: StepLoopOptions | undefined): (i: number, xs: JArray[]) => void {
  const every = opts?.syncEvery ?? 1;
  if (!Number.isInteger(every) || every < 0)
    throw new ConfigError(`syncEvery must be a non-negative integer, got ${every}`);
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
  return x.add(
    k1
      .add(k2.add(k3).mul(2))
      .add(k4)
      .mul(dt / 6),
  );
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
export function leapfrogTrajectory(
  split: SeparableSplit,
  x0: JArray,
  dt: number,
  steps: number,
  opts?: StepLoopOptions,
): JArray[] {
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
// Host RK4

/** Fixed-step RK4 on the host for one state y0 (length D): returns [steps + 1, D] (y0 first). */
export function rk4Host(f: HostField, y0: ArrayLike<number>, dt: number, steps: number, t0 = 0): Float64Array {
  checkDt("rk4Host", dt);
  checkSteps("rk4Host", steps);
  const D = y0.length;
  const out = new Float64Array((steps + 1) * D);
  out.set(Float64Array.from(y0), 0);
  const y = Float64Array.from(y0);
  const k1 = new Float64Array(D),
    k2 = new Float64Array(D),
    k3 = new Float64Array(D),
    k4 = new Float64Array(D);
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
