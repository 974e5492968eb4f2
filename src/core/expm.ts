/**
 * Matrix exponential by scaling and squaring.
 *
 * - `expmHost`: float64 on the host, Padé(13) core (Higham 2005, without the lower-degree
 *   shortcuts): used for group sampling and by the constraint solver.
 * - `expm`: jax-js version built only from differentiable ops (matmul, add, scalar multiply):
 *   a degree-19 Taylor polynomial evaluated by Paterson–Stockmeyer (7 matmuls) on A/2^s, then
 *   s squarings. Batched over leading axes ([..., d, d]). Learned generators train through it.
 */
import { numpy as np, type Array as JArray } from "../jax.js";
import { ConfigError, ShapeError, fmtShape } from "./errors.js";
import { eye, matmul, norm1, solve } from "./matrix.js";

const PADE13 = [
  64764752532480000, 32382376266240000, 7771770303897600, 1187353796428800, 129060195264000, 10559470521600,
  670442572800, 33522128640, 1323241920, 40840800, 960960, 16380, 182, 1,
];
const THETA13 = 5.371920351148152;

/** exp(A) for a host float64 matrix A [d,d] (row-major) by Padé(13) scaling and squaring. */
export function expmHost(a: ArrayLike<number>, d: number): Float64Array {
  if (a.length !== d * d)
    throw new ShapeError(`expmHost: expected ${d * d} entries for a [${d}, ${d}] matrix, got ${a.length}`);
  if (d === 0) return new Float64Array(0);
  const A0 = Float64Array.from(a);
  const nrm = norm1(A0, d);
  const s = nrm > THETA13 ? Math.max(0, Math.ceil(Math.log2(nrm / THETA13))) : 0;
  const A = s > 0 ? A0.map((v) => v / 2 ** s) : A0;
  const b = PADE13;
  const I = eye(d);
  const A2 = matmul(A, A, d, d, d);
  const A4 = matmul(A2, A2, d, d, d);
  const A6 = matmul(A2, A4, d, d, d);
  const n = d * d;
  const t1 = new Float64Array(n);
  const t2 = new Float64Array(n);
  const v1 = new Float64Array(n);
  const v2 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    t1[i] = b[13]! * A6[i]! + b[11]! * A4[i]! + b[9]! * A2[i]!;
    v1[i] = b[12]! * A6[i]! + b[10]! * A4[i]! + b[8]! * A2[i]!;
  }
  const u1 = matmul(A6, t1, d, d, d);
  const w1 = matmul(A6, v1, d, d, d);
  for (let i = 0; i < n; i++) {
    t2[i] = u1[i]! + b[7]! * A6[i]! + b[5]! * A4[i]! + b[3]! * A2[i]! + b[1]! * I[i]!;
    v2[i] = w1[i]! + b[6]! * A6[i]! + b[4]! * A4[i]! + b[2]! * A2[i]! + b[0]! * I[i]!;
  }
  const U = matmul(A, t2, d, d, d);
  const P = new Float64Array(n);
  const Q = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    P[i] = v2[i]! + U[i]!;
    Q[i] = v2[i]! - U[i]!;
  }
  let R = solve(Q, P, d, d, "expmHost");
  for (let k = 0; k < s; k++) R = matmul(R, R, d, d, d);
  return R;
}

/** Number of squarings s with ‖A‖₁/2^s ≤ 1 for a host matrix [d,d] (what `expm` uses by default). */
export function expmSquarings(a: ArrayLike<number>, d: number): number {
  const nrm = norm1(Float64Array.from(a), d);
  return nrm > 1 ? Math.ceil(Math.log2(nrm)) : 0;
}

const TAYLOR_DEG = 19;
const INV_FACT: number[] = (() => {
  const c = [1];
  for (let k = 1; k <= TAYLOR_DEG; k++) c.push(c[k - 1]! / k);
  return c;
})();

export interface ExpmOptions {
  /**
   * Number of squarings s (exp(A) = (T₁₉(A/2^s))^(2^s)). Default: read ‖A‖₁ from the values so
   * that ‖A/2^s‖₁ ≤ 1 (the largest over the batch). Pass it explicitly when A is traced
   * (inside `jit`), where values cannot be read.
   */
  squarings?: number;
}

/**
 * Differentiable exp(A) for A [..., d, d] (consumes A): Taylor(19) core by Paterson–Stockmeyer
 * on A/2^s, then s squarings; dtype and device follow A. Relative error ~1e-15 in float64.
 *
 * @example const R = expm(np.array([[0, -t], [t, 0]], { dtype: np.float64 })); // rotation by t
 */
export function expm(a: JArray, opts: ExpmOptions = {}): JArray {
  const shape = a.shape;
  const d = shape[shape.length - 1]!;
  if (shape.length < 2 || shape[shape.length - 2] !== d) {
    a.dispose();
    throw new ShapeError(`expm: expected a square matrix or a batch [..., d, d], got ${fmtShape(shape)}`);
  }
  let s = opts.squarings;
  if (s === undefined) {
    const colSums = np.max(np.sum(np.abs(a.ref), -2)) as JArray & { dataSync?: () => ArrayLike<number> };
    if (typeof colSums.dataSync !== "function") {
      (colSums as JArray).dispose();
      a.dispose();
      throw new ConfigError(
        "expm: A is traced (inside grad/jit/vmap), so its norm cannot be read; pass { squarings } explicitly (e.g. expmSquarings of a host copy, or a fixed bound)",
      );
    }
    const nrm = Number(colSums.dataSync()[0]);
    s = nrm > 1 ? Math.ceil(Math.log2(nrm)) : 0;
  }
  if (!Number.isInteger(s) || s < 0) {
    a.dispose();
    throw new ShapeError(`expm: squarings must be a non-negative integer, got ${s}`);
  }
  const I = np.eye(d, undefined, { dtype: a.dtype, device: a.device });
  const X = s > 0 ? a.mul(2 ** -s) : a;
  const X2 = np.matmul(X.ref, X.ref);
  const X3 = np.matmul(X2.ref, X.ref);
  const X4 = np.matmul(X2.ref, X2.ref);
  const pows = [I, X, X2, X3];
  // B_j = Σ_{i<4} c_{4j+i} X^i ; P = (((B4 X⁴ + B3) X⁴ + B2) X⁴ + B1) X⁴ + B0.
  const block = (j: number): JArray => {
    let acc: JArray | null = null;
    for (let i = 0; i < 4; i++) {
      const k = 4 * j + i;
      if (k > TAYLOR_DEG) break;
      const term = pows[i]!.ref.mul(INV_FACT[k]!);
      acc = acc === null ? term : acc.add(term);
    }
    return acc!;
  };
  let P = block(4);
  for (let j = 3; j >= 0; j--) P = np.matmul(P, X4.ref).add(block(j));
  X4.dispose();
  for (const p of pows) p.dispose();
  for (let k = 0; k < s; k++) P = np.matmul(P.ref, P);
  return P;
}
