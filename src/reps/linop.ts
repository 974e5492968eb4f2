/**
 * Structured linear operators on the host (float64): what ρ(g) and dρ(A) of composite
 * representations are built from, so that tensor powers are applied factor by factor
 * (cost n·Σdᵢ per column) instead of as n×n dense matrices. Blocks of columns are
 * row-major [n, k] Float64Arrays.
 */
import { eye } from "../core/matrix.js";

/** A linear map ℝⁿ → ℝⁿ applied to k columns at once. */
export interface LinOp {
  /** Size n. */
  readonly n: number;
  /** Y = Op·X (or Opᵀ·X when `transpose`) for X [n, k] row-major → [n, k]. */
  apply(x: Float64Array, k: number, transpose?: boolean): Float64Array;
  /** An upper bound on the spectral norm ‖Op‖₂. */
  normBound(): number;
  /** True when the operator is exactly zero. */
  readonly isZero?: boolean;
}

/** A dense n×n matrix (row-major) as a LinOp. */
export class DenseOp implements LinOp {
  constructor(
    readonly n: number,
    readonly m: Float64Array,
  ) {}
  apply(x: Float64Array, k: number, transpose = false): Float64Array {
    const n = this.n;
    const m = this.m;
    const y = new Float64Array(n * k);
    for (let i = 0; i < n; i++) {
      const yi = i * k;
      for (let p = 0; p < n; p++) {
        const a = transpose ? m[p * n + i]! : m[i * n + p]!;
        if (a === 0) continue;
        const xp = p * k;
        for (let j = 0; j < k; j++) y[yi + j]! += a * x[xp + j]!;
      }
    }
    return y;
  }
  normBound(): number {
    const n = this.n;
    let r = 0;
    let c = 0;
    for (let i = 0; i < n; i++) {
      let sr = 0;
      let sc = 0;
      for (let j = 0; j < n; j++) {
        sr += Math.abs(this.m[i * n + j]!);
        sc += Math.abs(this.m[j * n + i]!);
      }
      r = Math.max(r, sr);
      c = Math.max(c, sc);
    }
    return Math.sqrt(r * c);
  }
}

/** s·I of size n (s = 0 gives the zero operator). */
export class ScaledIdentityOp implements LinOp {
  readonly isZero: boolean;
  constructor(
    readonly n: number,
    readonly s = 1,
  ) {
    this.isZero = s === 0;
  }
  apply(x: Float64Array, k: number): Float64Array {
    if (this.s === 0) return new Float64Array(this.n * k);
    return this.s === 1 ? Float64Array.from(x) : x.map((v) => v * this.s);
  }
  normBound(): number {
    return Math.abs(this.s);
  }
}

/** Applies op along one axis of X viewed as [a, op.n, b] (b includes the k columns). */
function modeApply(op: LinOp, x: Float64Array, a: number, b: number, transpose: boolean): Float64Array {
  const nf = op.n;
  const y = new Float64Array(x.length);
  if (op instanceof DenseOp) {
    // Direct loops (no per-slice allocation): y[s, i, :] = Σ_p M[i, p] x[s, p, :].
    const m = op.m;
    for (let s = 0; s < a; s++) {
      const base = s * nf * b;
      for (let i = 0; i < nf; i++) {
        const yi = base + i * b;
        for (let p = 0; p < nf; p++) {
          const c = transpose ? m[p * nf + i]! : m[i * nf + p]!;
          if (c === 0) continue;
          const xp = base + p * b;
          for (let j = 0; j < b; j++) y[yi + j]! += c * x[xp + j]!;
        }
      }
    }
    return y;
  }
  const stride = nf * b;
  for (let i = 0; i < a; i++) y.set(op.apply(x.subarray(i * stride, (i + 1) * stride), b, transpose), i * stride);
  return y;
}

