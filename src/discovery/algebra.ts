/**
 * Lie algebras as data for discovery: a basis of k generators, d×d matrices stacked [k, d, d]
 * (row-major, float64), and what can be said about such a span — principal angles to another
 * span, per-generator cosines after optimal alignment, the commutator closure residual, and
 * the Lie closure (the smallest Lie algebra containing the span). A span is a subspace of the
 * d²-dimensional space of matrices; its basis need not be orthonormal.
 */
import { ConfigError, NoetherError } from "../core/errors.js";
import { jacobiEigh, orthonormalize } from "../core/linalg.js";
import { matmul } from "../core/matrix.js";

/** k generators of size d×d, flat [k, d, d]. */
export interface LieBasis {
  readonly d: number;
  readonly k: number;
  readonly generators: Float64Array;
}

/** A LieBasis from a list of d×d matrices (nested arrays or flat row-major), validated. */
export function lieBasis(
  matrices: readonly (ArrayLike<number> | readonly (readonly number[])[])[],
  d?: number,
): LieBasis {
  const flat = matrices.map((m, i) => {
    const rows = m as readonly (readonly number[])[];
    const v = Array.isArray(rows[0]) ? rows.flat() : Array.from(m as ArrayLike<number>);
    if (Array.isArray(rows[0]) && rows.some((r) => r.length !== rows.length))
      throw new ConfigError(`lieBasis: generator ${i} is not square`);
    return v;
  });
  const dd = d ?? (flat.length > 0 ? Math.round(Math.sqrt(flat[0]!.length)) : undefined);
  if (dd === undefined || !Number.isInteger(dd) || dd < 1)
    throw new ConfigError("lieBasis: cannot infer the matrix size d (no generators given; pass d)");
  const out = new Float64Array(flat.length * dd * dd);
  flat.forEach((v, i) => {
    if (v.length !== dd * dd)
      throw new ConfigError(`lieBasis: generator ${i} has ${v.length} entries, expected ${dd}×${dd} = ${dd * dd}`);
    v.forEach((x, j) => {
      if (!Number.isFinite(x))
        throw new ConfigError(
          `lieBasis: generator ${i} has a non-finite entry ${x} at ${Math.floor(j / dd)},${j % dd}`,
        );
      out[i * dd * dd + j] = x;
    });
  });
  return { d: dd, k: flat.length, generators: out };
}

/** Generator i of a basis [d, d] (a view). */
export function generator(b: LieBasis, i: number): Float64Array {
  return b.generators.subarray(i * b.d * b.d, (i + 1) * b.d * b.d);
}

/** The generators as nested d×d arrays (for JSON). */
export function toMatrices(b: LieBasis): number[][][] {
  return Array.from({ length: b.k }, (_, i) => {
    const g = generator(b, i);
    return Array.from({ length: b.d }, (_, r) => Array.from(g.subarray(r * b.d, (r + 1) * b.d)));
  });
}

/** An orthonormal basis of the span as columns Q [d², r] (r = rank), dropping dependent generators. */
export function orthonormalSpan(b: LieBasis, dropTol = 1e-10): { q: Float64Array; r: number } {
  const n = b.d * b.d;
  const cols = new Float64Array(n * b.k); // [n, k]: column i = vec(G_i)
  for (let i = 0; i < b.k; i++) for (let j = 0; j < n; j++) cols[j * b.k + i] = b.generators[i * n + j]!;
  const { q, k } = orthonormalize(cols, n, b.k, dropTol);
  return { q, r: k };
}

/** Singular values of A [m, n] (descending), from the eigenvalues of AᵀA. */
function singularValues(a: Float64Array, m: number, n: number): number[] {
  const ata = matmul(transposed(a, m, n), a, n, m, n);
  return Array.from(jacobiEigh(ata, n).values, (v) => Math.sqrt(Math.max(0, v))).sort((x, y) => y - x);
}

function transposed(a: Float64Array, m: number, n: number): Float64Array {
  const t = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = a[i * n + j]!;
  return t;
}

/**
 * Principal angles (degrees, ascending) between two spans of d×d matrices: θᵢ = acos σᵢ, σ the
 * singular values of Q_aᵀQ_b. There are min(rank a, rank b) of them; all 0 when one span
 * contains the other.
 */
export function principalAnglesDeg(a: LieBasis, b: LieBasis): number[] {
  if (a.d !== b.d) throw new ConfigError(`principalAnglesDeg: ${a.d}×${a.d} generators against ${b.d}×${b.d}`);
  const qa = orthonormalSpan(a);
  const qb = orthonormalSpan(b);
  if (qa.r === 0 || qb.r === 0) return [];
  const n = a.d * a.d;
  const m = matmul(transposed(qa.q, n, qa.r), qb.q, qa.r, n, qb.r); // [ra, rb]
  const sv = qa.r >= qb.r ? singularValues(m, qa.r, qb.r) : singularValues(transposed(m, qa.r, qb.r), qb.r, qa.r);
  return sv.map((s) => (Math.acos(Math.min(1, Math.max(-1, s))) * 180) / Math.PI).sort((x, y) => x - y);
}

