/**
 * Eigenvalues of a small real matrix on the host (complex, for generators whose spectrum tells
 * what they do: a rotation generator has ±iω). Characteristic polynomial by Faddeev–LeVerrier,
 * roots by Durand–Kerner (Weierstrass) iteration; fine for k ≤ ~8, which latent generators are.
 */
import { ShapeError } from "../core/errors.js";

/** A complex number. */
export interface Complex {
  re: number;
  im: number;
}

/** Coefficients c of det(λI − A) = λ^k + c₁λ^(k−1) + … + c_k (Faddeev–LeVerrier), A [k, k] row-major. */
export function charPoly(a: ArrayLike<number>, k: number): Float64Array {
  if (a.length !== k * k) throw new ShapeError(`charPoly: expected ${k}×${k} = ${k * k} entries, got ${a.length}`);
  const c = new Float64Array(k + 1);
  c[0] = 1;
  let M = new Float64Array(k * k); // M₀ = 0
  for (let m = 1; m <= k; m++) {
    // M_m = A M_{m−1} + c_{m−1} I; c_m = −tr(A M_m)/m.
    const next = new Float64Array(k * k);
    for (let i = 0; i < k; i++)
      for (let j = 0; j < k; j++) {
        let s = 0;
        for (let l = 0; l < k; l++) s += a[i * k + l]! * M[l * k + j]!;
        next[i * k + j] = s + (i === j ? c[m - 1]! : 0);
      }
    M = next;
    let tr = 0;
    for (let i = 0; i < k; i++) for (let l = 0; l < k; l++) tr += a[i * k + l]! * M[l * k + i]!;
    c[m] = -tr / m;
  }
  return c;
}

/** The k eigenvalues of a real matrix A [k, k] (row-major), sorted by imaginary part then real part. */
export function eigenvalues(a: ArrayLike<number>, k: number): Complex[] {
  if (k === 0) return [];
  const c = charPoly(a, k);
  const mul = (x: Complex, y: Complex): Complex => ({ re: x.re * y.re - x.im * y.im, im: x.re * y.im + x.im * y.re });
  const div = (x: Complex, y: Complex): Complex => {
    const d = y.re * y.re + y.im * y.im;
    return { re: (x.re * y.re + x.im * y.im) / d, im: (x.im * y.re - x.re * y.im) / d };
  };
  const poly = (z: Complex): Complex => {
    let v: Complex = { re: 1, im: 0 };
    for (let m = 1; m <= k; m++) v = { re: mul(v, z).re + c[m]!, im: mul(v, z).im };
    return v;
  };
  let scale = 0;
  for (let m = 1; m <= k; m++) scale = Math.max(scale, Math.abs(c[m]!) ** (1 / m));
  const r0 = Math.max(scale, 1e-3);
  let z: Complex[] = Array.from({ length: k }, (_, i) => {
    const a0 = (2 * Math.PI * i) / k + 0.4;
    return { re: r0 * Math.cos(a0), im: r0 * Math.sin(a0) };
  });
  for (let it = 0; it < 500; it++) {
    let moved = 0;
    z = z.map((zi, i) => {
      let den: Complex = { re: 1, im: 0 };
      z.forEach((zj, j) => {
        if (j !== i) den = mul(den, { re: zi.re - zj.re, im: zi.im - zj.im });
      });
      const step = div(poly(zi), den);
      moved = Math.max(moved, Math.hypot(step.re, step.im));
      return { re: zi.re - step.re, im: zi.im - step.im };
    });
    if (moved < 1e-14 * r0) break;
  }
  const clean = (v: number) => (Math.abs(v) < 1e-12 * r0 ? 0 : v);
  return z.map((v) => ({ re: clean(v.re), im: clean(v.im) })).sort((p, q) => p.im - q.im || p.re - q.re);
}