/** F₁ ⊗ F₂ ⊗ … (row-major Kronecker product): ρ of a tensor product. */
export class KronOp implements LinOp {
  readonly n: number;
  constructor(readonly factors: LinOp[]) {
    this.n = factors.reduce((s, f) => s * f.n, 1);
  }
  apply(x: Float64Array, k: number, transpose = false): Float64Array {
    let y = x;
    let before = 1;
    let after = this.n;
    for (const f of this.factors) {
      after /= f.n;
      y = modeApply(f, y, before, after * k, transpose);
      before *= f.n;
    }
    return y === x ? Float64Array.from(x) : y;
  }
  normBound(): number {
    return this.factors.reduce((s, f) => s * f.normBound(), 1);
  }
}

/** Σᵢ I ⊗ … ⊗ Fᵢ ⊗ … ⊗ I (Kronecker sum): dρ of a tensor product. */
export class KronSumOp implements LinOp {
  readonly n: number;
  readonly isZero: boolean;
  constructor(readonly factors: LinOp[]) {
    this.n = factors.reduce((s, f) => s * f.n, 1);
    this.isZero = factors.every((f) => f.isZero === true);
  }
  apply(x: Float64Array, k: number, transpose = false): Float64Array {
    const y = new Float64Array(x.length);
    let before = 1;
    let after = this.n;
    for (const f of this.factors) {
      after /= f.n;
      if (f.isZero !== true) {
        const t = modeApply(f, x, before, after * k, transpose);
        for (let i = 0; i < y.length; i++) y[i]! += t[i]!;
      }
      before *= f.n;
    }
    return y;
  }
  normBound(): number {
    return this.factors.reduce((s, f) => s + f.normBound(), 0);
  }
}

/** Block-diagonal diag(B₁, B₂, …): ρ and dρ of a direct sum. */
export class BlockDiagOp implements LinOp {
  readonly n: number;
  readonly isZero: boolean;
  constructor(readonly blocks: LinOp[]) {
    this.n = blocks.reduce((s, f) => s + f.n, 0);
    this.isZero = blocks.every((f) => f.isZero === true);
  }
  apply(x: Float64Array, k: number, transpose = false): Float64Array {
    const y = new Float64Array(x.length);
    let off = 0;
    for (const b of this.blocks) {
      const len = b.n * k;
      if (b.isZero !== true) y.set(b.apply(x.subarray(off, off + len), k, transpose), off);
      off += len;
    }
    return y;
  }
  normBound(): number {
    return this.blocks.reduce((s, f) => Math.max(s, f.normBound()), 0);
  }
}

/** s·Opᵀ (with s = −1: dρ of a dual). */
export class ScaledTransposeOp implements LinOp {
  readonly n: number;
  readonly isZero?: boolean;
  constructor(
    readonly inner: LinOp,
    readonly s = 1,
  ) {
    this.n = inner.n;
    this.isZero = inner.isZero === true || s === 0;
  }
  apply(x: Float64Array, k: number, transpose = false): Float64Array {
    const y = this.inner.apply(x, k, !transpose);
    if (this.s !== 1) for (let i = 0; i < y.length; i++) y[i]! *= this.s;
    return y;
  }
  normBound(): number {
    return Math.abs(this.s) * this.inner.normBound();
  }
}

/** Op − s·I (ρ(h) − I for a discrete constraint). */
export class ShiftOp implements LinOp {
  readonly n: number;
  constructor(
    readonly inner: LinOp,
    readonly s: number,
  ) {
    this.n = inner.n;
  }
  apply(x: Float64Array, k: number, transpose = false): Float64Array {
    const y = this.inner.apply(x, k, transpose);
    for (let i = 0; i < y.length; i++) y[i]! -= this.s * x[i]!;
    return y;
  }
  normBound(): number {
    return this.inner.normBound() + Math.abs(this.s);
  }
}

/** The dense matrix [n, n] of a LinOp (applies it to the identity). */
export function toDense(op: LinOp): Float64Array {
  return op.apply(eye(op.n), op.n);
}
