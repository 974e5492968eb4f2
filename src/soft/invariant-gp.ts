/**
 * Learning invariances with the marginal likelihood (van der Wilk, Bauer, John & Hensman 2018):
 * a Gaussian process on square images whose kernel is averaged over an orbit of rotations,
 *
 *   k_inv(x, x′) = (1/S²) Σ_{s,s′} k(g_s x, g_{s′} x′),   g_s = rotation by θ_max·u_s,
 *
 * with k an RBF kernel (lengthscale ℓ, variance σ_f²) and u_s fixed points of (−1, 1) (the
 * midpoint rule, in antithetic pairs ±u), so the kernel is differentiable in the range θ_max and
 * the amount of invariance is a hyper-parameter learned, with ℓ, σ_f² and the noise σ², by
 * maximising a sparse-GP bound on the marginal likelihood. θ_max = 0 is the plain RBF kernel,
 * θ_max = π full rotation invariance; the range is parameterised as θ_max = π·sigmoid(ρ).
 *
 * As in the paper, the inducing variables are values of the *non-invariant* function, u = f(Z)
 * with Z in image space and f_inv(x) = (1/S) Σ_s f(g_s x): K_uu = k(Z, Z), K_uf = (1/S) Σ_s k(Z, g_s x),
 * and only diag K_ff needs the double sum over the orbit (O(N·S²) instead of O(N²·S²)).
 *
 * Deviation from the paper, which trains a classifier (SVGP, q(u) = N(m, S), robust-max
 * likelihood, minibatches): this is sparse GP *regression* on the (centred one-hot) targets with
 * Titsias' collapsed bound, closed form and deterministic, the D outputs sharing one kernel;
 * classes are read off as the argmax of the posterior mean.
 *
 *   bound = Σ_d log N(y_d | 0, Q_ff + σ²I) − D/(2σ²)·tr(K_ff − Q_ff),   Q_ff = K_fu K_uu⁻¹ K_uf.
 */
import { lax, numpy as np, type Array as JArray } from "../jax.js";
import { ConfigError, ShapeError, fmtShape } from "../core/errors.js";
import { fromHost, placementOf, toFloat64 } from "../core/host.js";
import type { LossFn } from "../train/losses.js";
import { warpCopies } from "./warp.js";

/** Hyper-parameters and inducing points of an invariant GP (raw, unconstrained). */
export interface InvariantGPParams {
  [k: string]: JArray;
  /** Inducing points [M, size²] (images). */
  z: JArray;
  /** ρ, θ_max = π·sigmoid(ρ) (0-d). */
  range: JArray;
  /** log ℓ (0-d). */
  logLengthscale: JArray;
  /** log σ_f² (0-d). */
  logVariance: JArray;
  /** log σ² of the Gaussian noise (0-d). */
  logNoise: JArray;
}

/** Options of `invariantGP`. */
export interface InvariantGPOptions {
  /** Orbit samples S (default 8; even, or 1 for the plain RBF kernel with no orbit). */
  copies?: number;
  /** Learn θ_max (default true); false keeps it at `initRange`. */
  learnRange?: boolean;
  /** Train the inducing points Z too (default false: Z stays where `init` put it). */
  trainInducing?: boolean;
  /** Jitter added to K_uu, relative to σ_f² (default 1e-4; float32 needs it). */
  jitter?: number;
}

/** Initial hyper-parameters (`InvariantGP.init`). */
export interface InvariantGPInit {
  /** Initial θ_max in radians, in (0, π) (default π/4; θ_max = 0 is a stationary point of the bound). */
  range?: number;
  /** Initial ℓ (default 1). */
  lengthscale?: number;
  /** Initial σ_f² (default 1). */
  variance?: number;
  /** Initial noise variance σ² (default 0.1). */
  noise?: number;
  /** dtype and device of the parameters (default: the engine's float dtype, default device). */
  dtype?: "float32" | "float64";
  device?: JArray["device"];
}

