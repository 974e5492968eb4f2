/**
 * Lifting and group convolutions over the plane groups p1, p4, p4m (Cohen & Welling 2016). A
 * layer's filter for output element g is g·ψ (the action of features.ts), so conv(g·f) = g·conv(f).
 *
 * Formulation (measured, see bench/README.md "gconv-layer"): the filter bank is expanded once per
 * call with one gather from a host-precomputed index map into k² "tap" matrices [O·G, C·G_in];
 * the input [C·G_in, B·H·W] is padded at its tail and each tap is a contiguous offset slice
 * multiplied by its matrix and accumulated ("valid" correlation on the flat grid, cropped
 * afterwards). `lax.convGeneralDilated` (option `impl: "lax"`) gives the same numbers but runs as
 * scalar code.
 */
import { lax, numpy as np, random, tree, type Array as JArray } from "../../jax.js";
import { getFloatDtype, toDType, type FloatDtype } from "../../core/engine.js";
import { ConfigError, ShapeError, fmtShape } from "../../core/errors.js";
import { indexArray } from "../../core/host.js";
import { spatialSourceIndex, type PlaneGroup } from "../../groups/plane.js";
import { withParamCheck } from "../../nn/check.js";
import type { Module } from "../../nn/module.js";

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
  const idx = indexArray(cachedIndex(group, O, C, k, lifting));
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
    for (let t = 0; t < k2; t++)
      for (let r = 0; r < rows; r++)
        for (let q = 0; q < cols; q++) map[(r * cols + q) * k2 + t] = taps[(t * rows + r) * cols + q]!;
    indexCache.set(key, map);
  }
  const idx = indexArray(map);
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
  const xp = np.pad(x.reshape([Cp, N]), [
    [0, 0],
    [0, tail],
  ]);
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

/** A convolution layer over a plane group (forward pass: see `liftingConv` / `groupConv` for shapes). */
export interface GConvLayer extends Module<GConvParams> {
  readonly group: PlaneGroup;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: number;
  /** Trainable parameter count. */
  readonly paramCount: number;
  /** Parameter paths → shapes (`w`, and `b` with bias), as `init` makes them. */
  readonly paramShapes: ReadonlyMap<string, readonly number[]>;
}

function makeConv(group: PlaneGroup, inC: number, outC: number, lifting: boolean, opts: GConvOptions): GConvLayer {
  const k = opts.kernel ?? 3;
  const padding = opts.padding ?? "valid";
  const impl = opts.impl ?? "taps";
  const name = lifting ? `liftingConv(${group.name})` : `groupConv(${group.name})`;
  for (const [what, v] of [
    ["inChannels", inC],
    ["outChannels", outC],
    ["kernel", k],
  ] as const) {
    if (!(Number.isInteger(v) && v >= 1))
      throw new ConfigError(`${name}: ${what} must be a positive integer, got ${v}`);
  }
  if (padding === "same" && k % 2 === 0)
    throw new ConfigError(`${name}: "same" padding needs an odd kernel, got k = ${k}`);
  const G = group.order;
  const Gin = lifting ? 1 : G;
  const wShape = lifting ? [outC, inC, k, k] : [outC, inC, G, k, k];
  const fanIn = inC * Gin * k * k;
  const wCount = outC * inC * Gin * k * k;
  const spec = new Map<string, number[]>([["w", wShape]]);
  if (opts.bias) spec.set("b", [outC]);
  return withParamCheck(
    name,
    {
      group,
      inChannels: inC,
      outChannels: outC,
      kernel: k,
      paramCount: wCount + (opts.bias ? outC : 0),
      paramShapes: spec,
      init(key) {
        const dtype = opts.dtype ?? getFloatDtype();
        // He (Kaiming) normal over the true fan-in C·Gin·k².
        const w = random
          .normal(key, wShape)
          .mul(Math.sqrt(2 / fanIn))
          .astype(toDType(dtype));
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
          tree.dispose(params);
          const why = bad
            ? `expected input ${want} (channels first)`
            : tooSmall
              ? `input is smaller than the ${k}×${k} kernel`
              : `rotations need square inputs (H = W)`;
          throw new ShapeError(`${name}: ${why}, got ${fmtShape(s)}`);
        }
        const B = s[lifting ? 1 : 2]!;
        let xin = lifting ? x : x.reshape([inC * G, B, sp[0]!, sp[1]!]);
        if (padding === "same") {
          const p = (k - 1) / 2;
          xin = np.pad(xin, [
            [0, 0],
            [0, 0],
            [p, p],
            [p, p],
          ]);
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
    },
    spec,
  );
}

/**
 * Lifting convolution (planar → group features): planar [C, B, H, W] → group features [O, G, B, H', W']
 * (H' = H − k + 1 for "valid"); W [O, C, k, k], filter for element g is g·W.
 */
export function liftingConv(
  group: PlaneGroup,
  inChannels: number,
  outChannels: number,
  opts: GConvOptions = {},
): GConvLayer {
  return makeConv(group, inChannels, outChannels, true, opts);
}

/**
 * Group convolution: [C, G, B, H, W] → [O, G, B, H', W']; W [O, C, G, k, k], filter for element
 * g is g·W (spatially transformed, group axis permuted s ↦ g⁻¹s).
 */
export function groupConv(
  group: PlaneGroup,
  inChannels: number,
  outChannels: number,
  opts: GConvOptions = {},
): GConvLayer {
  return makeConv(group, inChannels, outChannels, false, opts);
}
