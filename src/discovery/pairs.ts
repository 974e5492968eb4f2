/**
 * Generators from transformed pairs (after Rao & Ruderman 1999): pairs (x, x′) with
 * x′ ≈ exp(Σᵢ tᵢGᵢ)x for unknown, per-pair tᵢ. Two estimators, by what a pair carries:
 *
 * - Pairs that share one transformation over many points (`points` > 1: point clouds, each
 *   cloud's rows consecutive): the cloud's transformation g is a least-squares fit
 *   (x gᵀ ≈ x′), its logarithm log g lies in the algebra, and the algebra is the leading span of
 *   those logarithms (singular values of the stacked log g, descending; small or large t alike,
 *   up to rotation angles below π).
 * - Single-vector pairs (`points` = 1: sampled signals, one shift each): alternating least
 *   squares on the midpoint model x′ − x = (Σᵢ tᵢGᵢ)(x + x′)/2, exact for the Cayley transform
 *   and within O(t³) of exp(tG) — small and moderate t. Each Gᵢ has unit Frobenius norm; the
 *   count is the smallest K whose relative residual is at most `tol` or within 1.5× of the
 *   residual with `kMax` generators (more generators then only fit noise). With `refine` steps,
 *   the chosen generators and coefficients are then fitted to the exact model
 *   x′ = exp(Σ tᵢGᵢ)x by Adam through the differentiable `expm` (one jit per step), which removes
 *   the midpoint model's O(t³) bias for larger t.
 */
import { numpy as np, tree, type Array as JArray } from "../jax.js";
import { ConfigError, NoetherError, NonFiniteError } from "../core/errors.js";
import { expm } from "../core/expm.js";
import { fromHost, toFloat64 } from "../core/host.js";
import type { Params } from "../core/tree.js";
import { adam } from "../train/optim.js";
import { makeTrainStep, type TrainStepOutput } from "../train/step.js";
import { jacobiEigh } from "../core/linalg.js";
import { logmHost } from "../core/logm.js";
import { matmul, norm1, solve } from "../core/matrix.js";
import { hostNormal, hostRng } from "../core/rng.js";
import { checkCount, chooseCount, makeDiscovery, type Discovery } from "./result.js";

/** Options of `discoverFromPairs`. */
export interface PairsOptions {
  /** Rows per shared transformation (a point cloud's points; default 1: every row its own pair). */
  points?: number;
  /** Number of generators (default: chosen, see the module comment). */
  k?: number;
  /** Single-vector pairs: the most generators tried (default 4). */
  kMax?: number;
  /**
   * Grouped pairs: a direction counts when its singular value is ≥ tol × the largest (default
   * 0.05). Single-vector pairs: a relative residual at or below tol ends the search (default 0.01).
   */
  tol?: number;
  /** Seed of the random starts (single-vector pairs, default 0). */
  seed?: number;
  /** Single-vector pairs: Adam steps on the exact exponential model after the fit (default 0). */
  refine?: number;
  /** Learning rate of the refinement (default 0.01). */
  refineLr?: number;
}

function checkPairs(x: ArrayLike<number>, xp: ArrayLike<number>, n: number, d: number): void {
  if (!Number.isInteger(d) || d < 1) throw new ConfigError(`discoverFromPairs: d must be a positive integer, got ${d}`);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`discoverFromPairs: expected at least one pair, got ${n}`);
  for (const [what, a] of [
    ["x", x],
    ["x′", xp],
  ] as const) {
    if (a.length !== n * d)
      throw new ConfigError(`discoverFromPairs: ${what} has ${a.length} values, expected ${n}×${d} = ${n * d}`);
    for (let i = 0; i < a.length; i++)
      if (!Number.isFinite(a[i]!))
        throw new NonFiniteError(`discoverFromPairs: ${what} row ${Math.floor(i / d)}, column ${i % d} is ${a[i]}`);
  }
}

/**
 * The Lie algebra of the transformations relating x to x′, both [n, d] (host, row-major), row r of
 * x′ the transformed row r of x. See the module comment for the two estimators.
 */
