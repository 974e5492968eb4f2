/**
 * Equivariant linear maps: the basis of Hom(repIn, repOut) = {W : ρ_out(g) W = W ρ_in(g)},
 * i.e. the vectors vec(W) (row-major) fixed by R = out ⊗ in*: the nullspace of the stacked
 * constraint [ρ_R(hᵢ) − I ; dρ_R(Aₖ)] for the discrete generators hᵢ and Lie generators Aₖ.
 *
 * The problem splits along direct sums: with repIn = ⊕ⱼ aⱼ and repOut = ⊕ᵢ bᵢ, W is a grid of
 * blocks W_ij ∈ Hom(aⱼ, bᵢ), solved once per distinct pair of summand types (cached by key) and
 * shared by every copy. Each type pair is solved in float64 on the host: densely (Gram matrix
 * CᵀC and pivoted Cholesky) up to `denseMaxSize` unknowns, iteratively (Chebyshev-filtered
 * subspace iteration on CᵀC through structured matvecs) above it.
 */
import { ConfigError, NoetherError, ShapeError, fmtShape } from "../core/errors.js";
import { ShiftOp, toDense, type LinOp } from "../reps/linop.js";
import { summandLayout } from "../reps/layout.js";
import { TensorRep, tensorProduct, type Rep } from "../reps/rep.js";

import { iterativeNullspace, jacobiEigh, psdNullspace, spectralCut } from "../core/linalg.js";
import { eye } from "../core/matrix.js";

/** Solver settings. */
export interface SolveOptions {
  /** Largest number of unknowns (size of out ⊗ in*) solved densely (default 1200). */
  denseMaxSize?: number;
  /** Singular values below tol·σ_max count as zero (default: the group's solveTol, else 1e-5 as EMLP). */
  tol?: number;
  /** Force a method for every type pair ("auto" picks by size). */
  method?: "auto" | "dense" | "iterative";
  /** Seed of the iterative solver's starting block. */
  seed?: number;
}

/** An orthonormal basis Q [N, r] of the vectors of ℝᴺ fixed by a representation R (N = R.size). */
export interface InvariantSubspace {
  readonly rep: Rep;
  /** Q [N, r] row-major, orthonormal columns. */
  readonly basis: Float64Array;
  readonly size: number;
  readonly rank: number;
  readonly method: "trivial" | "dense" | "iterative";
  /** Wall time of the solve in ms (0 for cache hits reported later). */
  readonly ms: number;
  /** max over constraints of max |C·Q| (a check of the solution). */
  readonly residual: number;
}

const invariantCache = new Map<string, InvariantSubspace>();
const basisCache = new Map<string, EquivariantBasis>();
let stats = { hits: 0, misses: 0 };

/** Clears the solver caches and counters. */
export function clearSolveCache(): void {
  invariantCache.clear();
  basisCache.clear();
  stats = { hits: 0, misses: 0 };
}

/** Cache counters: hits and misses of the per-type-pair invariant cache. */
export function solveCacheStats(): { hits: number; misses: number; entries: number } {
  return { ...stats, entries: invariantCache.size };
}

/** The constraint operators [ρ_R(hᵢ) − I …, dρ_R(Aₖ) …] of a representation R (zero ones dropped). */
export function constraintOps(R: Rep): LinOp[] {
  const G = R.G;
  const ops: LinOp[] = [];
  for (let k = 0; k < G.M; k++) ops.push(new ShiftOp(R.rhoOp(G.discreteGenerator(k)), 1));
  for (let k = 0; k < G.D; k++) {
    const op = R.drhoOp(G.lieGenerator(k));
    if (op.isZero !== true) ops.push(op);
  }
  return ops;
}

function gramDense(ops: LinOp[], n: number): Float64Array {
  const G = new Float64Array(n * n);
  const idx = new Int32Array(n);
  const val = new Float64Array(n);
  for (const op of ops) {
    const C = toDense(op);
    for (let row = 0; row < n; row++) {
      let nnz = 0;
      for (let j = 0; j < n; j++) {
        const v = C[row * n + j]!;
        if (v !== 0) {
          idx[nnz] = j;
          val[nnz++] = v;
        }
      }
      for (let p = 0; p < nnz; p++) {
        const gp = idx[p]! * n;
        const vp = val[p]!;
        for (let q = 0; q < nnz; q++) G[gp + idx[q]!]! += vp * val[q]!;
      }
    }
  }
  return G;
}

/**
 * Rows of Q' [N, r] laid out over the factors in order `perm` (Q' index over sizes[perm[j]]),
 * moved to the original factor order `sizes`: Q[i₁…i_k] = Q'[i_{perm[1]}…i_{perm[k]}].
 */
