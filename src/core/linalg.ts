/**
 * Host float64 linear algebra for the constraint solver: a cyclic Jacobi eigensolver for small
 * symmetric matrices, modified Gram–Schmidt, and two nullspace methods for a PSD Gram matrix
 * CᵀC — dense pivoted Cholesky, and Chebyshev-filtered subspace iteration driven by matvecs.
 */
import { NoetherError } from "./errors.js";
import { hostNormal, hostRng } from "./rng.js";
import { eye } from "./matrix.js";

/** Eigen-decomposition of a symmetric [n,n] matrix by cyclic Jacobi: values ascending, vectors as columns [n,n]. */
export function jacobiEigh(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const A = Float64Array.from(a);
  const Vm = eye(n);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let tot = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const v = A[i * n + j]! ** 2;
        tot += v;
        if (i !== j) off += v;
      }
    if (off <= 1e-30 * tot || off === 0) break;
    for (let p = 0; p < n - 1; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const app = A[p * n + p]!;
        const aqq = A[q * n + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = A[k * n + p]!;
          const akq = A[k * n + q]!;
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p * n + k]!;
          const aqk = A[q * n + k]!;
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = Vm[k * n + p]!;
          const vkq = Vm[k * n + q]!;
          Vm[k * n + p] = c * vkp - s * vkq;
          Vm[k * n + q] = s * vkp + c * vkq;
        }
      }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => A[i * n + i]! - A[j * n + j]!);
  const values = Float64Array.from(order, (i) => A[i * n + i]!);
  const vectors = new Float64Array(n * n);
  for (let k = 0; k < n; k++) for (let r = 0; r < n; r++) vectors[r * n + k] = Vm[r * n + order[k]!]!;
  return { values, vectors };
}

/**
 * Orthonormalises the columns of X [n, k] (row-major) by modified Gram–Schmidt, twice;
 * columns whose norm drops below `dropTol` relative to their original norm are removed.
 * Returns [n, k'] and k'.
 */
export function orthonormalize(x: Float64Array, n: number, k: number, dropTol = 1e-10): { q: Float64Array; k: number } {
  const cols: Float64Array[] = [];
  for (let j = 0; j < k; j++) {
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = x[i * k + j]!;
    let n0 = 0;
    for (let i = 0; i < n; i++) n0 += v[i]! * v[i]!;
    n0 = Math.sqrt(n0);
    if (n0 === 0) continue;
    for (let pass = 0; pass < 2; pass++)
      for (const u of cols) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += u[i]! * v[i]!;
        for (let i = 0; i < n; i++) v[i]! -= dot * u[i]!;
      }
    let nv = 0;
    for (let i = 0; i < n; i++) nv += v[i]! * v[i]!;
    nv = Math.sqrt(nv);
    if (nv <= dropTol * n0) continue;
    for (let i = 0; i < n; i++) v[i]! /= nv;
    cols.push(v);
  }
  const kk = cols.length;
  const q = new Float64Array(n * kk);
  cols.forEach((c, j) => {
    for (let i = 0; i < n; i++) q[i * kk + j] = c[i]!;
  });
  return { q, k: kk };
}

/**
 * Nullspace of a symmetric PSD matrix G [n,n] by Cholesky with complete (diagonal) pivoting:
 * eliminates while the largest remaining diagonal exceeds `relTol`·max diag(G), then returns
 * the orthonormalised null vectors [n, r] (x = P[−L₁₁⁻ᵀL₂₁ᵀ; I]).
 */
export function psdNullspace(g: Float64Array, n: number, relTol: number): { q: Float64Array; r: number } {
  const A = Float64Array.from(g);
  const perm = Array.from({ length: n }, (_, i) => i);
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, A[i * n + i]!);
  const stop = relTol * Math.max(maxDiag, Number.MIN_VALUE);
  let k = 0;
  // In-place right-looking Cholesky on the permuted matrix; L stored in the lower triangle.
  for (; k < n; k++) {
    let piv = k;
    let best = A[k * n + k]!;
    for (let i = k + 1; i < n; i++)
      if (A[i * n + i]! > best) {
        best = A[i * n + i]!;
        piv = i;
      }
    if (!(best > stop)) break;
    if (piv !== k) {
      for (let j = 0; j < n; j++) {
        const t = A[k * n + j]!;
        A[k * n + j] = A[piv * n + j]!;
        A[piv * n + j] = t;
      }
      for (let i = 0; i < n; i++) {
        const t = A[i * n + k]!;
        A[i * n + k] = A[i * n + piv]!;
        A[i * n + piv] = t;
      }
      const t = perm[k]!;
      perm[k] = perm[piv]!;
      perm[piv] = t;
    }
    const lkk = Math.sqrt(A[k * n + k]!);
    A[k * n + k] = lkk;
    for (let i = k + 1; i < n; i++) A[i * n + k]! /= lkk;
    for (let i = k + 1; i < n; i++) {
      const lik = A[i * n + k]!;
      if (lik === 0) continue;
      const row = i * n;
      for (let j = k + 1; j <= i; j++) A[row + j]! -= lik * A[j * n + k]!;
    }
    // Keep the trailing block symmetric (only the lower triangle was updated).
    for (let i = k + 1; i < n; i++) for (let j = k + 1; j < i; j++) A[j * n + i] = A[i * n + j]!;
  }
  const rank = k;
  const r = n - rank;
  if (r === 0) return { q: new Float64Array(0), r: 0 };
  // Null vectors in permuted coordinates: x₂ = I_r, x₁ = −L₁₁⁻ᵀ L₂₁ᵀ.
  const X = new Float64Array(n * r);
  for (let c = 0; c < r; c++) {
    const x1 = new Float64Array(rank);
    for (let i = 0; i < rank; i++) x1[i] = -A[(rank + c) * n + i]!; // −L₂₁ᵀ column c
    for (let i = rank - 1; i >= 0; i--) {
      let s = x1[i]!;
      for (let j = i + 1; j < rank; j++) s -= A[j * n + i]! * x1[j]!;
      x1[i] = s / A[i * n + i]!;
    }
    for (let i = 0; i < rank; i++) X[perm[i]! * r + c] = x1[i]!;
    X[perm[rank + c]! * r + c] = 1;
  }
  const o = orthonormalize(X, n, r);
  return { q: o.q, r: o.k };
}