export async function discoverFromPairs(
  x: ArrayLike<number>,
  xp: ArrayLike<number>,
  shape: { n: number; d: number },
  opts: PairsOptions = {},
): Promise<Discovery> {
  const { n, d } = shape;
  checkPairs(x, xp, n, d);
  checkCount("discoverFromPairs", opts.k, d * d);
  const points = opts.points ?? 1;
  if (!Number.isInteger(points) || points < 1 || n % points !== 0) {
    throw new ConfigError(`discoverFromPairs: points must be a positive integer dividing the ${n} rows, got ${points}`);
  }
  if (opts.refine !== undefined && !(Number.isInteger(opts.refine) && opts.refine >= 0))
    throw new ConfigError(`discoverFromPairs: refine must be a non-negative integer, got ${opts.refine}`);
  return points > 1 ? grouped(x, xp, n, d, points, opts) : single(x, xp, n, d, opts);
}

function grouped(
  x: ArrayLike<number>,
  xp: ArrayLike<number>,
  n: number,
  d: number,
  points: number,
  opts: PairsOptions,
): Discovery {
  if (points < d)
    throw new NoetherError(
      `discoverFromPairs: ${points} points per transformation cannot determine a ${d}×${d} matrix; need at least ${d}`,
    );
  const groups = n / points;
  const D = d * d;
  const gram = new Float64Array(D * D);
  const xtx = new Float64Array(d * d);
  const xtxp = new Float64Array(d * d);
  for (let g = 0; g < groups; g++) {
    xtx.fill(0);
    xtxp.fill(0);
    for (let p = 0; p < points; p++) {
      const r = (g * points + p) * d;
      for (let i = 0; i < d; i++)
        for (let j = 0; j < d; j++) {
          xtx[i * d + j] = xtx[i * d + j]! + x[r + i]! * x[r + j]!;
          xtxp[i * d + j] = xtxp[i * d + j]! + x[r + i]! * xp[r + j]!;
        }
    }
    let gt: Float64Array; // gᵀ = (XᵀX)⁻¹ XᵀX′
    try {
      gt = solve(xtx, xtxp, d, d, "pairs");
    } catch {
      throw new NoetherError(
        `discoverFromPairs: the ${points} points of transformation ${g} do not span ℝ^${d} (rank-deficient cloud), so its matrix is not determined`,
      );
    }
    const gm = new Float64Array(D);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) gm[i * d + j] = gt[j * d + i]!;
    let L: Float64Array;
    try {
      L = logmHost(gm, d);
    } catch (e) {
      throw new NoetherError(
        `discoverFromPairs: transformation ${g} has no real logarithm (${(e as Error).message}); is it a rotation by π or a reflection?`,
      );
    }
    for (let i = 0; i < D; i++) {
      const li = L[i]!;
      if (li !== 0) for (let j = 0; j < D; j++) gram[i * D + j] = gram[i * D + j]! + li * L[j]!;
    }
  }
  const { values, vectors } = jacobiEigh(gram, D);
  const top = Math.sqrt(Math.max(values[D - 1]!, 0));
  if (!(top > 0))
    throw new NoetherError(
      "discoverFromPairs: every fitted transformation is the identity; the pairs show no symmetry to learn",
    );
  const spectrum = Array.from(values, (v) => Math.sqrt(Math.max(v, 0)) / top).reverse(); // descending
  const tol = opts.tol ?? 0.05;
  const k = opts.k ?? chooseCount(spectrum, { tol, small: false });
  const gens = new Float64Array(k * D);
  for (let c = 0; c < k; c++) for (let i = 0; i < D; i++) gens[c * D + i] = vectors[i * D + (D - 1 - c)]!;
  return makeDiscovery("pairs", { d, k, generators: gens }, spectrum, opts.k === undefined ? "gap" : "given", {
    estimator: "grouped",
    transformations: groups,
    points,
    tol,
  });
}

interface Fit {
  /** Generators [K, d, d], unit Frobenius norm each. */
  G: Float64Array;
  /** Per-pair coefficients [n, K]. */
  t: Float64Array;
  residual: number;
}