/** The constrained hyper-parameters as host numbers. */
export interface InvariantGPHyper {
  /** θ_max in radians (0 for the plain kernel). */
  range: number;
  /** θ_max in degrees: the learned rotation range is ±rangeDeg. */
  rangeDeg: number;
  lengthscale: number;
  variance: number;
  noise: number;
}

/** An orbit-averaged-kernel sparse GP on size×size images (see the module comment). */
export interface InvariantGP {
  readonly size: number;
  readonly copies: number;
  /** The fixed orbit points u_s ∈ (−1, 1) [S]: angles θ_max·u_s. */
  readonly points: Float64Array;
  /** Parameters with inducing points `z` [M, size²] (host, copied) and initial hyper-parameters. */
  init(z: ArrayLike<number>, m: number, init?: InvariantGPInit): InvariantGPParams;
  /** θ_max, ℓ, σ_f², σ² as host numbers (borrows params). */
  hyper(params: InvariantGPParams): InvariantGPHyper;
  /** The S rotated copies [S, B, size²] of x [B, size²] at the params' θ_max (consumes both). */
  orbit(params: InvariantGPParams, x: JArray): JArray;
  /** The orbit kernel k_inv(x1, x2) [N1, N2] (consumes params, x1, x2). */
  kernel(params: InvariantGPParams, x1: JArray, x2: JArray): JArray;
  /** The collapsed bound (a lower bound on log p(y)) for x [N, size²], y [N, D], 0-d (consumes all). */
  bound(params: InvariantGPParams, x: JArray, y: JArray): JArray;
  /** The posterior mean [N*, D] at xStar given training x, y (consumes all). */
  predict(params: InvariantGPParams, x: JArray, y: JArray, xStar: JArray): JArray;
}

/** Orbit points: S midpoints ±(j + ½)/(S/2), j < S/2, of (−1, 1); [0] for S = 1. */
function orbitPoints(S: number): Float64Array {
  if (S === 1) return Float64Array.of(0);
  if (!(Number.isInteger(S) && S >= 2 && S % 2 === 0))
    throw new ConfigError(`invariantGP: copies must be 1 or an even integer ≥ 2, got ${S}`);
  const h = S / 2;
  const u = new Float64Array(S);
  for (let j = 0; j < h; j++) {
    u[j] = (j + 0.5) / h;
    u[h + j] = -(j + 0.5) / h;
  }
  return u;
}

/** Squared distances [n1, n2] between the rows of a [n1, P] and b [n2, P], clamped at 0 (consumes both). */
function sqdist(a: JArray, b: JArray): JArray {
  const [n1, n2] = [a.shape[0]!, b.shape[0]!];
  const a2 = np.sum(np.square(a.ref), 1).reshape([n1, 1]);
  const b2 = np.sum(np.square(b.ref), 1).reshape([1, n2]);
  const ab = np.matmul(a, b.transpose([1, 0]));
  return np.maximum(a2.add(b2).sub(ab.mul(2)), 0);
}

/**
 * An orbit-averaged (rotation) sparse GP on size×size images, the invariance range θ_max a
 * hyper-parameter (van der Wilk et al. 2018; regression form, see the module comment). Train it
 * with `invariantGPLoss(gp)` in `makeTrainStep`/`fit` on the full training set; `copies: 1` is
 * the plain RBF GP with the same machinery.
 * @example
 * const gp = invariantGP(28, { copies: 8 });
 * const p = gp.init(zHost, 64, { lengthscale: 4 });
 * const elbo = gp.bound(p, x, y).item();
 */
