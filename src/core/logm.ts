/**
 * The principal matrix logarithm of a host float64 matrix, by inverse scaling and squaring:
 * square roots (Denman–Beavers iteration) until ‖A^{1/2^s} − I‖₁ ≤ 1/4, then the series of
 * log(I + X), times 2^s. Defined when no eigenvalue lies on the closed negative real axis (for a
 * rotation: angles below π); throws a NoetherError otherwise.
 */
import { NoetherError } from "./errors.js";
import { eye, inverse, matmul, norm1 } from "./matrix.js";

/** Principal square root of A [d,d] by the (product form) Denman–Beavers iteration. */
function sqrtm(a: Float64Array, d: number): Float64Array {
  let Y: Float64Array = Float64Array.from(a);
  let Z: Float64Array = eye(d);
  for (let it = 0; it < 100; it++) {
    const Yi = inverse(Y, d, "logmHost");
    const Zi = inverse(Z, d, "logmHost");
    const Yn = new Float64Array(d * d);
    const Zn = new Float64Array(d * d);
    for (let i = 0; i < d * d; i++) {
      Yn[i] = 0.5 * (Y[i]! + Zi[i]!);
      Zn[i] = 0.5 * (Z[i]! + Yi[i]!);
    }
    let diff = 0;
    for (let i = 0; i < d * d; i++) diff = Math.max(diff, Math.abs(Yn[i]! - Y[i]!));
    Y = Yn;
    Z = Zn;
    if (diff <= 1e-15 * Math.max(1, norm1(Y, d))) return Y;
  }
  throw new NoetherError(
    "logmHost: the square-root iteration did not converge (an eigenvalue on or near the negative real axis?)",
  );
}

/** log(A) for A [d,d] row-major (principal branch). */
export function logmHost(a: ArrayLike<number>, d: number): Float64Array {
  if (a.length !== d * d)
    throw new NoetherError(`logmHost: expected ${d * d} entries for a ${d}×${d} matrix, got ${a.length}`);
  for (let i = 0; i < a.length; i++)
    if (!Number.isFinite(a[i]!)) throw new NoetherError(`logmHost: entry ${i} is ${a[i]}`);
  let R: Float64Array = Float64Array.from(a);
  const I = eye(d);
  const dist = (m: Float64Array) =>
    norm1(
      m.map((v, i) => v - I[i]!),
      d,
    );
  let s = 0;
  while (dist(R) > 0.25) {
    if (s >= 60)
      throw new NoetherError(
        "logmHost: no convergence to the identity by square roots (eigenvalue on the negative real axis?)",
      );
    R = sqrtm(R, d);
    s++;
  }
  // log(I + X) = X − X²/2 + X³/3 − …, ‖X‖ ≤ 1/4: 40 terms reach 1e-25.
  const X = R.map((v, i) => v - I[i]!);
  const out = new Float64Array(d * d);
  let P: Float64Array = Float64Array.from(X);
  for (let k = 1; k <= 40; k++) {
    const c = (k % 2 === 1 ? 1 : -1) / k;
    for (let i = 0; i < d * d; i++) out[i] = out[i]! + c * P[i]!;
    P = matmul(P, X, d, d, d);
  }
  const scale = 2 ** s;
  for (let i = 0; i < d * d; i++) out[i] = out[i]! * scale;
  return out;
}
