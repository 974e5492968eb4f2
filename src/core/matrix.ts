/**
 * Small dense float64 matrix helpers on the host (row-major Float64Array), used by groups,
 * representations and the constraint solver. No jax-js here: these run at build time.
 */
import { NoetherError } from "./errors.js";

/** The n×n identity, row-major. */
export function eye(n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) out[i * n + i] = 1;
  return out;
}

/** C = A·B for A [n,k], B [k,m] → [n,m]. */
export function matmul(a: Float64Array, b: Float64Array, n: number, k: number, m: number): Float64Array {
  const c = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    const ci = i * m;
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p]!;
      if (aip === 0) continue;
      const bp = p * m;
      for (let j = 0; j < m; j++) c[ci + j]! += aip * b[bp + j]!;
    }
  }
  return c;
}

/** Aᵀ for A [n,m] → [m,n]. */
export function transpose(a: Float64Array, n: number, m: number): Float64Array {
  const t = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) t[j * n + i] = a[i * m + j]!;
  return t;
}

/** Matrix 1-norm (max column sum of |a_ij|) of an n×n matrix. */
export function norm1(a: Float64Array, n: number): number {
  let best = 0;
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.abs(a[i * n + j]!);
    if (s > best) best = s;
  }
  return best;
}

/** Frobenius norm of any array. */
export function frob(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return Math.sqrt(s);
}

/** max |a_i − b_i|. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/**
 * Solves A X = B for A [n,n], B [n,m] by Gaussian elimination with partial pivoting.
 * Throws a NoetherError naming `what` when A is singular (pivot < 1e-13·‖A‖₁).
 */
export function solve(a: Float64Array, b: Float64Array, n: number, m: number, what = "solve"): Float64Array {
  const A = Float64Array.from(a);
  const X = Float64Array.from(b);
  const scale = Math.max(norm1(a, n), Number.MIN_VALUE);
  for (let col = 0; col < n; col++) {
    let piv = col;
    let best = Math.abs(A[col * n + col]!);
    for (let r = col + 1; r < n; r++) {
      const v = Math.abs(A[r * n + col]!);
      if (v > best) {
        best = v;
        piv = r;
      }
    }
    if (!(best > 1e-13 * scale))
      throw new NoetherError(`${what}: matrix is singular (pivot ${best.toExponential(2)} in column ${col})`);
    if (piv !== col) {
      for (let j = 0; j < n; j++) {
        const t = A[col * n + j]!;
        A[col * n + j] = A[piv * n + j]!;
        A[piv * n + j] = t;
      }
      for (let j = 0; j < m; j++) {
        const t = X[col * m + j]!;
        X[col * m + j] = X[piv * m + j]!;
        X[piv * m + j] = t;
      }
    }
    const d = A[col * n + col]!;
    for (let r = col + 1; r < n; r++) {
      const f = A[r * n + col]! / d;
      if (f === 0) continue;
      for (let j = col; j < n; j++) A[r * n + j]! -= f * A[col * n + j]!;
      for (let j = 0; j < m; j++) X[r * m + j]! -= f * X[col * m + j]!;
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    const d = A[r * n + r]!;
    for (let j = 0; j < m; j++) {
      let s = X[r * m + j]!;
      for (let c = r + 1; c < n; c++) s -= A[r * n + c]! * X[c * m + j]!;
      X[r * m + j] = s / d;
    }
  }
  return X;
}

/** |det| of a row-major n×n host matrix by Gaussian elimination with partial pivoting. */
export function absDet(a: Float64Array, n: number): number {
  const m = Float64Array.from(a);
  let det = 1;
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]!) > Math.abs(m[piv * n + c]!)) piv = r;
    const v = m[piv * n + c]!;
    if (v === 0 || !Number.isFinite(v)) return v === 0 ? 0 : NaN;
    if (piv !== c) for (let k = 0; k < n; k++) [m[c * n + k], m[piv * n + k]] = [m[piv * n + k]!, m[c * n + k]!];
    det *= v;
    for (let r = c + 1; r < n; r++) {
      const f = m[r * n + c]! / v;
      for (let k = c; k < n; k++) m[r * n + k] = m[r * n + k]! - f * m[c * n + k]!;
    }
  }
  return Math.abs(det);
}

/** A⁻¹ for A [n,n] (throws a NoetherError naming `what` when singular). */
export function inverse(a: Float64Array, n: number, what = "inverse"): Float64Array {
  return solve(a, eye(n), n, n, what);
}

/** The k-th [n,n] matrix of a stack [K,n,n] (a copy). */
export function slice(stack: Float64Array, k: number, n: number): Float64Array {
  return stack.slice(k * n * n, (k + 1) * n * n);
}

/** Kronecker product A⊗B for A [p,p], B [q,q] → [pq,pq]. */
export function kron(a: Float64Array, p: number, b: Float64Array, q: number): Float64Array {
  const n = p * q;
  const out = new Float64Array(n * n);
  for (let i = 0; i < p; i++)
    for (let j = 0; j < p; j++) {
      const aij = a[i * p + j]!;
      if (aij === 0) continue;
      for (let k = 0; k < q; k++) for (let l = 0; l < q; l++) out[(i * q + k) * n + j * q + l] = aij * b[k * q + l]!;
    }
  return out;
}