export function invariantGP(size: number, opts: InvariantGPOptions = {}): InvariantGP {
  const S = opts.copies ?? 8;
  const u = orbitPoints(S);
  const learnRange = opts.learnRange ?? true;
  const trainZ = opts.trainInducing ?? false;
  const jitter = opts.jitter ?? 1e-4;
  if (!(jitter >= 0)) throw new ConfigError(`invariantGP: jitter must be ≥ 0, got ${jitter}`);
  const P = size * size;

  const check = (what: string, x: JArray, rest: JArray[]) => {
    if (x.ndim !== 2 || x.shape[1] !== P) {
      const shape = x.shape;
      for (const a of [x, ...rest]) a.dispose();
      throw new ShapeError(`invariantGP.${what}: expected images [N, ${P}] (${size}×${size}), got ${fmtShape(shape)}`);
    }
  };
  const disposeParams = (p: InvariantGPParams) => {
    for (const k of ["z", "range", "logLengthscale", "logVariance", "logNoise"] as const) p[k].dispose();
  };
  /** θ_max (0-d, consumes ρ). */
  const theta = (rho: JArray): JArray => {
    const t = np.reciprocal(np.exp(rho.mul(-1)).add(1)).mul(Math.PI);
    return learnRange ? t : lax.stopGradient(t);
  };
  /** S rotation matrices [S, 3, 3] at angles θ_max·u_s (consumes ρ). */
  const rotations = (rho: JArray): JArray => {
    const at = placementOf(rho);
    const a = fromHost(u, [S, 1], at).mul(theta(rho).reshape([1, 1]));
    const ec = fromHost([1, 0, 0, 0, 1, 0, 0, 0, 0], [1, 9], at);
    const es = fromHost([0, -1, 0, 1, 0, 0, 0, 0, 0], [1, 9], at);
    const e1 = fromHost([0, 0, 0, 0, 0, 0, 0, 0, 1], [1, 9], at);
    return np.cos(a.ref).mul(ec).add(np.sin(a).mul(es)).add(e1).reshape([S, 3, 3]);
  };
  /** Copies [S, B, P] (consumes ρ and x); the identity without a warp for S = 1. */
  const copiesOf = (rho: JArray, x: JArray): JArray => {
    if (S === 1) {
      rho.dispose();
      return x.reshape([1, x.shape[0]!, P]);
    }
    return warpCopies(x, rotations(rho), size);
  };
  /** RBF k(a, b) [n1, n2] = σ_f² exp(−|a − b|²/2ℓ²) (consumes all). */
  const rbf = (logL: JArray, logV: JArray, a: JArray, b: JArray): JArray =>
    np.exp(
      sqdist(a, b)
        .mul(np.exp(logL.mul(-2)).mul(-0.5))
        .add(logV),
    );
  /** Z as the bound sees it: with its gradient, or stopped (consumes z). */
  const zOf = (z: JArray) => (trainZ ? z : lax.stopGradient(z));
  /** K_uf [M, N] = (1/S) Σ_s k(Z, g_s x) from the copies c [S, N, P] (consumes all). */
  const kuf = (logL: JArray, logV: JArray, z: JArray, c: JArray): JArray => {
    const N = c.shape[1]!;
    const M = z.shape[0]!;
    const k = rbf(logL, logV, z, c.reshape([S * N, P]));
    return S === 1 ? k : np.mean(k.reshape([M, S, N]), 1);
  };
  /** K_uu + jitter·σ_f²·I [M, M] (consumes all). */
  const kuu = (logL: JArray, logV: JArray, z: JArray): JArray => {
    const M = z.shape[0]!;
    const at = placementOf(z);
    const eye = np.eye(M, M, { dtype: at.dtype, device: at.device });
    return rbf(logL, logV.ref, z.ref, z).add(eye.mul(np.exp(logV).mul(jitter)));
  };
  /**
   * diag K_ff [N] of the orbit kernel from the copies c [S, N, P] (consumes all):
   * σ_f²/S² Σ_{s,s′} exp(−|g_s x − g_s′ x|²/2ℓ²).
   */
  const kffDiag = (logL: JArray, logV: JArray, c: JArray): JArray => {
    const N = c.shape[1]!;
    const at = placementOf(c);
    if (S === 1) {
      logL.dispose();
      c.dispose();
      return np.ones([N], { dtype: at.dtype, device: at.device }).mul(np.exp(logV));
    }
    const scale = np.exp(logL.mul(-2)).mul(-0.5);
    const rows = Array.from({ length: S }, (_, s) => c.ref.slice(s).reshape([N, P]));
    c.dispose();
    let acc: JArray = np.ones([N], { dtype: at.dtype, device: at.device }).mul(S);
    for (let s = 0; s < S; s++)
      for (let t = s + 1; t < S; t++) {
        const d2 = np.sum(np.square(rows[s]!.ref.sub(rows[t]!.ref)), 1);
        acc = acc.add(np.exp(d2.mul(scale.ref)).mul(2));
      }
    for (const r of rows) r.dispose();
    scale.dispose();
    return acc.mul(np.exp(logV).mul(1 / (S * S)));
  };
  /**
   * The factors every bound and prediction share, from the training copies c [S, N, P] (consumes
   * params and c): L = chol(K_uu), A = L⁻¹K_uf/σ, LB = chol(I + AAᵀ), σ.
   */
  const factors = (p: InvariantGPParams, c: JArray) => {
    p.range.dispose();
    const z = zOf(p.z);
    const Kuu = kuu(p.logLengthscale.ref, p.logVariance.ref, z.ref);
    const Kuf = kuf(p.logLengthscale, p.logVariance, z, c);
    const L = np.linalg.cholesky(Kuu);
    const sigma = np.exp(p.logNoise.mul(0.5));
    const A = lax.linalg.triangularSolve(L.ref, Kuf, { leftSide: true, lower: true }).div(sigma.ref);
    const M = A.shape[0]!;
    const at = placementOf(A);
    const AAT = np.matmul(A.ref, A.ref.transpose([1, 0]));
    const LB = np.linalg.cholesky(AAT.add(np.eye(M, M, { dtype: at.dtype, device: at.device })));
    return { L, A, LB, sigma };
  };

  const self: InvariantGP = {
    size,
    copies: S,
    points: u,
    init(z, m, init = {}) {
      if (z.length !== m * P)
        throw new ShapeError(`invariantGP.init: ${z.length} values for ${m} inducing images of ${P} pixels`);
      const r = init.range ?? Math.PI / 4;
      if (!(r > 0 && r < Math.PI)) throw new ConfigError(`invariantGP.init: range must be in (0, π), got ${r}`);
      const o = { ...(init.dtype ? { dtype: init.dtype } : {}), ...(init.device ? { device: init.device } : {}) };
      const q = r / Math.PI;
      const scalar = (v: number) => fromHost([v], [], o);
      return {
        z: fromHost(z, [m, P], o),
        range: scalar(Math.log(q / (1 - q))),
        logLengthscale: scalar(Math.log(init.lengthscale ?? 1)),
        logVariance: scalar(Math.log(init.variance ?? 1)),
        logNoise: scalar(Math.log(init.noise ?? 0.1)),
      };
    },
    hyper(p) {
      const rho = toFloat64(p.range.ref)[0]!;
      const range = S === 1 ? 0 : Math.PI / (1 + Math.exp(-rho));
      return {
        range,
        rangeDeg: (range * 180) / Math.PI,
        lengthscale: Math.exp(toFloat64(p.logLengthscale.ref)[0]!),
        variance: Math.exp(toFloat64(p.logVariance.ref)[0]!),
        noise: Math.exp(toFloat64(p.logNoise.ref)[0]!),
      };
    },
    orbit(p, x) {
      check("orbit", x, [p.z, p.range, p.logLengthscale, p.logVariance, p.logNoise]);
      const c = copiesOf(p.range, x);
      for (const k of ["z", "logLengthscale", "logVariance", "logNoise"] as const) p[k].dispose();
      return c;
    },
    kernel(p, x1, x2) {
      check("kernel", x1, [x2, p.z, p.range, p.logLengthscale, p.logVariance, p.logNoise]);
      check("kernel", x2, [p.z, p.range, p.logLengthscale, p.logVariance, p.logNoise]);
      const [n1, n2] = [x1.shape[0]!, x2.shape[0]!];
      const c1 = copiesOf(p.range.ref, x1).reshape([S * n1, P]);
      const c2 = copiesOf(p.range, x2).reshape([S * n2, P]);
      p.z.dispose();
      p.logNoise.dispose();
      const k = rbf(p.logLengthscale, p.logVariance, c1, c2).reshape([S, n1, S, n2]);
      return np.mean(np.mean(k, 0), 1);
    },
    bound(p, x, y) {
      check("bound", x, [y, p.z, p.range, p.logLengthscale, p.logVariance, p.logNoise]);
      if (y.ndim !== 2 || y.shape[0] !== x.shape[0]) {
        const [xs, ys] = [x.shape, y.shape];
        for (const a of [x, y]) a.dispose();
        disposeParams(p);
        throw new ShapeError(`invariantGP.bound: expected targets [${xs[0]}, D], got ${fmtShape(ys)}`);
      }
      const N = x.shape[0]!;
      const D = y.shape[1]!;
      const c = copiesOf(p.range.ref, x);
      const kdiag = kffDiag(p.logLengthscale.ref, p.logVariance.ref, c.ref);
      const logNoise = p.logNoise.ref;
      const { L, A, LB, sigma } = factors(p, c);
      L.dispose();
      // tr(AAᵀ) as Σ A² (np.trace's gradient is wrong under jit in jax-js 0.1.25).
      const trAAT = np.sum(np.square(A.ref));
      const b = lax.linalg.triangularSolve(LB.ref, np.matmul(A, y.ref), { leftSide: true, lower: true }).div(sigma);
      const noiseVar = np.exp(logNoise.ref);
      const logDetB = np.sum(np.log(np.diagonal(LB))).mul(2);
      const quad = np
        .sum(np.square(y))
        .div(noiseVar.ref)
        .sub(np.sum(np.square(b)));
      const trace = np.sum(kdiag).div(noiseVar).sub(trAAT);
      return logDetB
        .add(logNoise.mul(N))
        .mul(-0.5 * D)
        .sub(quad.mul(0.5))
        .sub(trace.mul(0.5 * D))
        .sub(0.5 * N * D * Math.log(2 * Math.PI));
    },
    predict(p, x, y, xStar) {
      check("predict", x, [y, xStar, p.z, p.range, p.logLengthscale, p.logVariance, p.logNoise]);
      check("predict", xStar, [y, p.z, p.range, p.logLengthscale, p.logVariance, p.logNoise]);
      const ks = kuf(p.logLengthscale.ref, p.logVariance.ref, zOf(p.z.ref), copiesOf(p.range.ref, xStar));
      const { L, A, LB, sigma } = factors(p, copiesOf(p.range.ref, x));
      const c = lax.linalg.triangularSolve(LB.ref, np.matmul(A, y), { leftSide: true, lower: true }).div(sigma);
      const t1 = lax.linalg.triangularSolve(L, ks, { leftSide: true, lower: true });
      const t2 = lax.linalg.triangularSolve(LB, t1, { leftSide: true, lower: true });
      return np.matmul(t2.transpose([1, 0]), c);
    },
  };
  return self;
}

/** `fit`/`makeTrainStep`'s loss for an invariant GP: −bound/(N·D) on the full set (consumes params, x, y). */
export function invariantGPLoss(gp: InvariantGP): LossFn<InvariantGPParams> {
  return (p, x, y) => {
    const nd = x.shape[0]! * (y.shape[1] ?? 1);
    return gp.bound(p, x, y).mul(-1 / nd);
  };
}
