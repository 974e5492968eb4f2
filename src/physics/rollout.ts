/**
 * Rollouts: integrate a (learned or true) batched vector field from initial states and return
 * the whole trajectory on the host, plus the energy of those states under a physical system.
 *
 * Every recorded state is read to the host as it is produced (this also keeps jax-js's lazy
 * eager graphs short) and checked: a NaN/±Inf state throws a NonFiniteError naming the step,
 * the time and the trajectory. For speed with a learned field, bind its parameters once with
 * `bindField(paramField, params, { jit: true })` — one compiled call per field evaluation.
 */
import { jit, tree, type Array as JArray, type JsTree } from "../jax.js";
import { checkShape, ConfigError, NonFiniteError } from "../core/errors.js";
import { dopri5, rk4Step, type Field } from "./integrators.js";
import type { PhysicalSystem } from "./systems.js";

/** Options of `rollout`: output every dt for `steps` steps (steps + 1 states, x0 first). */
export interface RolloutOptions {
  /** Time between recorded states (finite, non-zero). */
  dt: number;
  /** Number of recorded steps after x0 (states returned: steps + 1). */
  steps: number;
  /** "rk4": fixed step dt/substeps; "dopri5": adaptive Dormand–Prince 5(4) landing on every k·dt. */
  method: "rk4" | "dopri5";
  /** RK4 steps per recorded step (default 1). */
  substeps?: number;
  /** dopri5 relative tolerance (default 1e-6 for float32 states, 1e-9 for float64). */
  rtol?: number;
  /** dopri5 absolute tolerance (default 1e-6 for float32 states, 1e-9 for float64). */
  atol?: number;
}

function checkRow(data: ArrayLike<number>, B: number, D: number, step: number, t: number): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) {
      throw new NonFiniteError(
        `rollout: non-finite state at step ${step} (t = ${t}) in trajectory ${Math.floor(i / D)} of ${B} ` +
          `(coordinate ${i % D}: ${v}); the field diverged — use a smaller dt or check the model`,
      );
    }
  }
}

/**
 * Integrates `field` from x0 [B, D] (consumed) and returns the states at t = k·dt, k = 0..steps,
 * as a host Float64Array [B, steps + 1, D] (row-major). Throws NonFiniteError naming the step.
 * @example const xs = rollout(bindField(net, params, { jit: true }).field, x0, { dt: 0.1, steps: 100, method: "rk4" });
 */
export function rollout(field: Field, x0: JArray, opts: RolloutOptions): Float64Array {
  const { dt, steps, method } = opts;
  const substeps = opts.substeps ?? 1;
  if (!Number.isFinite(dt) || dt === 0) throw new ConfigError(`rollout: dt must be a finite non-zero number, got ${dt}`);
  if (!Number.isInteger(steps) || steps < 0) throw new ConfigError(`rollout: steps must be a non-negative integer, got ${steps}`);
  if (!Number.isInteger(substeps) || substeps < 1) throw new ConfigError(`rollout: substeps must be a positive integer, got ${substeps}`);
  if (method !== "rk4" && method !== "dopri5") throw new ConfigError(`rollout: method must be "rk4" or "dopri5", got ${JSON.stringify(method)}`);
  checkShape("rollout: x0", x0.shape, [-1, -1]);
  const B = x0.shape[0]!;
  const D = x0.shape[1]!;
  const T = steps + 1;
  const out = new Float64Array(B * T * D);
  const store = (data: ArrayLike<number>, k: number) => {
    checkRow(data, B, D, k, k * dt);
    for (let b = 0; b < B; b++) for (let j = 0; j < D; j++) out[(b * T + k) * D + j] = data[b * D + j]!;
  };
  if (method === "rk4") {
    let x = x0;
    try {
      store(x.ref.dataSync() as ArrayLike<number>, 0);
      const h = dt / substeps;
      for (let k = 1; k <= steps; k++) {
        for (let s = 0; s < substeps; s++) x = rk4Step(field, x, h);
        store(x.ref.dataSync() as ArrayLike<number>, k);
      }
    } finally {
      x.dispose();
    }
    return out;
  }
  const f64 = x0.dtype === "float64";
  const tol = f64 ? 1e-9 : 1e-6;
  if (steps === 0) {
    store(x0.dataSync() as ArrayLike<number>, 0);
    return out;
  }
  if (dt < 0) throw new ConfigError(`rollout: method "dopri5" needs dt > 0, got ${dt}`);
  const tEval = Array.from({ length: T }, (_, k) => k * dt);
  const r = dopri5(field, x0, steps * dt, { rtol: opts.rtol ?? tol, atol: opts.atol ?? tol, tEval });
  r.y.forEach((y, k) => store(y.dataSync() as ArrayLike<number>, k));
  return out;
}

/**
 * Energy of every state of a rollout: states [B, T, D] (host, flat) → [B, T] by the system's
 * host energy (float64).
 */
export function energyOf(system: PhysicalSystem, states: ArrayLike<number>, B: number, T: number): Float64Array {
  const D = system.dim;
  if (states.length !== B * T * D) {
    throw new ConfigError(`energyOf(${system.name}): expected B·T·D = ${B}·${T}·${D} = ${B * T * D} values, got ${states.length}`);
  }
  const e = new Float64Array(B * T);
  const s = new Float64Array(D);
  for (let i = 0; i < B * T; i++) {
    for (let j = 0; j < D; j++) s[j] = states[i * D + j]!;
    e[i] = system.energyHost(s);
  }
  return e;
}

/** A field with its parameters bound: `field(x)` consumes x only; `dispose()` frees params (and the jit). */
export interface BoundField {
  field: Field;
  dispose(): void;
}

/**
 * Binds params (consumed, held until dispose) to a `(params, x) → dx/dt` field; with
 * `jit: true` each evaluation is one compiled call (retraced per batch shape).
 */
export function bindField<P extends JsTree<JArray>>(f: (params: P, x: JArray) => JArray, params: P, opts: { jit?: boolean } = {}): BoundField {
  let disposed = false;
  const guard = () => {
    if (disposed) throw new ConfigError("bindField: the field was disposed");
  };
  if (opts.jit) {
    const jf = jit((p: JsTree<JArray>, x: JArray) => f(p as P, x));
    return {
      field: (x) => {
        guard();
        return jf(tree.ref(params) as JsTree<JArray>, x) as JArray;
      },
      dispose: () => {
        if (disposed) return;
        disposed = true;
        jf.dispose();
        tree.dispose(params);
      },
    };
  }
  return {
    field: (x) => {
      guard();
      return f(tree.ref(params), x);
    },
    dispose: () => {
      if (disposed) return;
      disposed = true;
      tree.dispose(params);
    },
  };
}

/** Host [B, T, D] (flat) → the rows of trajectory b as [T, D] (a view). */
export function trajectoryOf(states: Float64Array, b: number, T: number, D: number): Float64Array {
  return states.subarray(b * T * D, (b + 1) * T * D);
}

/** Mean squared difference of two equally long host arrays. */
export function meanSquaredDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new ConfigError(`meanSquaredDiff: lengths differ (${a.length} vs ${b.length})`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s / a.length;
}
