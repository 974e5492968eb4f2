/**
 * What every discovery method returns, and the two choices they share: how many generators the
 * data supports (a spectral cut), and a readable basis of the span found (reduced row echelon
 * form, so that e.g. so(3) comes out as the three E_ij − E_ji).
 */
import { ConfigError } from "../core/errors.js";
import { spectralCut } from "../core/linalg.js";
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
 * How many leading values of a spectrum belong to generators: `spectralCut` (core/linalg.ts)
 * with the discovery methods' default gap, 2. `small` says which end is generator-like: true for
 * constraint spectra (ascending singular values relative to the largest: symmetries ≈ 0), false
 * for candidate spectra (descending). Measured: exact symmetries at ≤ 1e-8 then ~0.5; those of a
 * fitted network in a cluster well below the rest (so(5) at ≤ 0.05 then 0.39; so(1,3) at ≤ 0.12
 * then 0.44); a function without a symmetry with no such step.
 */
export function chooseCount(
  spectrum: readonly number[],
  opts: { tol: number; small: boolean; minGap?: number },
): number {
  return spectralCut(spectrum, { tol: opts.tol, minGap: opts.minGap ?? 2, small: opts.small });
}

/**
 * A readable basis of the same span: the reduced row echelon form of the k × d² matrix whose rows
 * are the generators, with complete pivoting (each pivot the largest remaining entry, so the
 * basis stays well conditioned: a row-by-row pivot can divide by a tiny entry and leave nearly
 * parallel generators), rows in order of their pivot column, each scaled to unit Frobenius
 * norm. The span is unchanged; only the choice of basis within it. For so(3) the result is the
 * three E_ij − E_ji.
 */
export function canonicalBasis(b: LieBasis, tol = 1e-9): LieBasis {
  const n = b.d * b.d;
  const M = Float64Array.from(b.generators);
  const rows = b.k;
  const scale = Math.max(...Array.from(M, Math.abs), 0);
  const pivotCol: number[] = [];
  const usedCol = new Uint8Array(n);
  for (let r = 0; r < rows; r++) {
    let pr = -1;
    let pc = -1;
    let best = tol * scale;
    for (let i = r; i < rows; i++)
      for (let c = 0; c < n; c++) {
        if (usedCol[c]) continue;
        const v = Math.abs(M[i * n + c]!);
        if (v > best) {
          best = v;
          pr = i;
          pc = c;
        }
      }
    if (pr < 0) break; // the remaining rows are dependent
    if (pr !== r) for (let j = 0; j < n; j++) [M[r * n + j], M[pr * n + j]] = [M[pr * n + j]!, M[r * n + j]!];
    const p = M[r * n + pc]!;
    for (let j = 0; j < n; j++) M[r * n + j] = M[r * n + j]! / p;
    for (let i = 0; i < rows; i++) {
      if (i === r) continue;
      const f = M[i * n + pc]!;
      if (f !== 0) for (let j = 0; j < n; j++) M[i * n + j] = M[i * n + j]! - f * M[r * n + j]!;
    }
    usedCol[pc] = 1;
    pivotCol.push(pc);
  }
  const order = pivotCol.map((c, r) => [c, r] as const).sort((a, x) => a[0] - x[0]);
  const k = order.length;
  const out = new Float64Array(k * n);
  order.forEach(([, r], o) => {
    let s = 0;
    for (let j = 0; j < n; j++) s += M[r * n + j]! ** 2;
    const norm = Math.sqrt(s);
    // Round-off below 1e-12 of the row prints as the structural zero it is.
    for (let j = 0; j < n; j++) {
      const v = M[r * n + j]! / norm;
      out[o * n + j] = Math.abs(v) < 1e-12 ? 0 : v;
    }
  });
  return { d: b.d, k, generators: out };
}

/** Assembles a Discovery from a basis (made readable) and its spectrum. */
export function makeDiscovery(
  method: DiscoveryMethod,
  basis: LieBasis,
  spectrum: number[],
  chosenBy: "given" | "gap",
  details: Discovery["details"],
): Discovery {
  const readable = basis.k > 0 ? canonicalBasis(basis) : basis;
  return { method, basis: readable, spectrum, chosenBy, closureResidual: closureResidual(readable), details };
}

/** Throws a ConfigError unless k is a non-negative integer not above `max`. */
export function checkCount(what: string, k: number | undefined, max: number): void {
  if (k === undefined) return;
  if (!Number.isInteger(k) || k < 0 || k > max)
    throw new ConfigError(`${what}: k must be an integer in [0, ${max}], got ${k}`);
}
