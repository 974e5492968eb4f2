/**
 * Feature maps of group convolutions and what acts on them. Layout (channels first, so that every
 * convolution is a 2-D matmul with the long axis last):
 * - planar features  [C, B, H, W]
 * - group features   [C, G, B, H, W]   (G = group order: 1, 4 or 8)
 * A group feature map is acted on by (g·f)(s, p) = f(g⁻¹s, g⁻¹p), a planar one by
 * (g·f)(p) = f(g⁻¹p). Here: that action, the move from images, group and rotation pooling,
 * spatial max-pooling and batch norm shared over the group axis (all equivariant).
 */
import { numpy as np, type Array as JArray } from "../../jax.js";
import { getFloatDtype, toDType, type FloatDtype } from "../../core/engine.js";
import { ShapeError, fmtShape } from "../../core/errors.js";
import { indexArray } from "../../core/host.js";
import { actionIndex, spatialSourceIndex, type PlaneGroup } from "../../groups/plane.js";

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
    const idx = indexArray(spatialSourceIndex(group, g, n));
    return np.take(x.reshape([...lead, n * n]), idx, lead.length).reshape(shape);
  }
  if (shape.length !== 5 || shape[1] !== group.order) {
    x.dispose();
    throw new ShapeError(
      `transformFeatures: expected group features [C, ${group.order}, B, n, n], got ${fmtShape(shape)}`,
    );
  }
  const [C, G, B] = shape as [number, number, number];
  // [C, G, B, n²] → [C, B, G·n²], gather, back.
  const flat = np.transpose(x.reshape([C, G, B, n * n]), [0, 2, 1, 3]).reshape([C, B, G * n * n]);
  const idx = indexArray(actionIndex(group, g, n, true));
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
  return {
    gamma: np.ones([channels], { dtype: toDType(dtype) }),
    beta: np.zeros([channels], { dtype: toDType(dtype) }),
  };
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