function permuteRows(qc: Float64Array, r: number, sizes: number[], perm: number[]): Float64Array {
  const k = sizes.length;
  const N = sizes.reduce((a, b) => a * b, 1);
  // Stride of original axis perm[j] in the canonical layout.
  const canonStride = new Array<number>(k).fill(0);
  let st = 1;
  for (let j = k - 1; j >= 0; j--) {
    canonStride[perm[j]!] = st;
    st *= sizes[perm[j]!]!;
  }
  const q = new Float64Array(N * r);
  const idx = new Array<number>(k).fill(0);
  for (let flat = 0; flat < N; flat++) {
    let src = 0;
    for (let a = 0; a < k; a++) src += idx[a]! * canonStride[a]!;
    q.set(qc.subarray(src * r, src * r + r), flat * r);
    for (let a = k - 1; a >= 0; a--) {
      if (++idx[a]! < sizes[a]!) break;
      idx[a] = 0;
    }
  }
  return q;
}

function residualOf(ops: LinOp[], Q: Float64Array, r: number): number {
  let worst = 0;
  if (r === 0) return 0;
  for (const op of ops) {
    const y = op.apply(Q, r);
    for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(y[i]!));
  }
  return worst;
}

/**
 * Orthonormal basis [N, r] of the invariant vectors of R (ρ_R(g)v = v for all g ∈ G), cached by
 * R.key. Dense pivoted Cholesky of CᵀC up to `denseMaxSize`, Chebyshev subspace iteration above.
 */
export function invariantSubspace(R: Rep, opts: SolveOptions = {}): InvariantSubspace {
  const cached = invariantCache.get(R.key);
  if (cached !== undefined) {
    stats.hits++;
    return cached;
  }
  stats.misses++;
  const t0 = performance.now();
  const n = R.size;
  // Canonical factor order: A⊗B and B⊗A have the same invariants up to an axis permutation,
  // so solve the sorted product once and permute the rows of its basis.
  if (R instanceof TensorRep) {
    const order = R.factors
      .map((f, i) => ({ f, i }))
      .sort((a, b) => (a.f.structure < b.f.structure ? -1 : a.f.structure > b.f.structure ? 1 : a.i - b.i));
    if (order.some((o, j) => o.i !== j)) {
      const canon = invariantSubspace(new TensorRep(order.map((o) => o.f)), opts);
      const out: InvariantSubspace = {
        ...canon,
        rep: R,
        basis: permuteRows(
          canon.basis,
          canon.rank,
          R.factors.map((f) => f.size),
          order.map((o) => o.i),
        ),
        ms: performance.now() - t0,
      };
      invariantCache.set(R.key, out);
      return out;
    }
  }
  const tol = opts.tol ?? R.G.solveTol ?? 1e-5;
  const ops = constraintOps(R);
  let out: InvariantSubspace;
  if (ops.length === 0) {
    out = { rep: R, basis: eye(n), size: n, rank: n, method: "trivial", ms: performance.now() - t0, residual: 0 };
  } else {
    // Approximate (learned) generators need a singular-value cut: exact eigen-decomposition up to
    // 400 dimensions, the spectral iterative solver above (pivoted Cholesky's diagonal threshold
    // admits spurious maps there: measured on a learned A·SO(3)·A⁻¹, 623 maps instead of 325).
    const denseMax = R.G.approximate ? 400 : (opts.denseMaxSize ?? 1200);
    const method =
      opts.method === undefined || opts.method === "auto" ? (n <= denseMax ? "dense" : "iterative") : opts.method;
    let q: Float64Array;
    let r: number;
    if (method === "dense" && R.G.approximate) {
      // Approximate (learned) generators: the full eigen-decomposition of the Gram matrix, cut at
      // the spectral gap (`spectralCut`, gap ≥ 5) among singular values σᵢ/σ_max ≤ tol. True
      // equivariant maps of a learned group sit at its error level (measured 6e-3–2e-2 for 1–2°
      // errors), the next directions at 0.1–0.8: a fixed threshold would have to fall between
      // them for every rep, the gap finds it per rep.
      const G = gramDense(ops, n);
      const { values, vectors } = jacobiEigh(G, n);
      const top = Math.sqrt(Math.max(values[n - 1]!, 0));
      const sigma = Array.from(values, (v) => Math.sqrt(Math.max(v, 0)) / (top || 1));
      r = spectralCut(sigma, { tol, minGap: 5 });
      q = new Float64Array(n * r);
      for (let i = 0; i < n; i++) for (let c = 0; c < r; c++) q[i * r + c] = vectors[i * n + c]!;
    } else if (method === "dense") {
      const G = gramDense(ops, n);
      const res = psdNullspace(G, n, tol * tol);
      q = res.q;
      r = res.r;
    } else {
      const beta = ops.reduce((s, op) => s + op.normBound() ** 2, 0);
      const gram = (x: Float64Array, k: number) => {
        const y = new Float64Array(n * k);
        for (const op of ops) {
          const t = op.apply(op.apply(x, k), k, true);
          for (let i = 0; i < y.length; i++) y[i]! += t[i]!;
        }
        return y;
      };
      const res = iterativeNullspace(gram, n, beta, { relTol: tol * tol, seed: opts.seed ?? 0 });
      q = res.q;
      r = res.r;
    }
    out = { rep: R, basis: q, size: n, rank: r, method, ms: performance.now() - t0, residual: residualOf(ops, q, r) };
  }
  invariantCache.set(R.key, out);
  return out;
}

