/**
 * Field builders: turn a scalar network into a vector field on phase space.
 *
 * - Hamiltonian: dx/dt = J ∇ₓH with x = [q, p], J = [[0, I], [−I, 0]] (Greydanus et al. 2019).
 * - Lagrangian: x = [q, q̇], dx/dt = [q̇, q̈] with
 *   q̈ = (∇q̇∇q̇ᵀL)⁻¹ [∇qL − (∇q̇∇qᵀL) q̇]   (Cranmer et al. 2020).
 *
 * Each comes in two routes that are tested against each other: nested autodiff for any
 * scalar network (`hamiltonianField`, `lagrangianField`) and the closed-form route for MLPs
 * (`hamiltonianFieldMLP`, `lagrangianFieldMLP`, via `mlpInputDerivs`), which is the fast default.
 * Fields take `(params, x)` and consume both; params must be captured by closure inside the
 * inner autodiff (jax-js stop-gradients non-differentiated arguments).
 */
import { Array as JArrayClass, grad, jvp, numpy as np, tree, type Array as JArray, type JsTree } from "../jax.js";
import { ConfigError, NonFiniteError, ShapeError, fmtShape } from "../core/errors.js";
import type { ActivationName } from "../nn/activations.js";
import { mlpInputDerivs } from "../nn/input-derivs.js";
import type { MLPParams } from "../nn/layers.js";
import { absDet } from "../core/matrix.js";
import { fromHost, placementOf } from "../core/host.js";

/** A learned vector field: (params, x [B, D]) → dx/dt [B, D]; consumes both. */
export type ParamField<P> = (params: P, x: JArray) => JArray;
/** A scalar function of phase-space points: (params, x [B, D]) → [B]; consumes both. */
export type ScalarFn<P> = (params: P, x: JArray) => JArray;

/**
 * n of states x [B, 2n] (borrows x); otherwise releases x and `owned` — what the caller was to
 * consume — and throws a ShapeError.
 */
function halfDim(x: JArray, who: string, ...owned: unknown[]): number {
  const d = x.shape[1];
  if (x.ndim !== 2 || d === undefined || d % 2 !== 0) {
    const s = x.shape;
    x.dispose();
    for (const o of owned) tree.dispose(o as never);
    throw new ShapeError(
      `${who}: expected states of shape [B, 2n] (positions then momenta/velocities), got ${fmtShape(s)}`,
    );
  }
  return d / 2;
}

/** Jᵀ for row vectors: (J g)ᵀ = gᵀ Jᵀ with Jᵀ = [[0, −I], [I, 0]], as a [2n, 2n] array like `like`. */
function symplecticT(n: number, like: JArray): JArray {
  const m = new Float64Array(4 * n * n);
  for (let i = 0; i < n; i++) {
    m[i * 2 * n + (n + i)] = -1; // row q_i, column p_i
    m[(n + i) * 2 * n + i] = 1; // row p_i, column q_i
  }
  return fromHost(m, [2 * n, 2 * n], placementOf(like));
}

/** Maps ∇ₓH [B, 2n] to the Hamiltonian vector field J∇ₓH = [∂H/∂p, −∂H/∂q]. */
export function symplecticGradient(g: JArray): JArray {
  const n = halfDim(g, "symplecticGradient");
  const jt = symplecticT(n, g);
  return np.matmul(g, jt);
}

/** Hamiltonian field by autodiff for any scalar network H(params, x). */
export function hamiltonianField<P extends JsTree<JArray>>(H: ScalarFn<P>): ParamField<P> {
  return (params, x) => {
    halfDim(x, "hamiltonianField", params);
    const g = grad((xx: JArray) => np.sum(H(params, xx)))(x);
    return symplecticGradient(g);
  };
}

/** Hamiltonian field of a scalar-output MLP with input gradients in closed form (fast route). */
export function hamiltonianFieldMLP(activation: ActivationName): ParamField<MLPParams> {
  return (params, x) => {
    halfDim(x, "hamiltonianFieldMLP", params);
    const r = mlpInputDerivs(params, x, activation);
    r.value.dispose();
    return symplecticGradient(r.grad);
  };
}

/**
 * Eager evaluations only (concrete arrays; traced values under jit/grad pass through): throws a
 * NonFiniteError naming the cause when q̈ [B, n] is NaN/±Inf — "∂²L/∂q̇² singular" when the
 * velocity Hessian M [B, n, n] of that sample is singular or non-finite. Consumes M; returns q̈.
 */
function checkAccelerations(qdd: JArray, M: JArray, n: number): JArray {
  const v = qdd.ref.dataSync();
  let bad = -1;
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i]!)) {
      bad = Math.floor(i / n);
      break;
    }
  }
  if (bad < 0) {
    M.dispose();
    return qdd;
  }
  qdd.dispose();
  const m = Float64Array.from(M.slice(bad).dataSync() as ArrayLike<number>);
  const scale = m.reduce((s, e) => Math.max(s, Math.abs(e)), 0);
  const det = m.every(Number.isFinite) ? absDet(m, n) : NaN;
  const singular = !(det > 1e-300) || !(det > (Number.EPSILON * scale) ** n);
  const cause = singular
    ? `∂²L/∂q̇² singular at sample ${bad} (|det| = ${det.toPrecision(3)}, largest entry ${scale.toPrecision(3)}): L must depend quadratically (non-degenerately) on q̇ there; pass { damping: λ } to regularise with λI`
    : `∂L/∂q or the state is not finite at sample ${bad} (∂²L/∂q̇² is regular there)`;
  throw new NonFiniteError(`eulerLagrange: q̈ is not finite — ${cause}`);
}