/** Options of the iterative nullspace solver. */
export interface IterativeOptions {
  /** Relative eigenvalue threshold: λ ≤ relTol·β counts as null (β a bound on ‖G‖). */
  relTol: number;
  /** Initial block size (doubled while the whole block is null). */
  block?: number;
  /** Chebyshev filter degree (default 16). */
  degree?: number;
  /** Maximum filter iterations per block size (default 300). */
  maxIter?: number;
  seed?: number;
}

/**
 * Nullspace of a PSD operator G (given by `gram(X, k)` = G·X for X [n,k]) with spectral bound
 * `beta` ≥ ‖G‖, by Chebyshev-filtered subspace iteration (Zhou & Saad 2007) with Rayleigh–Ritz:
 * the filter damps [a, β] (a = largest Ritz value) and amplifies the null space; the block
 * doubles while all of it is null (as EMLP's Krylov solver does). Returns Q [n, r].
 */
export function iterativeNullspace(
  gram: (x: Float64Array, k: number) => Float64Array,
  n: number,
  beta: number,
  opts: IterativeOptions,
): { q: Float64Array; r: number; iterations: number } {
  const degree = opts.degree ?? 16;
  const maxIter = opts.maxIter ?? 300;
  const rng = hostRng(opts.seed ?? 0);
  let b = Math.min(n, opts.block ?? 16);
  const thr = opts.relTol * beta;
  let total = 0;
  for (;;) {
    let { q: X, k } = orthonormalize(hostNormal(n * b, rng), n, b);
    let rr = rayleighRitz(gram, X, n, k);
    X = rr.x;
    let lastR = -1;
    let stable = 0;
    let lastNext = Infinity;
    let done = false;
    for (let it = 0; it < maxIter; it++) {
      total++;
      const theta = rr.theta;
      const a = Math.min(Math.max(theta[k - 1]!, 1e-3 * beta), 0.9 * beta);
      const Y = chebFilter(gram, X, n, k, degree, a, beta);
      const o = orthonormalize(Y, n, k, 1e-14);
      X = o.q;
      k = o.k;
      rr = rayleighRitz(gram, X, n, k);
      X = rr.x;
      let r = 0;
      while (r < k && rr.theta[r]! <= thr) r++;
      const next = r < k ? rr.theta[r]! : 0;
      if (r === k) break; // the whole block is null: enlarge it
      const settled = r === lastR && Math.abs(next - lastNext) <= 0.01 * next;
      stable = settled ? stable + 1 : 0;
      lastR = r;
      lastNext = next;
      if (stable >= 2 && next > 100 * thr) {
        // Polish: keep filtering until the null Ritz values reach ~machine precision (≤ 10 more).
        for (let extra = 0; extra < 10 && r > 0 && rr.theta[r - 1]! > 1e-26 * beta; extra++) {
          total++;
          const a2 = Math.min(Math.max(rr.theta[k - 1]!, 1e-3 * beta), 0.9 * beta);
          const o2 = orthonormalize(chebFilter(gram, X, n, k, degree, a2, beta), n, k, 1e-14);
          X = o2.q;
          k = o2.k;
          rr = rayleighRitz(gram, X, n, k);
          X = rr.x;
        }
        done = true;
        break;
      }
    }
    let r = 0;
    while (r < k && rr.theta[r]! <= thr) r++;
    if (done || (r < k && b >= n)) {
      const q = new Float64Array(n * r);
      for (let i = 0; i < n; i++) for (let j = 0; j < r; j++) q[i * r + j] = X[i * k + j]!;
      return { q, r, iterations: total };
    }
    if (b >= n) {
      return { q: X, r: k, iterations: total };
    }
    if (r < k)
      throw new NoetherError(
        `iterativeNullspace: no convergence after ${maxIter} filter iterations (block ${b}, n ${n})`,
      );
    b = Math.min(n, 2 * b);
  }
}