/** One block type of Hom(repIn, repOut): every copy of summand `outRep` of repOut against every copy of summand `inRep` of repIn. */
export interface HomBlock {
  /** The summand type of repOut (size no). */
  readonly outRep: Rep;
  /** The summand type of repIn (size ni). */
  readonly inRep: Rep;
  /** Number of copies m of outRep in repOut and n of inRep in repIn. */
  readonly mOut: number;
  readonly nIn: number;
  /** Row indices in repOut, [m, no] (copy-major). */
  readonly outIndex: Int32Array;
  /** Column indices in repIn, [n, ni] (copy-major). */
  readonly inIndex: Int32Array;
  /** Q [no·ni, r]: orthonormal basis of Hom(inRep, outRep), vec row-major. */
  readonly basis: Float64Array;
  /** r: basis size of one copy pair. */
  readonly rank: number;
  /** Offset of this block's coefficients [m, n, r] in the flat coefficient vector. */
  readonly offset: number;
}

/** A basis of Hom(repIn, repOut) structured by summand types (blocks with rank 0 omitted). */
export interface EquivariantBasis {
  readonly repIn: Rep;
  readonly repOut: Rep;
  /** [repOut.size, repIn.size]. */
  readonly shape: readonly [number, number];
  /** Total dimension Σ m·n·r of the space of equivariant maps (= number of coefficients). */
  readonly rank: number;
  readonly blocks: readonly HomBlock[];
  /** Solve time of this call in ms (type pairs served from cache cost ~0). */
  readonly ms: number;
  /** W = Σ c·Q as a dense [nOut, nIn] matrix from coefficients [rank] (blocks in order, each [m, n, r]). */
  expand(coeffs: ArrayLike<number>): Float64Array;
  /** Coefficients [rank] of the orthogonal projection of W [nOut, nIn] onto the basis. */
  coefficients(w: ArrayLike<number>): Float64Array;
  /** Orthogonal projection of W [nOut, nIn] onto the equivariant maps: expand(coefficients(W)). */
  project(w: ArrayLike<number>): Float64Array;
  /** The basis as one dense matrix [nOut·nIn, rank] (orthonormal columns; only for small problems). */
  toDense(): Float64Array;
}

/**
 * The equivariant basis of Hom(repIn, repOut) (maps W [nOut, nIn] with W ρ_in(g) = ρ_out(g) W),
 * computed in float64 and cached by (repIn.key, repOut.key). Throws a NoetherError
 * "no equivariant map from A to B" when the space is {0}.
 */
export function equivariantBasis(repIn: Rep, repOut: Rep, opts: SolveOptions = {}): EquivariantBasis {
  if (repIn.G.key !== repOut.G.key)
    throw new ConfigError(
      `equivariantBasis: repIn is a representation of ${repIn.G.name} but repOut of ${repOut.G.name}`,
    );
  const cacheKey = `${repIn.key}→${repOut.key}`;
  const hit = basisCache.get(cacheKey);
  if (hit !== undefined) return hit;
  const t0 = performance.now();
  const ins = summandLayout(repIn).groups;
  const outs = summandLayout(repOut).groups;
  const blocks: HomBlock[] = [];
  let offset = 0;
  for (const go of outs)
    for (const gi of ins) {
      const sol = invariantSubspace(tensorProduct(go.rep, gi.rep.dual()), opts);
      if (sol.rank === 0) continue;
      const m = go.count;
      const n = gi.count;
      blocks.push({
        outRep: go.rep,
        inRep: gi.rep,
        mOut: m,
        nIn: n,
        outIndex: go.index,
        inIndex: gi.index,
        basis: sol.basis,
        rank: sol.rank,
        offset,
      });
      offset += m * n * sol.rank;
    }
  if (offset === 0)
    throw new NoetherError(
      `no equivariant map from ${repIn.structure} to ${repOut.structure} under ${repIn.G.name}: the constraint's nullspace is empty`,
    );
  const basis = makeBasis(repIn, repOut, blocks, offset, performance.now() - t0);
  basisCache.set(cacheKey, basis);
  return basis;
}