/**
 * Assembles [q̇, q̈] from ∇ₓL [B, 2n] and the Hessian rows for the velocity coordinates
 * rows[b, i, :] = ∂(∇ₓL)/∂q̇_i, [B, n, 2n]. `damping` adds λI to ∂²L/∂q̇² (documented
 * regularisation against singular Hessians; 0 by default). Eager (untraced) calls check q̈ and
 * throw a NonFiniteError naming "∂²L/∂q̇² singular" instead of returning NaN; under jit/grad
 * no check is possible (callers such as rollouts check their outputs).
 */
export function eulerLagrange(x: JArray, g: JArray, rows: JArray, damping = 0): JArray {
  const n = halfDim(x, "eulerLagrange", g, rows);
  const B = x.shape[0]!;
  const qdot = x.slice([], [n, 2 * n]); // [B, n]
  let M = rows.ref.slice([], [], [n, 2 * n]); // ∂²L/∂q̇∂q̇ [B, n, n]
  if (damping > 0) M = M.add(np.eye(n, undefined, { dtype: x.dtype, device: x.device }).mul(damping));
  const C = rows.slice([], [], [0, n]); // ∂²L/∂q̇∂q [B, n, n]
  const gq = g.slice([], [0, n]); // ∂L/∂q [B, n]
  const rhs = gq.sub(np.matmul(C, qdot.ref.reshape([B, n, 1])).reshape([B, n]));
  const eager = M instanceof JArrayClass;
  const keep = eager ? M.ref : null;
  let qdd = np.linalg.solve(M, rhs.reshape([B, n, 1])).reshape([B, n]);
  if (keep !== null) {
    try {
      qdd = checkAccelerations(qdd, keep, n);
    } catch (e) {
      qdot.dispose();
      throw e;
    }
  }
  return np.concatenate([qdot, qdd], 1);
}

/** Options of the Lagrangian field builders. */
export interface LagrangianOptions {
  /** λ added to the diagonal of ∂²L/∂q̇² before solving (default 0). */
  damping?: number;
  /**
   * `lagrangianFieldMLP` only: fixed per-coordinate input scale s [2n] (default none). The
   * network then sees x ⊙ s, i.e. L(x) = MLP(x ⊙ s) — input normalisation (e.g. s = 1/10 on
   * velocities of size 10) that leaves the physics exact: derivatives follow by the chain rule,
   * ∇ₓL = s ⊙ ∇_yL and ∂²L/∂xᵢ∂xⱼ = sᵢ sⱼ ∂²L/∂yᵢ∂yⱼ (tested against autodiff of MLP(x ⊙ s)).
   */
  inputScale?: readonly number[];
}

/** Lagrangian field by nested autodiff (forward-over-reverse) for any scalar network L(params, x). */
export function lagrangianField<P extends JsTree<JArray>>(L: ScalarFn<P>, opts: LagrangianOptions = {}): ParamField<P> {
  return (params, x) => {
    const n = halfDim(x, "lagrangianField", params);
    const B = x.shape[0]!;
    const gradL = (xx: JArray) => grad((y: JArray) => np.sum(L(tree.ref(params), y)))(xx);
    const g = gradL(x.ref);
    const rows: JArray[] = [];
    for (let i = 0; i < n; i++) {
      const e = new Float64Array(2 * n);
      e[n + i] = 1;
      const t = np.broadcastTo(fromHost(e, [1, 2 * n], placementOf(x)), [B, 2 * n]);
      const [gv, dg] = jvp(gradL, [x.ref], [t]);
      gv.dispose();
      rows.push(dg.reshape([B, 1, 2 * n]));
    }
    tree.dispose(params);
    const hr = n === 1 ? rows[0]! : np.concatenate(rows, 1);
    return eulerLagrange(x, g, hr, opts.damping ?? 0);
  };
}

/** Lagrangian field of a scalar-output MLP with the Hessian rows in closed form (fast route). */
export function lagrangianFieldMLP(activation: ActivationName, opts: LagrangianOptions = {}): ParamField<MLPParams> {
  const s = opts.inputScale;
  if (s !== undefined && !s.every((v) => Number.isFinite(v) && v !== 0)) {
    throw new ConfigError(`lagrangianFieldMLP: inputScale must hold finite non-zero numbers, got [${s.join(", ")}]`);
  }
  return (params, x) => {
    const n = halfDim(x, "lagrangianFieldMLP", params);
    if (s !== undefined && s.length !== 2 * n) {
      x.dispose();
      tree.dispose(params);
      throw new ShapeError(`lagrangianFieldMLP: inputScale has ${s.length} entries for states of width ${2 * n}`);
    }
    const cols = Array.from({ length: n }, (_, i) => n + i);
    if (s === undefined) {
      const r = mlpInputDerivs(params, x.ref, activation, cols);
      r.value.dispose();
      return eulerLagrange(x, r.grad, r.hessRows!, opts.damping ?? 0);
    }
    const row = fromHost(s, [1, 2 * n], placementOf(x));
    const r = mlpInputDerivs(params, x.ref.mul(row.ref), activation, cols);
    r.value.dispose();
    const outer = cols.flatMap((k) => s.map((sj) => s[k]! * sj)); // [n, 2n]: s_{n+k} s_j
    const rows = r.hessRows!.mul(fromHost(outer, [1, n, 2 * n], placementOf(x)));
    return eulerLagrange(x, r.grad.mul(row), rows, opts.damping ?? 0);
  };
}