/**
 * Per true generator: the cosine between it and its best approximation in the learned span
 * (the learned generators optimally aligned, i.e. recombined by least squares). 1 means the
 * true generator lies in the learned span.
 */
export function alignedCosines(learned: LieBasis, truth: LieBasis): number[] {
  if (learned.d !== truth.d)
    throw new ConfigError(`alignedCosines: ${learned.d}×${learned.d} generators against ${truth.d}×${truth.d}`);
  const { q, r } = orthonormalSpan(learned);
  const n = truth.d * truth.d;
  return Array.from({ length: truth.k }, (_, j) => {
    const t = generator(truth, j);
    const tn = Math.hypot(...t);
    if (tn === 0) return NaN;
    let proj = 0;
    for (let c = 0; c < r; c++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += q[i * r + c]! * t[i]!;
      proj += dot * dot;
    }
    return Math.sqrt(proj) / tn;
  });
}

function commutator(a: Float64Array, b: Float64Array, d: number): Float64Array {
  const ab = matmul(a, b, d, d, d);
  const ba = matmul(b, a, d, d, d);
  return ab.map((v, i) => v - ba[i]!);
}

/** The part of v [d²] outside the orthonormal span q [d², r]. */
function outside(v: Float64Array, q: Float64Array, r: number): Float64Array {
  const out = Float64Array.from(v);
  for (let c = 0; c < r; c++) {
    let dot = 0;
    for (let i = 0; i < v.length; i++) dot += q[i * r + c]! * v[i]!;
    for (let i = 0; i < v.length; i++) out[i] = out[i]! - dot * q[i * r + c]!;
  }
  return out;
}

/**
 * How far the span is from being closed under the bracket: max over pairs i < j of
 * ‖[Gᵢ, Gⱼ] − its projection onto the span‖ / (‖Gᵢ‖‖Gⱼ‖). 0 for a Lie algebra (and for k ≤ 1).
 */
export function closureResidual(b: LieBasis): number {
  const { q, r } = orthonormalSpan(b);
  const d = b.d;
  let worst = 0;
  for (let i = 0; i < b.k; i++)
    for (let j = i + 1; j < b.k; j++) {
      const gi = generator(b, i);
      const gj = generator(b, j);
      const scale = Math.hypot(...gi) * Math.hypot(...gj);
      if (scale === 0) continue;
      worst = Math.max(worst, Math.hypot(...outside(commutator(gi, gj, d), q, r)) / scale);
    }
  return worst;
}

/**
 * The Lie closure: the span plus every bracket direction it is missing, repeated until closed
 * (components below `tol` relative to ‖Gᵢ‖‖Gⱼ‖ count as inside). Returns an orthonormal basis
 * (Frobenius inner product) and how many generators were added. Throws past `maxDim`.
 */
export function lieClosure(
  b: LieBasis,
  opts: { tol?: number; maxDim?: number } = {},
): { basis: LieBasis; added: number } {
  const tol = opts.tol ?? 1e-6;
  const d = b.d;
  const n = d * d;
  const maxDim = opts.maxDim ?? n;
  let { q, r } = orthonormalSpan(b);
  const gens = (): Float64Array[] =>
    Array.from({ length: r }, (_, c) => Float64Array.from({ length: n }, (_, i) => q[i * r + c]!));
  const start = r;
  for (let changed = true; changed; ) {
    changed = false;
    const g = gens();
    for (let i = 0; i < g.length && !changed; i++)
      for (let j = i + 1; j < g.length && !changed; j++) {
        const res = outside(commutator(g[i]!, g[j]!, d), q, r);
        const size = Math.hypot(...res);
        if (size <= tol) continue;
        if (r + 1 > maxDim)
          throw new NoetherError(
            `lieClosure: the closure exceeds ${maxDim} generators (is the span far from a Lie algebra?)`,
          );
        const cols = new Float64Array(n * (r + 1));
        for (let c = 0; c < r; c++) for (let x = 0; x < n; x++) cols[x * (r + 1) + c] = q[x * r + c]!;
        for (let x = 0; x < n; x++) cols[x * (r + 1) + r] = res[x]! / size;
        ({ q, k: r } = orthonormalize(cols, n, r + 1));
        changed = true;
      }
  }
  const out = new Float64Array(r * n);
  gens().forEach((g, c) => out.set(g, c * n));
  return { basis: { d, k: r, generators: out }, added: r - start };
}
