/**
 * A differentiable affine warp of square images: copy c samples the input at T_c·p for every
 * output pixel p (homogeneous centred coordinates, x right and y up, the frame spanning [−1, 1]),
 * by bilinear interpolation with zeros outside the frame. Differentiable in T (through the
 * interpolation weights; the corner indices are piecewise constant), which is what Augerino's
 * widths and the orbit-averaged GP kernel train through.
 */
import { numpy as np, lax, type Array as JArray } from "../jax.js";
import { ShapeError, fmtShape } from "../core/errors.js";
import { fromHost, placementOf } from "../core/host.js";

/** The output pixels' centred homogeneous coordinates [n², 3]: (x, y, 1) with x = (j − c)/c, y = (c − i)/c, c = (n − 1)/2. */
export function pixelGrid(n: number): Float64Array {
  const c = (n - 1) / 2;
  const p = new Float64Array(n * n * 3);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const r = (i * n + j) * 3;
      p[r] = (j - c) / c;
      p[r + 1] = (c - i) / c;
      p[r + 2] = 1;
    }
  return p;
}

/**
 * The C warped copies [C, B, n²] of images x [B, n²] (row-major n×n) under homogeneous affine
 * maps T [C, 3, 3] (consumes x and T): out[c, b, p] = bilinear(x_b)(T_c·p).
 */
export function warpCopies(x: JArray, T: JArray, n: number): JArray {
  const n2 = n * n;
  if (x.ndim !== 2 || x.shape[1] !== n2 || T.ndim !== 3 || T.shape[1] !== 3 || T.shape[2] !== 3) {
    const [xs, ts] = [x.shape, T.shape];
    x.dispose();
    T.dispose();
    throw new ShapeError(`warpCopies: expected x [B, ${n2}] and T [C, 3, 3], got ${fmtShape(xs)} and ${fmtShape(ts)}`);
  }
  const B = x.shape[0]!;
  const C = T.shape[0]!;
  const at = placementOf(T);
  const grid = pixelGrid(n);
  const gx = fromHost(
    Float64Array.from({ length: n2 }, (_, p) => grid[3 * p]!),
    [1, n2],
    at,
  );
  const gy = fromHost(
    Float64Array.from({ length: n2 }, (_, p) => grid[3 * p + 1]!),
    [1, n2],
    at,
  );
  const T9 = T.reshape([C, 9]);
  // Entry e of every T_c as a column [C, 1] (a one-hot matmul).
  const entry = (e: number): JArray => {
    const sel = new Float64Array(9);
    sel[e] = 1;
    return np.matmul(T9.ref, fromHost(sel, [9, 1], at));
  };
  // Source coordinates of every output pixel for every copy: [C, n²].
  const coord = (row: number): JArray =>
    entry(3 * row)
      .mul(gx.ref)
      .add(entry(3 * row + 1).mul(gy.ref))
      .add(entry(3 * row + 2));
  const X = coord(0);
  const Y = coord(1);
  T9.dispose();
  gx.dispose();
  gy.dispose();
  const c = (n - 1) / 2;
  const fj = X.mul(c).add(c);
  const fi = Y.mul(-c).add(c);
  const j0 = np.floor(lax.stopGradient(fj.ref));
  const i0 = np.floor(lax.stopGradient(fi.ref));
  const aj = fj.sub(j0.ref);
  const ai = fi.sub(i0.ref);
  let out: JArray | null = null;
  for (const di of [0, 1])
    for (const dj of [0, 1]) {
      const ii = di === 0 ? i0.ref : i0.ref.add(1);
      const jj = dj === 0 ? j0.ref : j0.ref.add(1);
      const inside = np
        .logicalAnd(
          np.logicalAnd(np.greaterEqual(ii.ref, 0), np.less(ii.ref, n)),
          np.logicalAnd(np.greaterEqual(jj.ref, 0), np.less(jj.ref, n)),
        )
        .astype(ai.dtype);
      const idx = np
        .clip(ii, 0, n - 1)
        .mul(n)
        .add(np.clip(jj, 0, n - 1))
        .astype(np.int32)
        .reshape([C * n2]);
      const wi = di === 0 ? ai.ref.mul(-1).add(1) : ai.ref;
      const wj = dj === 0 ? aj.ref.mul(-1).add(1) : aj.ref;
      const w = wi
        .mul(wj)
        .mul(inside)
        .reshape([1, C * n2]);
      const term = np.take(x.ref, idx, 1).mul(w);
      out = out === null ? term : out.add(term);
    }
  for (const a of [x, i0, j0, ai, aj]) a.dispose();
  return out!.reshape([B, C, n2]).transpose([1, 0, 2]);
}