/** One alternating-least-squares fit of K generators to Δ = Σ tᵢGᵢ z; returns G [K,d,d] and the relative residual. */
function alsFit(delta: Float64Array, z: Float64Array, n: number, d: number, K: number, seed: number): Fit {
  const D = d * d;
  let G = hostNormal(K * D, hostRng(seed));
  const normalise = () => {
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let i = 0; i < D; i++) s += G[k * D + i]! ** 2;
      const f = 1 / Math.sqrt(s || 1);
      for (let i = 0; i < D; i++) G[k * D + i] = G[k * D + i]! * f;
    }
  };
  normalise();
  let total = 0;
  for (let i = 0; i < delta.length; i++) total += delta[i]! ** 2;
  const t = new Float64Array(n * K);
  const Gz = new Float64Array(K * d);
  let prev = Infinity;
  let residual = 1;
  for (let it = 0; it < 300; it++) {
    // t-step: per pair, least squares in K unknowns.
    let res = 0;
    for (let p = 0; p < n; p++) {
      for (let k = 0; k < K; k++)
        for (let i = 0; i < d; i++) {
          let s = 0;
          for (let j = 0; j < d; j++) s += G[k * D + i * d + j]! * z[p * d + j]!;
          Gz[k * d + i] = s;
        }
      const A = new Float64Array(K * K);
      const b = new Float64Array(K);
      for (let a = 0; a < K; a++) {
        for (let c = 0; c < K; c++) {
          let s = 0;
          for (let i = 0; i < d; i++) s += Gz[a * d + i]! * Gz[c * d + i]!;
          A[a * K + c] = s;
        }
        let s = 0;
        for (let i = 0; i < d; i++) s += Gz[a * d + i]! * delta[p * d + i]!;
        b[a] = s;
      }
      let tr = 0;
      for (let a = 0; a < K; a++) tr += A[a * K + a]!;
      for (let a = 0; a < K; a++) A[a * K + a] = A[a * K + a]! + 1e-9 * (tr / K) + 1e-300;
      const tp = solve(A, b, K, 1, "pairs");
      for (let a = 0; a < K; a++) t[p * K + a] = tp[a]!;
      for (let i = 0; i < d; i++) {
        let m = 0;
        for (let a = 0; a < K; a++) m += tp[a]! * Gz[a * d + i]!;
        res += (delta[p * d + i]! - m) ** 2;
      }
    }
    residual = res / total;
    if (Math.abs(prev - residual) <= 1e-12 * Math.max(residual, 1e-300) || residual < 1e-24) break;
    prev = residual;
    // G-step: W = [G_1 … G_K] (d × Kd) = (Σ Δ uᵀ)(Σ u uᵀ)⁻¹ with u = [t₁z; …; t_Kz].
    const Kd = K * d;
    const UU = new Float64Array(Kd * Kd);
    const DU = new Float64Array(d * Kd);
    const u = new Float64Array(Kd);
    for (let p = 0; p < n; p++) {
      for (let a = 0; a < K; a++) for (let j = 0; j < d; j++) u[a * d + j] = t[p * K + a]! * z[p * d + j]!;
      for (let r = 0; r < Kd; r++) {
        const ur = u[r]!;
        if (ur === 0) continue;
        for (let c = 0; c < Kd; c++) UU[r * Kd + c] = UU[r * Kd + c]! + ur * u[c]!;
        for (let i = 0; i < d; i++) DU[i * Kd + r] = DU[i * Kd + r]! + delta[p * d + i]! * ur;
      }
    }
    // A small ridge: directions the data never visits (e.g. a signal's Nyquist component) and
    // degenerate extra generators make Σ uuᵀ singular; the ridge sends G to 0 there.
    let trace = 0;
    for (let r = 0; r < Kd; r++) trace += UU[r * Kd + r]!;
    for (let r = 0; r < Kd; r++) UU[r * Kd + r] = UU[r * Kd + r]! + 1e-9 * (trace / Kd) + 1e-300;
    // W UU = DU  ⇔  UU Wᵀ = DUᵀ (UU symmetric)
    const DUt = new Float64Array(Kd * d);
    for (let i = 0; i < d; i++) for (let r = 0; r < Kd; r++) DUt[r * d + i] = DU[i * Kd + r]!;
    const Wt = solve(UU, DUt, Kd, d, "pairs");
    G = new Float64Array(K * D);
    for (let a = 0; a < K; a++)
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) G[a * D + i * d + j] = Wt[(a * d + j) * d + i]!;
    normalise();
  }
  return { G, t, residual };
}

