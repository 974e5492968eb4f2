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
  /**
   * A non-finite state: "throw" (default) a NonFiniteError naming the step, time and trajectory;
   * "record" it (NaN from there on in that trajectory, `divergedAt` says where) and stop once
   * every trajectory has diverged — for comparing models that may blow up.
   */
  onNonFinite?: "throw" | "record";
}

/** A rollout: the recorded states and times, and where trajectories diverged. */
export interface Rollout {
  /** States [B, steps + 1, D] (host, row-major). */
  states: Float64Array;
  /** Record times k·dt [steps + 1]. */
  t: Float64Array;
  /** Per trajectory: the first record that was not finite, or null (always null with onNonFinite "throw"). */
  divergedAt: (number | null)[];
}

/** A parameterised field with its parameters (borrowed): RK4 runs `substeps` steps per compiled call. */
export interface FieldWithParams<P extends JsTree<JArray>> {
  field: (params: P, x: JArray) => JArray;
  params: P;
}

function nonFinite(B: number, D: number, step: number, t: number, i: number, v: number): NonFiniteError {
  return new NonFiniteError(
    `rollout: non-finite state at step ${step} (t = ${t}) in trajectory ${Math.floor(i / D)} of ${B} ` +
      `(coordinate ${i % D}: ${v}); the field diverged — use a smaller dt or check the model`,
  );
}

/**
 * Integrates a field from x0 [B, D] (consumed) and returns the states at t = k·dt, k = 0..steps,
 * on the host, each record read and checked as it is produced. `f` is a field `x → dx/dt`
 * (stepped eagerly; bind a learned one with `bindField(…, { jit: true })`), or a parameterised
 * field with its params (borrowed), whose `substeps` RK4 steps per record run as one `jit`.
 *
 * @example rollout(bindField(net, params, { jit: true }).field, x0, { dt: 0.1, steps: 100, method: "rk4" }).states
 * @example rollout({ field: lnnField, params }, x0, { dt: 0.01, steps: 150, substeps: 10, method: "rk4", onNonFinite: "record" })
 */
