/**
 * The wallpaper groups of square grids that group convolutions use (Cohen & Welling 2016):
 * p1 (translations only), p4 (× 90° rotations) and p4m (× reflections), as their point groups —
 * integer 2×2 matrices with a multiplication table — and their actions on n×n grids as host
 * index maps. Elements are g = (m, r) ↦ R^r F^m on centred pixel coordinates (x right, y up),
 * R the 90° counter-clockwise rotation and F the flip x ↦ −x; index g = 4m + r.
 */
import { ConfigError } from "../core/errors.js";

/** A finite plane group acting on square grids: integer 2×2 matrices with their table. */
export interface PlaneGroup {
  readonly name: "p1" | "p4" | "p4m";
  /** Number of elements G (1, 4 or 8). */
  readonly order: number;
  /** Matrix [a, b, c, d] (row-major, acting on centred (x, y), y up) of each element. */
  readonly mats: readonly (readonly [number, number, number, number])[];
  /** mul[g·G + h] = index of g·h. */
  readonly mul: Int32Array;
  /** inv[g] = index of g⁻¹. */
  readonly inv: Int32Array;
}

type Mat = [number, number, number, number];
const matMul = (a: Mat, b: Mat): Mat => [
  a[0] * b[0] + a[1] * b[2],
  a[0] * b[1] + a[1] * b[3],
  a[2] * b[0] + a[3] * b[2],
  a[2] * b[1] + a[3] * b[3],
];

function makePlaneGroup(name: PlaneGroup["name"], flips: number, rots: number): PlaneGroup {
  const R: Mat = [0, -1, 1, 0];
  const F: Mat = [-1, 0, 0, 1];
  const mats: Mat[] = [];
  for (let m = 0; m < flips; m++) {
    for (let r = 0; r < rots; r++) {
      let a: Mat = m === 1 ? F : [1, 0, 0, 1];
      for (let k = 0; k < r; k++) a = matMul(R, a);
      mats.push(a);
    }
  }
  const G = mats.length;
  const find = (a: Mat): number => {
    const i = mats.findIndex((b) => b.every((v, j) => v === a[j]));
    if (i < 0) throw new Error(`makePlaneGroup(${name}): not closed`);
    return i;
  };
  const mul = new Int32Array(G * G);
  const inv = new Int32Array(G);
  for (let g = 0; g < G; g++) {
    for (let h = 0; h < G; h++) {
      mul[g * G + h] = find(matMul(mats[g]!, mats[h]!));
      if (mul[g * G + h] === 0) inv[g] = h;
    }
  }
  return { name, order: G, mats, mul, inv };
}

/** p1: translations only, the trivial point group (ordinary convolutions): one element. */
export const P1: PlaneGroup = makePlaneGroup("p1", 1, 1);
/** p4: the four rotations by multiples of 90°, g = r ↦ R^r. */
export const P4: PlaneGroup = makePlaneGroup("p4", 1, 4);
/** p4m: rotations and reflections, g = 4m + r ↦ R^r F^m (F: x ↦ −x). */
export const P4M: PlaneGroup = makePlaneGroup("p4m", 2, 4);

/** The plane group called `name` ("p1" | "p4" | "p4m"). */
export function planeGroup(name: string): PlaneGroup {
  if (name === "p1") return P1;
  if (name === "p4") return P4;
  if (name === "p4m") return P4M;
  throw new ConfigError(`unknown plane group ${JSON.stringify(name)}; expected "p1", "p4" or "p4m"`);
}

/** Flat source index in an n×n grid of the pixel g·(i, j) lands on: src[i·n + j] for dest (i, j) under g (i.e. g⁻¹ applied to dest). */
export function spatialSourceIndex(group: PlaneGroup, g: number, n: number): Int32Array {
  const [a, b, c, d] = group.mats[group.inv[g]!]!;
  const out = new Int32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const X = 2 * j - (n - 1);
      const Y = n - 1 - 2 * i;
      const X2 = a * X + b * Y;
      const Y2 = c * X + d * Y;
      out[i * n + j] = ((n - 1 - Y2) / 2) * n + (X2 + n - 1) / 2;
    }
  }
  return out;
}

/**
 * Index map for acting with g on an array [..., G?, n, n] flattened over its last axes:
 * dest (s, p) ← source (g⁻¹s, g⁻¹p). `withGroupAxis` false acts on planar [..., n, n].
 */
export function actionIndex(group: PlaneGroup, g: number, n: number, withGroupAxis: boolean): Int32Array {
  const sp = spatialSourceIndex(group, g, n);
  if (!withGroupAxis) return sp;
  const G = group.order;
  const gi = group.inv[g]!;
  const out = new Int32Array(G * n * n);
  for (let s = 0; s < G; s++) {
    const s2 = group.mul[gi * G + s]!;
    for (let p = 0; p < n * n; p++) out[s * n * n + p] = s2 * n * n + sp[p]!;
  }
  return out;
}
