/**
 * Group-equivariant convolutions on square grids (Cohen & Welling 2016): the plane groups
 * p4 (translations × 90° rotations) and p4m (× reflections), with Z2 (translations only) as
 * the order-1 case so that an ordinary CNN runs through the same code.
 *
 * Layout (channels first, so that every convolution is a 2-D matmul with the long axis last):
 * - planar features  [C, B, H, W]
 * - group features   [C, G, B, H, W]   (G = group order: 1, 4 or 8)
 * Models take the usual [B, C, H, W] images and transpose once (see `toChannelsFirst`).
 *
 * Group elements are g = (m, r) ↦ R^r F^m acting on centred pixel coordinates (x right, y up),
 * R the 90° counter-clockwise rotation and F the flip x ↦ −x; index g = 4m + r. A group
 * feature map is acted on by (g·f)(s, p) = f(g⁻¹s, g⁻¹p); a planar one by (g·f)(p) = f(g⁻¹p).
 * A layer's filter for output element g is g·ψ (the same action), so conv(g·f) = g·conv(f).
 *
 * Convolution formulation (measured, see bench/README.md "gconv-layer"): the filter bank is
 * expanded once per call with one gather from a host-precomputed index map into k² "tap"
 * matrices [O·G, C·G_in]; the input [C·G_in, B·H·W] is padded at its tail and each tap is a
 * contiguous offset slice multiplied by its matrix and accumulated ("valid" correlation on
 * the flat grid, cropped afterwards). `lax.convGeneralDilated` (option `impl: "lax"`) gives the
 * same numbers but runs as scalar code.
 */
import { lax, numpy as np, random, type Array as JArray } from "../jax.js";
import { getFloatDtype, toDType, type FloatDtype } from "../core/engine.js";
import { ConfigError, ShapeError, fmtShape } from "../core/errors.js";
import type { Params } from "../core/tree.js";

/** A finite plane group acting on square grids: integer 2×2 matrices with their table. */
export interface PlaneGroup {
  readonly name: "z2" | "p4" | "p4m";
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
const matMul = (a: Mat, b: Mat): Mat => [a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3], a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3]];