export function rollout<P extends JsTree<JArray>>(
  f: Field | FieldWithParams<P>,
  x0: JArray,
  opts: RolloutOptions,
): Rollout {
  const { dt, steps, method } = opts;
  const substeps = opts.substeps ?? 1;
  const record = opts.onNonFinite === "record";
  const fail = (msg: string): never => {
    x0.dispose();
    throw new ConfigError(msg);
  };
  if (!Number.isFinite(dt) || dt === 0) fail(`rollout: dt must be a finite non-zero number, got ${dt}`);
  if (!Number.isInteger(steps) || steps < 0) fail(`rollout: steps must be a non-negative integer, got ${steps}`);
  if (!Number.isInteger(substeps) || substeps < 1)
    fail(`rollout: substeps must be a positive integer, got ${substeps}`);
  if (method !== "rk4" && method !== "dopri5")
    fail(`rollout: method must be "rk4" or "dopri5", got ${JSON.stringify(method)}`);
  if (opts.onNonFinite !== undefined && opts.onNonFinite !== "throw" && !record)
    fail(`rollout: onNonFinite must be "throw" or "record", got ${JSON.stringify(opts.onNonFinite)}`);
  if (typeof f !== "function" && method !== "rk4")
    fail(`rollout: a field with params runs "rk4" only, got ${JSON.stringify(method)}`);
  try {
    checkShape("rollout: x0", x0.shape, [-1, -1]);
  } catch (e) {
    x0.dispose();
    throw e;
  }
  const B = x0.shape[0]!;
  const D = x0.shape[1]!;
  const T = steps + 1;
  const out = new Float64Array(B * T * D);
  const t = Float64Array.from({ length: T }, (_, k) => k * dt);
  const divergedAt: (number | null)[] = new Array<number | null>(B).fill(null);
  /** Stores record k; false once every trajectory has diverged (then the rest is NaN). */
  const store = (data: ArrayLike<number>, k: number): boolean => {
    for (let i = 0; i < B * D; i++) {
      const v = Number(data[i]);
      const b = Math.floor(i / D);
      out[(b * T + k) * D + (i % D)] = v;
      if (!Number.isFinite(v)) {
        if (!record) throw nonFinite(B, D, k, k * dt, i, v);
        divergedAt[b] ??= k;
      }
    }
    if (!record || divergedAt.some((d) => d === null)) return true;
    for (let b = 0; b < B; b++) out.fill(NaN, (b * T + k + 1) * D, (b + 1) * T * D);
    return false;
  };
  if (method === "rk4") {
    const h = dt / substeps;
    let advance: (x: JArray) => JArray;
    let release = (): void => undefined;
    if (typeof f === "function") {
      advance = (x) => {
        for (let s = 0; s < substeps; s++) x = rk4Step(f, x, h);
        return x;
      };
    } else {
      const chunk = jit((p: JsTree<JArray>, x: JArray) => {
        let y = x;
        for (let s = 0; s < substeps; s++) y = rk4Step((xx) => f.field(tree.ref(p) as P, xx), y, h);
        tree.dispose(p);
        return y;
      });
      advance = (x) => chunk(tree.ref(f.params) as JsTree<JArray>, x) as JArray;
      release = () => chunk.dispose();
    }
    let x = x0;
    try {
      if (store(x.ref.dataSync() as ArrayLike<number>, 0)) {
        for (let k = 1; k <= steps; k++) {
          x = advance(x);
          if (!store(x.ref.dataSync() as ArrayLike<number>, k)) break;
        }
      }
    } finally {
      x.dispose();
      release();
    }
    return { states: out, t, divergedAt };
  }
  const f64 = x0.dtype === "float64";
  const tol = f64 ? 1e-9 : 1e-6;
  if (steps === 0) {
    store(x0.dataSync() as ArrayLike<number>, 0);
    return { states: out, t, divergedAt };
  }
  if (dt < 0) fail(`rollout: method "dopri5" needs dt > 0, got ${dt}`);
  const r = dopri5(f as Field, x0, steps * dt, {
    rtol: opts.rtol ?? tol,
    atol: opts.atol ?? tol,
    tEval: Array.from(t),
  });
  let live = true;
  r.y.forEach((y, k) => {
    const data = y.dataSync() as ArrayLike<number>;
    if (live) live = store(data, k);
  });
  return { states: out, t, divergedAt };
}

/**
 * Energy of every state of a rollout: states [B, T, D] (host, flat) → [B, T] by the system's
 * host energy (float64). With `invalid: "nan"`, a non-finite state or one outside the system's
 * domain (energyHost throws, e.g. a relativistic speed ≥ c) gets NaN instead of an error.
 */
export function energyOf(
  system: PhysicalSystem,
  states: ArrayLike<number>,
  B: number,
  T: number,
  opts: { invalid?: "throw" | "nan" } = {},
): Float64Array {
  const D = system.dim;
  if (states.length !== B * T * D) {
    throw new ConfigError(
      `energyOf(${system.name}): expected B·T·D = ${B}·${T}·${D} = ${B * T * D} values, got ${states.length}`,
    );
  }
  const nan = opts.invalid === "nan";
  const e = new Float64Array(B * T);
  const s = new Float64Array(D);
  for (let i = 0; i < B * T; i++) {
    for (let j = 0; j < D; j++) s[j] = states[i * D + j]!;
    if (!nan) e[i] = system.energyHost(s);
    else {
      try {
        e[i] = s.every(Number.isFinite) ? system.energyHost(s) : NaN;
      } catch {
        e[i] = NaN;
      }
    }
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
export function bindField<P extends JsTree<JArray>>(
  f: (params: P, x: JArray) => JArray,
  params: P,
  opts: { jit?: boolean } = {},
): BoundField {
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
