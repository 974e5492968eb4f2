/**
 * What every discovery method returns, and the two choices they share: how many generators the
 * data supports (a spectral cut), and a readable basis of the span found (reduced row echelon
 * form, so that e.g. so(3) comes out as the three E_ij − E_ji).
 */
import { ConfigError } from "../core/errors.js";
import { closureResidual, type LieBasis } from "./algebra.js";

/** The methods of src/discovery. */
export type DiscoveryMethod = "invariant" | "equivariant" | "pairs" | "adversarial" | "embedding";

/** A discovered Lie algebra with how it was chosen. */
export interface Discovery {
  method: DiscoveryMethod;
  /** The generators found (readable basis: `canonicalBasis`). */
  basis: LieBasis;
  /**
   * The spectrum the number of generators was read from, normalised by its largest value:
   * ascending singular values of the constraint ("invariant", "equivariant", "embedding": small =
   * symmetry), or descending singular values of the generator candidates ("pairs": large =
   * generator), or relative residual per candidate count ("pairs" with single-vector pairs).
   */
  spectrum: number[];
  /** How the count was chosen: "given" (k passed), or "gap" (spectral cut, see `chooseCount`). */
  chosenBy: "given" | "gap";
  /** ‖[Gᵢ, Gⱼ] outside the span‖ / (‖Gᵢ‖‖Gⱼ‖), worst pair (0 for a Lie algebra). */
  closureResidual: number;
  /** Method-specific numbers (samples used, thresholds, losses). */
  details: Record<string, number | string | number[]>;
}

/**
 * Chooses how many leading values of a spectrum sorted from most to least "generator-like"
 * belong to generators: among the values on the generator side of `tol` (ratio to the scale
 * `s[ref]`), the count whose boundary has the largest gap (ratio of neighbours, in log scale) to
 * the next value. `small` says which end is generator-like: true for constraint spectra
 * (ascending singular values: symmetries are ≈ 0), false for candidate spectra (descending).
 * Returns 0 when no value is on the generator side. Values below 1e-6 count as 1e-6 in the gaps:
 * float64 round-off puts exact symmetries anywhere between 0 and ~1e-8 (eigenvalues of AᵀA
 * carry ~1e-16 absolute error), and those differences are not gaps.
 */
const FLOOR = 1e-6;

export function chooseCount(spectrum: readonly number[], opts: { tol: number; small: boolean }): number {
  const s = spectrum;
  if (s.length === 0) return 0;
  const inside = (v: number) => (opts.small ? v <= opts.tol : v >= opts.tol);
  let n = 0;
  while (n < s.length && inside(s[n]!)) n++;
  if (n === 0 || n === s.length) return n;
  // Cut at the largest ratio between neighbours among positions 1..n (the boundary after value c−1).
  let best = n;
  let bestGap = 0;
  for (let c = 1; c <= n; c++) {
    const a = Math.max(s[c - 1]!, FLOOR);
    const b = Math.max(s[c]!, FLOOR);
    const gap = opts.small ? Math.log(b / a) : Math.log(a / b);
    if (gap > bestGap) {
      bestGap = gap;
      best = c;
    }
  }
  return best;
}

/**
 * A readable basis of the same span: the reduced row echelon form of the k × d² matrix whose rows
 * are the generators (pivot entries 1, pivot columns zero elsewhere), each row then scaled to
 * unit Frobenius norm. The span is unchanged; only the choice of basis within it.
 */
export function canonicalBasis(b: LieBasis, tol = 1e-9): LieBasis {
  const n = b.d * b.d;
  const M = Float64Array.from(b.generators);
  const rows = b.k;
  let r = 0;
  const scale = Math.max(...Array.from(M, Math.abs), 0);
  for (let c = 0; c < n && r < rows; c++) {
    let piv = r;
    for (let i = r + 1; i < rows; i++) if (Math.abs(M[i * n + c]!) > Math.abs(M[piv * n + c]!)) piv = i;
    if (Math.abs(M[piv * n + c]!) <= tol * scale) continue;
    if (piv !== r) for (let j = 0; j < n; j++) [M[r * n + j], M[piv * n + j]] = [M[piv * n + j]!, M[r * n + j]!];
    const p = M[r * n + c]!;
    for (let j = 0; j < n; j++) M[r * n + j] = M[r * n + j]! / p;
    for (let i = 0; i < rows; i++) {
      if (i === r) continue;
      const f = M[i * n + c]!;
      if (f !== 0) for (let j = 0; j < n; j++) M[i * n + j] = M[i * n + j]! - f * M[r * n + j]!;
    }
    r++;
  }
  const out = new Float64Array(r * n);
  for (let i = 0; i < r; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += M[i * n + j]! ** 2;
    const norm = Math.sqrt(s);
    // Clean round-off below tol relative to the row, so structural zeros print as zeros.
    for (let j = 0; j < n; j++) {
      const v = M[i * n + j]! / norm;
      out[i * n + j] = Math.abs(v) < 1e-12 ? 0 : v;
    }
  }
  return { d: b.d, k: r, generators: out };
}

/** Assembles a Discovery from a basis (made readable) and its spectrum. */
export function makeDiscovery(method: DiscoveryMethod, basis: LieBasis, spectrum: number[], chosenBy: "given" | "gap", details: Discovery["details"]): Discovery {
  const readable = basis.k > 0 ? canonicalBasis(basis) : basis;
  return { method, basis: readable, spectrum, chosenBy, closureResidual: closureResidual(readable), details };
}

/** Throws a ConfigError unless k is a non-negative integer not above `max`. */
export function checkCount(what: string, k: number | undefined, max: number): void {
  if (k === undefined) return;
  if (!Number.isInteger(k) || k < 0 || k > max) throw new ConfigError(`${what}: k must be an integer in [0, ${max}], got ${k}`);
}