function rayleighRitz(
  gram: (x: Float64Array, k: number) => Float64Array,
  x: Float64Array,
  n: number,
  k: number,
): { x: Float64Array; theta: Float64Array } {
  const gx = gram(x, k);
  const H = new Float64Array(k * k);
  for (let i = 0; i < n; i++)
    for (let p = 0; p < k; p++) {
      const xp = x[i * k + p]!;
      if (xp === 0) continue;
      for (let q = 0; q < k; q++) H[p * k + q]! += xp * gx[i * k + q]!;
    }
  for (let p = 0; p < k; p++)
    for (let q = 0; q < p; q++) {
      const s = 0.5 * (H[p * k + q]! + H[q * k + p]!);
      H[p * k + q] = s;
      H[q * k + p] = s;
    }
  const { values, vectors } = jacobiEigh(H, k);
  const out = new Float64Array(n * k);
  for (let i = 0; i < n; i++)
    for (let p = 0; p < k; p++) {
      const xp = x[i * k + p]!;
      if (xp === 0) continue;
      for (let q = 0; q < k; q++) out[i * k + q]! += xp * vectors[p * k + q]!;
    }
  return { x: out, theta: values };
}

function chebFilter(
  gram: (x: Float64Array, k: number) => Float64Array,
  x: Float64Array,
  n: number,
  k: number,
  m: number,
  a: number,
  b: number,
): Float64Array {
  const e = (b - a) / 2;
  const c = (b + a) / 2;
  const len = n * k;
  let prev = x;
  let gx = gram(x, k);
  let cur = new Float64Array(len);
  for (let i = 0; i < len; i++) cur[i] = (gx[i]! - c * x[i]!) / e;
  for (let deg = 2; deg <= m; deg++) {
    gx = gram(cur, k);
    const next = new Float64Array(len);
    for (let i = 0; i < len; i++) next[i] = (2 * (gx[i]! - c * cur[i]!)) / e - prev[i]!;
    prev = cur;
    cur = next;
  }
  return cur;
}

/**
 * An orthogonal row-major [rows, cols] matrix (orthonormal columns if rows ≥ cols, else rows)
 * from max·min standard normal draws: Gram–Schmidt (QR, signs of diag R) of the Gaussian
 * [max, min] matrix, transposed when rows < cols — PyTorch's orthogonal_ construction.
 */
export function orthogonalMatrix(normals: Float64Array, rows: number, cols: number): Float64Array {
  const big = Math.max(rows, cols);
  const small = Math.min(rows, cols);
  const q = gramSchmidt(normals, big, small); // [big, small]
  if (rows >= cols) return q;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = q[j * small + i]!;
  return out;
}

/**
 * Modified Gram–Schmidt on the columns of a row-major [rows, cols] matrix (rows ≥ cols),
 * returning Q with orthonormal columns; column signs follow sign(diag R) as in a QR.
 */
export function gramSchmidt(a: Float64Array, rows: number, cols: number): Float64Array {
  const q = Float64Array.from(a);
  for (let j = 0; j < cols; j++) {
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < rows; i++) dot += q[i * cols + k]! * q[i * cols + j]!;
      for (let i = 0; i < rows; i++) q[i * cols + j]! -= dot * q[i * cols + k]!;
    }
    let norm = 0;
    for (let i = 0; i < rows; i++) norm += q[i * cols + j]! ** 2;
    norm = Math.sqrt(norm);
    if (norm === 0) throw new Error("gramSchmidt: rank-deficient matrix");
    for (let i = 0; i < rows; i++) q[i * cols + j]! /= norm;
  }
  return q;
}

/**
 * Where a sorted spectrum separates "null" from the rest. `values` run from most to least
 * null-like: ascending relative singular values (`small`, default) or descending ones. The cut is
 * the last boundary, among the values on the null side of `tol`, whose gap — the ratio of the
 * neighbours, values below 1e-6 counted as 1e-6 — is at least `minGap`; with none, the values at
 * or below 1e-6 (exact nulls) alone (0 for a descending spectrum). The last boundary, not the
 * largest: exact nulls (≈1e-9) followed by approximate ones (≈1e-2) and then the rest (≈0.3) have
 * two gaps, and both kinds belong on the null side. Float64 round-off puts exact nulls anywhere
 * in [0, ~1e-8] (eigenvalues of a Gram matrix carry ~1e-16 absolute error): no gap there.
 */
export function spectralCut(values: readonly number[], opts: { tol: number; minGap: number; small?: boolean }): number {
  const small = opts.small ?? true;
  const FLOOR = 1e-6;
  const inside = (v: number) => (small ? v <= opts.tol : v >= opts.tol);
  let n = 0;
  while (n < values.length && inside(values[n]!)) n++;
  if (n === values.length) return n;
  for (let c = n; c >= 1; c--) {
    const a = Math.max(values[c - 1]!, FLOOR);
    const b = Math.max(values[c]!, FLOOR);
    if ((small ? b / a : a / b) >= opts.minGap) return c;
  }
  if (!small) return 0;
  let exact = 0;
  while (exact < values.length && values[exact]! <= FLOOR) exact++;
  return exact;
}