function makeGroup(name: PlaneGroup["name"], flips: number, rots: number): PlaneGroup {
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
    if (i < 0) throw new Error(`makeGroup(${name}): not closed`);
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

/** The trivial group (ordinary convolutions): one element. */
export const Z2: PlaneGroup = makeGroup("z2", 1, 1);
/** p4: the four rotations by multiples of 90°, g = r ↦ R^r. */
export const P4: PlaneGroup = makeGroup("p4", 1, 4);
/** p4m: rotations and reflections, g = 4m + r ↦ R^r F^m (F: x ↦ −x). */
export const P4M: PlaneGroup = makeGroup("p4m", 2, 4);

/** The plane group called `name` ("z2" | "p4" | "p4m"). */
export function planeGroup(name: string): PlaneGroup {
  if (name === "z2") return Z2;
  if (name === "p4") return P4;
  if (name === "p4m") return P4M;
  throw new ConfigError(`unknown plane group ${JSON.stringify(name)}; expected "z2", "p4" or "p4m"`);
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

/**
 * g·x for features in this module's layouts: planar [C, B, n, n] (`groupAxis` false) or group
 * [C, G, B, n, n] (`groupAxis` true: spatial transform and group-axis permutation). Consumes x.
 */
export function transformFeatures(group: PlaneGroup, g: number, x: JArray, groupAxis: boolean): JArray {
  const shape = x.shape;
  const n = shape[shape.length - 1]!;
  if (shape[shape.length - 2] !== n) {
    x.dispose();
    throw new ShapeError(`transformFeatures: rotations need square maps, got ${fmtShape(shape)}`);
  }
  if (!groupAxis) {
    const lead = shape.slice(0, -2);
    const idx = np.array(spatialSourceIndex(group, g, n), { dtype: np.int32 });
    return np.take(x.reshape([...lead, n * n]), idx, lead.length).reshape(shape);
  }
  if (shape.length !== 5 || shape[1] !== group.order) {
    x.dispose();
    throw new ShapeError(`transformFeatures: expected group features [C, ${group.order}, B, n, n], got ${fmtShape(shape)}`);
  }
  const [C, G, B] = shape as [number, number, number];
  // [C, G, B, n²] → [C, B, G·n²], gather, back.
  const flat = np.transpose(x.reshape([C, G, B, n * n]), [0, 2, 1, 3]).reshape([C, B, G * n * n]);
  const idx = np.array(actionIndex(group, g, n, true), { dtype: np.int32 });
  const y = np.take(flat, idx, 2).reshape([C, B, G, n * n]);
  return np.transpose(y, [0, 2, 1, 3]).reshape(shape);
}

/** [B, C, H, W] images → planar features [C, B, H, W] (consumes x). */
export function toChannelsFirst(x: JArray): JArray {
  if (x.ndim !== 4) {
    const s = x.shape;
    x.dispose();
    throw new ShapeError(`toChannelsFirst: expected images [B, C, H, W], got ${fmtShape(s)}`);
  }
  return np.transpose(x, [1, 0, 2, 3]);
}

/**
 * Host index map of the expanded filter bank: for tap t = (i, j), output row (o, g) and input
 * column (c, s), the flat index into the parameter W [O, C, Gin, k, k] (Gin = 1 for lifting) of
 * (g·ψ)[o, c](s, (i, j)) = W[o, c, g⁻¹s, g⁻¹(i, j)]. Result [k², O·G, C·Gin] flattened.
 */
export function filterIndexMap(group: PlaneGroup, O: number, C: number, k: number, lifting: boolean): Int32Array {
  const G = group.order;
  const Gin = lifting ? 1 : G;
  const k2 = k * k;
  const out = new Int32Array(k2 * O * G * C * Gin);
  const srcSp = Array.from({ length: G }, (_, g) => spatialSourceIndex(group, g, k));
  let q = 0;
  for (let t = 0; t < k2; t++) {
    for (let o = 0; o < O; o++) {
      for (let g = 0; g < G; g++) {
        const gi = group.inv[g]!;
        const p = srcSp[g]![t]!;
        for (let c = 0; c < C; c++) {
          for (let s = 0; s < Gin; s++) {
            const s2 = lifting ? 0 : group.mul[gi * G + s]!;
            out[q++] = ((o * C + c) * Gin + s2) * k2 + p;
          }
        }
      }
    }
  }
  return out;
}

const indexCache = new Map<string, Int32Array>();
function cachedIndex(group: PlaneGroup, O: number, C: number, k: number, lifting: boolean): Int32Array {
  const key = `${group.name}:${O}:${C}:${k}:${lifting}`;
  let v = indexCache.get(key);
  if (v === undefined) {
    v = filterIndexMap(group, O, C, k, lifting);
    indexCache.set(key, v);
  }
  return v;
}

/**
 * Expanded filter bank as k² tap matrices [k², O·G, C·Gin] from W [O, C, Gin, k, k] (or
 * [O, C, k, k] when lifting), by one gather (differentiable). Consumes w.
 */
export function expandFilter(group: PlaneGroup, w: JArray, lifting: boolean): JArray {
  const O = w.shape[0]!;
  const C = w.shape[1]!;
  const k = w.shape[w.ndim - 1]!;
  const G = group.order;
  const idx = np.array(cachedIndex(group, O, C, k, lifting), { dtype: np.int32 });
  return np.take(w.reshape([-1]), idx, 0).reshape([k * k, O * G, C * (lifting ? 1 : G)]);
}

/**
 * The expanded filter bank as one dense matrix [O·G, C·Gin·k²] (column (c, s, t), t the tap)
 * from W, by one gather (differentiable). Used when the kernel covers the whole input (the
 * classifier head: k×k kernel on a k×k map → 1×1), where the convolution is one matmul.
 * Consumes w.
 */
export function expandFilterDense(group: PlaneGroup, w: JArray, lifting: boolean): JArray {
  const O = w.shape[0]!;
  const C = w.shape[1]!;
  const k = w.shape[w.ndim - 1]!;
  const G = group.order;
  const Gin = lifting ? 1 : G;
  const key = `dense:${group.name}:${O}:${C}:${k}:${lifting}`;
  let map = indexCache.get(key);
  if (map === undefined) {
    const taps = cachedIndex(group, O, C, k, lifting); // [(t, og, cs)]
    const k2 = k * k;
    const rows = O * G;
    const cols = C * Gin;
    map = new Int32Array(taps.length);
    for (let t = 0; t < k2; t++) for (let r = 0; r < rows; r++) for (let q = 0; q < cols; q++) map[(r * cols + q) * k2 + t] = taps[(t * rows + r) * cols + q]!;
    indexCache.set(key, map);
  }
  const idx = np.array(map, { dtype: np.int32 });
  return np.take(w.reshape([-1]), idx, 0).reshape([O * G, C * Gin * k * k]);
}

/**
 * Convolution whose k×k kernel covers the whole k×k input ("valid" → 1×1 output) as one matmul:
 * dense [O', C'·k²] @ x [C', B, k, k] → [O', B, 1, 1]. Consumes both.
 */
export function denseConv(dense: JArray, x: JArray): JArray {
  const [Cp, B, H, W] = x.shape as [number, number, number, number];
  const cols = np.transpose(x.reshape([Cp, B, H * W]), [0, 2, 1]).reshape([Cp * H * W, B]);
  return np.matmul(dense, cols).reshape([dense.shape[0]!, B, 1, 1]);
}

/**
 * "Valid" correlation of x [C', B, H, W] with tap matrices taps [k², O', C'] → [O', B, H−k+1, W−k+1]:
 * y[:, p] = Σ_t taps[t] @ xflat[:, p + dy·W + dx] on the flat grid, then cropped. Consumes both.
 */
export function tapConv(taps: JArray, x: JArray, k: number): JArray {
  const [Cp, B, H, W] = x.shape as [number, number, number, number];
  const Op = taps.shape[1]!;
  const N = B * H * W;
  const tail = (k - 1) * W + (k - 1);
  const xp = np.pad(x.reshape([Cp, N]), [[0, 0], [0, tail]]);
  let acc: JArray | null = null;
  for (let dy = 0; dy < k; dy++) {
    for (let dx = 0; dx < k; dx++) {
      const off = dy * W + dx;
      const wt = taps.ref.slice(dy * k + dx);
      const y = np.matmul(wt, xp.ref.slice([], [off, off + N]));
      acc = acc === null ? y : acc.add(y);
    }
  }
  taps.dispose();
  xp.dispose();
  return acc!.reshape([Op, B, H, W]).slice([], [], [0, H - k + 1], [0, W - k + 1]);
}

/** The same correlation through `lax.convGeneralDilated` (for comparison; slow on Wasm). Consumes both. */
export function laxConv(taps: JArray, x: JArray, k: number): JArray {
  const [k2, Op, Cp] = taps.shape as [number, number, number];
  if (k2 !== k * k) throw new ShapeError(`laxConv: taps ${fmtShape(taps.shape)} do not match k = ${k}`);
  const rhs = np.transpose(taps.reshape([k, k, Op, Cp]), [2, 3, 0, 1]);
  const lhs = np.transpose(x, [1, 0, 2, 3]);
  const y = lax.convGeneralDilated(lhs, rhs, [1, 1], "VALID");
  return np.transpose(y, [1, 0, 2, 3]);
}

/**
 * Convolution implementation: "taps" (default): tap matmuls, and a single dense matmul where
 * the kernel covers the whole input (the classifier head: 16 tap matmuls on a 4×4 map that
 * keep 1 output position of 16); "taps-only": tap matmuls everywhere; "lax":
 * `lax.convGeneralDilated`.
 */
export type ConvImpl = "taps" | "taps-only" | "lax";

export interface GConvOptions {
  /** Kernel size k (default 3). */
  kernel?: number;
  /** "valid" (default: H → H−k+1) or "same" (odd k; zero padding (k−1)/2). */
  padding?: "valid" | "same";
  /** A bias per output channel, shared over the group axis (default false). */
  bias?: boolean;
  /** Convolution implementation (default "taps"). */
  impl?: ConvImpl;
  /** Parameter dtype (default: the engine's float dtype at init time). */
  dtype?: FloatDtype;
}

/** Parameters of a lifting or group convolution: w [O, C, k, k] or [O, C, G, k, k], optional b [O]. */
export interface GConvParams {
  [k: string]: JArray;
  w: JArray;
}

/** A convolution layer over a plane group: init/apply plus what it maps. */
export interface GConvLayer {
  init(key: JArray): GConvParams;
  /** Forward pass (consumes params and x); see `liftingConv` / `groupConv` for shapes. */
  apply(params: GConvParams, x: JArray): JArray;
  readonly group: PlaneGroup;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: number;
  /** Trainable parameter count. */
  readonly paramCount: number;
}

function makeConv(group: PlaneGroup, inC: number, outC: number, lifting: boolean, opts: GConvOptions): GConvLayer {
  const k = opts.kernel ?? 3;
  const padding = opts.padding ?? "valid";
  const impl = opts.impl ?? "taps";
  const name = lifting ? `liftingConv(${group.name})` : `groupConv(${group.name})`;
  for (const [what, v] of [["inChannels", inC], ["outChannels", outC], ["kernel", k]] as const) {
    if (!(Number.isInteger(v) && v >= 1)) throw new ConfigError(`${name}: ${what} must be a positive integer, got ${v}`);
  }
  if (padding === "same" && k % 2 === 0) throw new ConfigError(`${name}: "same" padding needs an odd kernel, got k = ${k}`);
  const G = group.order;
  const Gin = lifting ? 1 : G;
  const wShape = lifting ? [outC, inC, k, k] : [outC, inC, G, k, k];
  const fanIn = inC * Gin * k * k;
  const wCount = outC * inC * Gin * k * k;
  return {
    group,
    inChannels: inC,
    outChannels: outC,
    kernel: k,
    paramCount: wCount + (opts.bias ? outC : 0),
    init(key) {
      const dtype = opts.dtype ?? getFloatDtype();
      // He (Kaiming) normal over the true fan-in C·Gin·k².
      const w = random.normal(key, wShape).mul(Math.sqrt(2 / fanIn)).astype(toDType(dtype));
      const p: GConvParams = { w };
      if (opts.bias) p.b = np.zeros([outC], { dtype: toDType(dtype) });
      return p;
    },
    apply(params, x) {
      const want = lifting ? `[${inC}, B, H, W]` : `[${inC}, ${G}, B, H, W]`;
      const s = x.shape;
      const bad = lifting ? s.length !== 4 || s[0] !== inC : s.length !== 5 || s[0] !== inC || s[1] !== G;
      const sp = s.slice(-2);
      const tooSmall = padding === "valid" && (sp[0]! < k || sp[1]! < k);
      if (bad || tooSmall || (G > 1 && sp[0] !== sp[1])) {
        x.dispose();
        const why = bad ? `expected input ${want} (channels first)` : tooSmall ? `input is smaller than the ${k}×${k} kernel` : `rotations need square inputs (H = W)`;
        throw new ShapeError(`${name}: ${why}, got ${fmtShape(s)}`);
      }
      const B = s[lifting ? 1 : 2]!;
      let xin = lifting ? x : x.reshape([inC * G, B, sp[0]!, sp[1]!]);
      if (padding === "same") {
        const p = (k - 1) / 2;
        xin = np.pad(xin, [[0, 0], [0, 0], [p, p], [p, p]]);
      }
      const { w, b } = params as { w: JArray; b?: JArray };
      const [Hin, Win] = xin.shape.slice(-2) as [number, number];
      let y: JArray;
      if (impl === "taps" && Hin === k && Win === k) y = denseConv(expandFilterDense(group, w, lifting), xin);
      else {
        const taps = expandFilter(group, w, lifting);
        y = impl === "lax" ? laxConv(taps, xin, k) : tapConv(taps, xin, k);
      }
      const [, , Ho, Wo] = y.shape as [number, number, number, number];
      let out = y.reshape([outC, G, B, Ho, Wo]);
      if (b !== undefined) out = out.add(b.reshape([outC, 1, 1, 1, 1]));
      return out;
    },
  };
}

/**
 * Lifting convolution Z2 → group: planar [C, B, H, W] → group features [O, G, B, H', W']
 * (H' = H − k + 1 for "valid"); W [O, C, k, k], filter for element g is g·W.
 */
export function liftingConv(group: PlaneGroup, inChannels: number, outChannels: number, opts: GConvOptions = {}): GConvLayer {
  return makeConv(group, inChannels, outChannels, true, opts);
}

/**
 * Group convolution: [C, G, B, H, W] → [O, G, B, H', W']; W [O, C, G, k, k], filter for element
 * g is g·W (spatially transformed, group axis permuted s ↦ g⁻¹s).
 */
export function groupConv(group: PlaneGroup, inChannels: number, outChannels: number, opts: GConvOptions = {}): GConvLayer {
  return makeConv(group, inChannels, outChannels, false, opts);
}

/** Group pooling: [C, G, B, H, W] → planar [C, B, H, W] by max or mean over the group axis (invariant). Consumes x. */
export function groupPool(x: JArray, mode: "max" | "mean" = "max"): JArray {
  if (x.ndim !== 5) {
    const s = x.shape;
    x.dispose();
    throw new ShapeError(`groupPool: expected group features [C, G, B, H, W], got ${fmtShape(s)}`);
  }
  if (mode === "mean") return np.mean(x, 1);
  const G = x.shape[1]!;
  let acc = x.ref.slice([], 0);
  for (let g = 1; g < G; g++) acc = np.maximum(acc, x.ref.slice([], g));
  x.dispose();
  return acc;
}

/**
 * Rotation pooling: max over the rotations only. p4: [C, 4, B, H, W] → planar [C, B, H, W];
 * p4m: [C, 8, B, H, W] → [C, 2, B, H, W] (the flip axis stays, 2 = {identity, flip}). Consumes x.
 */
export function rotationPool(group: PlaneGroup, x: JArray): JArray {
  if (x.ndim !== 5 || x.shape[1] !== group.order) {
    const s = x.shape;
    x.dispose();
    throw new ShapeError(`rotationPool(${group.name}): expected [C, ${group.order}, B, H, W], got ${fmtShape(s)}`);
  }
  if (group.order <= 4) return groupPool(x, "max");
  const [C, , B, H, W] = x.shape as number[] as [number, number, number, number, number];
  const y = x.reshape([C * 2, 4, B, H, W]);
  return groupPool(y, "max").reshape([C, 2, B, H, W]);
}

/** Spatial 2×2 max-pool (stride 2) over the last two axes (even sizes) of any layout. Consumes x. */
export function maxPool2(x: JArray): JArray {
  const s = x.shape;
  const H = s[s.length - 2]!;
  const W = s[s.length - 1]!;
  if (s.length < 2 || H % 2 !== 0 || W % 2 !== 0) {
    x.dispose();
    throw new ShapeError(`maxPool2: expected even spatial sizes, got ${fmtShape(s)}`);
  }
  const lead = s.slice(0, -2);
  const P = lead.reduce((a, b) => a * b, 1);
  const r = x.reshape([P, H / 2, 2, W / 2, 2]);
  const a = np.maximum(r.ref.slice([], [], 0, [], 0), r.ref.slice([], [], 0, [], 1));
  const b = np.maximum(r.ref.slice([], [], 1, [], 0), r.slice([], [], 1, [], 1));
  return np.maximum(a, b).reshape([...lead, H / 2, W / 2]);
}

/** Batch-norm parameters: scale and shift per channel, gamma/beta [C]. */
export interface BatchNormParams {
  [k: string]: JArray;
  gamma: JArray;
  beta: JArray;
}

/** Batch-norm parameters for C channels (gamma 1, beta 0). */
export function initBatchNorm(channels: number, dtype: FloatDtype = getFloatDtype()): BatchNormParams {
  return { gamma: np.ones([channels], { dtype: toDType(dtype) }), beta: np.zeros([channels], { dtype: toDType(dtype) }) };
}

/**
 * Batch norm with batch statistics per channel, shared over the group axis and space:
 * x [C, ...] (planar [C, B, H, W] or group [C, G, B, H, W]) normalised over every axis but
 * the first, y = γ (x − μ)/√(σ² + ε) + β. Equivariant (the statistics are invariant). Consumes both.
 */
export function groupBatchNorm(params: BatchNormParams, x: JArray, eps = 1e-5): JArray {
  const s = x.shape;
  const C = s[0]!;
  if (s.length < 2 || params.gamma.shape[0] !== C) {
    const g = params.gamma.shape;
    x.dispose();
    throw new ShapeError(`groupBatchNorm: input ${fmtShape(s)} has ${C} channels but gamma is ${fmtShape(g)}`);
  }
  // Reduce over the trailing axes in place (last, contiguous ones first) rather than through a
  // reshape to [C, −1]: x is usually a cropped view of a convolution output, which does not
  // reshape to a flat strided view.
  const nd = s.length;
  const count = x.size / C;
  const bshape = [C, ...Array<number>(nd - 1).fill(1)];
  const inner = Array.from({ length: nd - 1 }, (_, i) => nd - 1 - i);
  const mu = np.sum(x.ref, inner, { keepdims: true }).mul(1 / count);
  const d = x.sub(mu);
  const v = np.sum(np.square(d.ref), inner, { keepdims: true }).mul(1 / count);
  const scale = params.gamma.reshape(bshape).mul(np.reciprocal(np.sqrt(v.add(eps))));
  return d.mul(scale).add(params.beta.reshape(bshape));
}

/** Parameter count of a tree (sum of leaf sizes; borrows). */
export function countParams(p: Params): number {
  let n = 0;
  const walk = (v: unknown): void => {
    if (v !== null && typeof v === "object" && "shape" in v && "dtype" in v) n += (v as JArray).size;
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(p);
  return n;
}