function makeBasis(repIn: Rep, repOut: Rep, blocks: HomBlock[], rank: number, ms: number): EquivariantBasis {
  const nOut = repOut.size;
  const nIn = repIn.size;
  const expand = (c: ArrayLike<number>): Float64Array => {
    if (c.length !== rank)
      throw new ShapeError(`EquivariantBasis.expand: expected ${rank} coefficients, got ${c.length}`);
    const W = new Float64Array(nOut * nIn);
    for (const b of blocks) {
      const no = b.outRep.size;
      const ni = b.inRep.size;
      const r = b.rank;
      for (let a = 0; a < b.mOut; a++)
        for (let j = 0; j < b.nIn; j++) {
          const cOff = b.offset + (a * b.nIn + j) * r;
          for (let o = 0; o < no; o++) {
            const row = b.outIndex[a * no + o]! * nIn;
            for (let i = 0; i < ni; i++) {
              let s = 0;
              const qOff = (o * ni + i) * r;
              for (let k = 0; k < r; k++) s += b.basis[qOff + k]! * c[cOff + k]!;
              W[row + b.inIndex[j * ni + i]!] = s;
            }
          }
        }
    }
    return W;
  };
  const coefficients = (w: ArrayLike<number>): Float64Array => {
    if (w.length !== nOut * nIn)
      throw new ShapeError(
        `EquivariantBasis.coefficients: expected W of shape ${fmtShape([nOut, nIn])} (${nOut * nIn} numbers), got ${w.length}`,
      );
    const c = new Float64Array(rank);
    for (const b of blocks) {
      const no = b.outRep.size;
      const ni = b.inRep.size;
      const r = b.rank;
      for (let a = 0; a < b.mOut; a++)
        for (let j = 0; j < b.nIn; j++) {
          const cOff = b.offset + (a * b.nIn + j) * r;
          for (let o = 0; o < no; o++) {
            const row = b.outIndex[a * no + o]! * nIn;
            for (let i = 0; i < ni; i++) {
              const v = w[row + b.inIndex[j * ni + i]!]!;
              if (v === 0) continue;
              const qOff = (o * ni + i) * r;
              for (let k = 0; k < r; k++) c[cOff + k]! += b.basis[qOff + k]! * v;
            }
          }
        }
    }
    return c;
  };
  return {
    repIn,
    repOut,
    shape: [nOut, nIn],
    rank,
    blocks,
    ms,
    expand,
    coefficients,
    project: (w) => expand(coefficients(w)),
    toDense() {
      const N = nOut * nIn;
      if (N * rank > 5e7)
        throw new ConfigError(`EquivariantBasis.toDense: [${N}, ${rank}] is too large; use blocks, expand or project`);
      const Q = new Float64Array(N * rank);
      const e = new Float64Array(rank);
      for (let k = 0; k < rank; k++) {
        e.fill(0);
        e[k] = 1;
        const W = expand(e);
        for (let i = 0; i < N; i++) Q[i * rank + k] = W[i]!;
      }
      return Q;
    },
  };
}

/** The orthogonal projector P = QQᵀ onto Hom(repIn, repOut)'s equivariant maps: `apply(W)` ([nOut·nIn] row-major) and `dense()` [N, N]. */
export function equivariantProjector(
  repIn: Rep,
  repOut: Rep,
  opts: SolveOptions = {},
): { readonly basis: EquivariantBasis; apply(w: ArrayLike<number>): Float64Array; dense(): Float64Array } {
  const basis = equivariantBasis(repIn, repOut, opts);
  return {
    basis,
    apply: (w) => basis.project(w),
    dense() {
      const Q = basis.toDense();
      const N = basis.shape[0] * basis.shape[1];
      const r = basis.rank;
      const P = new Float64Array(N * N);
      for (let i = 0; i < N; i++)
        for (let j = 0; j <= i; j++) {
          let s = 0;
          for (let k = 0; k < r; k++) s += Q[i * r + k]! * Q[j * r + k]!;
          P[i * N + j] = s;
          P[j * N + i] = s;
        }
      return P;
    },
  };
}