function single(x: ArrayLike<number>, xp: ArrayLike<number>, n: number, d: number, opts: PairsOptions): Discovery {
  const D = d * d;
  const kMax = opts.k ?? opts.kMax ?? 4;
  if (!Number.isInteger(kMax) || kMax < 1)
    throw new ConfigError(`discoverFromPairs: kMax must be an integer ≥ 1, got ${kMax}`);
  if (n * d < kMax * D) {
    throw new NoetherError(
      `discoverFromPairs: ${n} pairs of ${d} values give ${n * d} equations for up to ${kMax * D} generator entries: too few pairs; give at least ${Math.ceil((kMax * D) / d)}`,
    );
  }
  const delta = new Float64Array(n * d);
  const z = new Float64Array(n * d);
  let moved = 0;
  for (let i = 0; i < n * d; i++) {
    delta[i] = xp[i]! - x[i]!;
    z[i] = (xp[i]! + x[i]!) / 2;
    moved += delta[i]! ** 2;
  }
  if (!(moved > 0))
    throw new NoetherError("discoverFromPairs: every x′ equals its x; the pairs show no transformation to learn");
  const seed = opts.seed ?? 0;
  const fits: Fit[] = [];
  const from = opts.k ?? 1;
  for (let K = from; K <= kMax; K++) {
    let best: Fit | undefined;
    for (let r = 0; r < 3; r++) {
      const f = alsFit(delta, z, n, d, K, seed * 1009 + K * 31 + r);
      if (best === undefined || f.residual < best.residual) best = f;
    }
    fits.push(best!);
    // With K generators already within tol, more cannot be needed.
    if (opts.k === undefined && best!.residual <= (opts.tol ?? 0.01)) break;
  }
  const residuals = fits.map((f) => f.residual);
  const tol = opts.tol ?? 0.01;
  let pick = fits.length - 1;
  if (opts.k === undefined) {
    const floor = Math.min(...residuals);
    pick = residuals.findIndex((r) => r <= tol || r <= 1.5 * floor);
  }
  const K = from + pick;
  let fit = fits[pick]!;
  let exact: number | undefined;
  if ((opts.refine ?? 0) > 0) ({ fit, exact } = refineExact(fit, x, xp, n, d, K, opts.refine!, opts.refineLr ?? 0.01));
  const { generators, rank } = restrictToData(fit.G, K, z, n, d);
  return makeDiscovery("pairs", { d, k: K, generators }, residuals, opts.k === undefined ? "gap" : "given", {
    estimator: "single",
    pairs: n,
    tol,
    relativeResidual: residuals[pick]!,
    dataRank: rank,
    ...(exact !== undefined ? { refineSteps: opts.refine!, exactRelativeResidual: exact } : {}),
  });
}

/**
 * Single-vector pairs determine a generator only on the subspace the data spans: G acting on (and
 * into) directions no sample has (a signal's Nyquist component, say) is unconstrained. Returns
 * P G P, P the projector onto the span of the midpoints z (eigenvalues of zᵀz above 1e-10 of the
 * largest), each generator renormalised to unit Frobenius norm, and that span's dimension.
 */
function restrictToData(
  G: Float64Array,
  K: number,
  z: Float64Array,
  n: number,
  d: number,
): { generators: Float64Array; rank: number } {
  const zz = new Float64Array(d * d);
  for (let p = 0; p < n; p++)
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) zz[i * d + j] = zz[i * d + j]! + z[p * d + i]! * z[p * d + j]!;
  const { values, vectors } = jacobiEigh(zz, d);
  const top = values[d - 1]!;
  const P = new Float64Array(d * d);
  let rank = 0;
  for (let c = 0; c < d; c++) {
    if (!(values[c]! > 1e-10 * top)) continue;
    rank++;
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) P[i * d + j] = P[i * d + j]! + vectors[i * d + c]! * vectors[j * d + c]!;
  }
  if (rank === d) return { generators: G, rank };
  const out = new Float64Array(K * d * d);
  for (let k = 0; k < K; k++) {
    const g = matmul(matmul(P, G.subarray(k * d * d, (k + 1) * d * d), d, d, d), P, d, d, d);
    const f = Math.hypot(...g) || 1;
    out.set(
      g.map((v) => v / f),
      k * d * d,
    );
  }
  return { generators: out, rank };
}

/** Adam on mean ‖exp(Σ tᵢGᵢ)x − x′‖² over G [K,d,d] and t [n,K] from an ALS fit (engine float dtype, default device). */
function refineExact(
  fit: Fit,
  x: ArrayLike<number>,
  xp: ArrayLike<number>,
  n: number,
  d: number,
  K: number,
  steps: number,
  lr: number,
): { fit: Fit; exact: number } {
  // expm under jit needs its number of squarings up front: from ‖Σ tᵢGᵢ‖₁ ≤ Σ |tᵢ|‖Gᵢ‖₁ at the
  // start, with two to spare for growth during refinement.
  let bound = 0;
  const g1 = Array.from({ length: K }, (_, k) => norm1(fit.G.subarray(k * d * d, (k + 1) * d * d), d));
  for (let p = 0; p < n; p++) {
    let b = 0;
    for (let k = 0; k < K; k++) b += Math.abs(fit.t[p * K + k]!) * g1[k]!;
    bound = Math.max(bound, b);
  }
  const squarings = Math.max(0, Math.ceil(Math.log2(Math.max(bound, 1e-300)))) + 2;
  const loss = (p: Params, X: JArray, XP: JArray): JArray => {
    const { G, t } = p as { G: JArray; t: JArray };
    const L = np.matmul(t, G.reshape([K, d * d])).reshape([n, d, d]);
    const y = np.matmul(expm(L, { squarings }), X.reshape([n, d, 1])).reshape([n, d]);
    return np.mean(np.square(y.sub(XP)));
  };
  const opt = adam();
  const step = makeTrainStep(loss, opt);
  let params: Params = { G: fromHost(fit.G, [K, d, d]), t: fromHost(fit.t, [n, K]) };
  let state = opt.init(params);
  const X = fromHost(x, [n, d]);
  const XP = fromHost(xp, [n, d]);
  let total = 0;
  for (let i = 0; i < n * d; i++) total += (xp[i]! - x[i]!) ** 2;
  let last = NaN;
  try {
    for (let s = 1; s <= steps + 1; s++) {
      const out: TrainStepOutput = step(params, state, X.ref, XP.ref, s <= steps ? lr : 0, s);
      last = (out.loss.dataSync() as ArrayLike<number>)[0]! * n * d;
      params = out.params;
      state = out.optState;
    }
  } finally {
    X.dispose();
    XP.dispose();
    step.dispose();
    tree.dispose(state);
  }
  const { G, t } = params as { G: JArray; t: JArray };
  const Gh = toFloat64(G);
  const th = toFloat64(t);
  for (let k = 0; k < K; k++) {
    let s2 = 0;
    for (let i = 0; i < d * d; i++) s2 += Gh[k * d * d + i]! ** 2;
    const f = Math.sqrt(s2);
    for (let i = 0; i < d * d; i++) Gh[k * d * d + i] = Gh[k * d * d + i]! / f;
    for (let p = 0; p < n; p++) th[p * K + k] = th[p * K + k]! * f;
  }
  return { fit: { G: Gh, t: th, residual: last / total }, exact: last / total };
}
