/**
 * Segment operations — reductions of rows grouped by an index — and row gathers, differentiable
 * to any order, built from jax-js ops (jax-js has no public scatter).
 *
 * Two routes, chosen by `blocks`:
 * - Block route (`blocks = B`): rows and segments are split into B equal contiguous blocks and
 *   every row's segment lies in its own block — a batch of graphs with equal node and edge
 *   counts (`GraphsTuple.uniform`). Each block is a small one-hot [n, e] reduction
 *   (Σₑ onehot[b, i, e] · data[b, e, :]), fused by jit, with a gather of the same form as its
 *   transpose.
 * - General route: the sum is the transpose of `np.take` (jax-js's internal scatter-add, a
 *   plain-JS routine), O(E·F); gathers are `np.take`. Max is a dense masked reduction
 *   [N, E, F] (fine for the graph sizes here; documented cost).
 *
 * Measured (float32, Wasm, one jit of forward + backward, median ms; 2-core machine):
 *
 * | op, size                                   | block | scatter (take's VJP) | dense one-hot matmul |
 * |--------------------------------------------|-------|----------------------|----------------------|
 * | sum, E 2000 → N 500 (100 graphs), F 64      | 1.4   | 9.1                  | 23.5                 |
 * | sum, E 448 → N 256 (32 graphs), F 16        | 0.36  | 0.73                 | 1.11                 |
 * | gather, N 500 → E 2000, F 64                | 4.1   | 8.5 (`np.take`)      | —                    |
 * | sum, E 20000 → N 5000, F 64 (no blocks)     | —     | 93                   | (too large)          |
 *
 * Ids outside [0, numSegments) contribute nothing (as jax.ops.segment_sum). Empty segments give
 * 0 for sum, mean and max. Every function consumes its array arguments.
 */
import { lax, numpy as np, vjp, type Array as JArray } from "../../jax.js";
import { fmtShape, ShapeError } from "../../core/errors.js";

/** Options of the segment operations. */
export interface SegmentOptions {
  /**
   * Rows and segments form `blocks` equal contiguous blocks and each row's segment id lies in
   * its block (a uniform batch of graphs): selects the fast block route. The caller guarantees
   * the layout (`batchGraphs` and `checkGraph` verify it for GraphsTuples).
   */
  blocks?: number;
}

/** The segment reductions by name (GN blocks take them as configuration). */
export type Aggregation = "sum" | "mean" | "max";

function asRows(what: string, data: JArray, ids: JArray): { x: JArray; vector: boolean } {
  if (ids.ndim !== 1 || (data.ndim !== 1 && data.ndim !== 2) || data.shape[0] !== ids.shape[0]) {
    const [ds, is] = [data.shape, ids.shape];
    data.dispose();
    ids.dispose();
    throw new ShapeError(
      `${what}: expected data [E] or [E, F] and ids [E], got data ${fmtShape(ds)} and ids ${fmtShape(is)}`,
    );
  }
  return data.ndim === 1 ? { x: data.reshape([-1, 1]), vector: true } : { x: data, vector: false };
}

function checkBlocks(what: string, rows: number, segs: number, blocks: number): void {
  if (!(Number.isInteger(blocks) && blocks > 0 && rows % blocks === 0 && segs % blocks === 0))
    throw new ShapeError(
      `${what}: blocks = ${blocks} must be a positive integer dividing both the rows (${rows}) and the segments (${segs})`,
    );
}

/** One-hot [B, n, e] of the block-local segment of every row (ids [B·e] consumed). */
function blockOneHot(ids: JArray, B: number, e: number, n: number, dtype: JArray["dtype"]): JArray {
  const off = np.arange(B, undefined, undefined, { dtype: np.int32, device: ids.device }).reshape([B, 1]).mul(n);
  const local = ids.astype(np.int32).reshape([B, e]).sub(off);
  const seg = np.arange(n, undefined, undefined, { dtype: np.int32, device: local.device }).reshape([1, n, 1]);
  return np.equal(seg, local.reshape([B, 1, e])).astype(dtype);
}

function scatterAdd(x: JArray, ids: JArray, n: number): JArray {
  const F = x.shape[1]!;
  const z = np.zeros([n, F], { dtype: x.dtype, device: x.device });
  const [y, back] = vjp((zz: JArray) => np.take(zz, ids, 0), [z]);
  y.dispose();
  const [r] = back(x) as JArray[];
  back.dispose();
  return r!;
}

/** Σ of the rows of `data` [E, F] (or [E]) with the same id: [numSegments, F] (or [numSegments]). Consumes data and ids. */
export function segmentSum(data: JArray, ids: JArray, numSegments: number, opts: SegmentOptions = {}): JArray {
  const { x, vector } = asRows("segmentSum", data, ids);
  const E = x.shape[0]!;
  const F = x.shape[1]!;
  let out: JArray;
  if (E === 0 || numSegments === 0) {
    x.dispose();
    ids.dispose();
    out = np.zeros([numSegments, F], { dtype: x.dtype, device: x.device });
  } else if (opts.blocks !== undefined) {
    const B = opts.blocks;
    checkBlocks("segmentSum", E, numSegments, B);
    const e = E / B;
    const n = numSegments / B;
    const oh = blockOneHot(ids, B, e, n, x.dtype);
    out = np.sum(oh.reshape([B, n, e, 1]).mul(x.reshape([B, 1, e, F])), 2).reshape([numSegments, F]);
  } else {
    out = scatterAdd(x, ids, numSegments);
  }
  return vector ? out.reshape([numSegments]) : out;
}

/** Number of rows per segment as a float column [numSegments, 1] like `like` (consumes ids; borrows like). */
export function segmentCount(ids: JArray, numSegments: number, like: JArray, opts: SegmentOptions = {}): JArray {
  const ones = np.ones([ids.shape[0]!, 1], { dtype: like.dtype, device: like.device });
  return segmentSum(ones, ids, numSegments, opts);
}

/** Mean of the rows with the same id (0 for an empty segment): [numSegments, F] (or [numSegments]). Consumes data and ids. */
export function segmentMean(data: JArray, ids: JArray, numSegments: number, opts: SegmentOptions = {}): JArray {
  const vector = data.ndim === 1;
  const count = segmentCount(ids.ref, numSegments, data, opts);
  const s = segmentSum(vector ? data.reshape([-1, 1]) : data, ids, numSegments, opts);
  const m = s.div(np.maximum(count, 1));
  return vector ? m.reshape([numSegments]) : m;
}

/** Max of the rows with the same id (0 for an empty segment): [numSegments, F] (or [numSegments]). Consumes data and ids. */
export function segmentMax(data: JArray, ids: JArray, numSegments: number, opts: SegmentOptions = {}): JArray {
  const { x, vector } = asRows("segmentMax", data, ids);
  const E = x.shape[0]!;
  const F = x.shape[1]!;
  let out: JArray;
  if (E === 0 || numSegments === 0) {
    x.dispose();
    ids.dispose();
    out = np.zeros([numSegments, F], { dtype: x.dtype, device: x.device });
  } else {
    let mask: JArray; // [..., n, e, 1] booleans
    let vals: JArray; // [..., 1, e, F]
    let count: JArray;
    if (opts.blocks !== undefined) {
      const B = opts.blocks;
      checkBlocks("segmentMax", E, numSegments, B);
      const e = E / B;
      const n = numSegments / B;
      const oh = blockOneHot(ids, B, e, n, x.dtype); // [B, n, e]
      count = np.sum(oh.ref, 2).reshape([numSegments, 1]);
      mask = oh.reshape([B, n, e, 1]).greater(0);
      vals = x.reshape([B, 1, e, F]);
    } else {
      const seg = np.arange(numSegments, undefined, undefined, { dtype: np.int32, device: ids.device });
      const oh = np.equal(seg.reshape([numSegments, 1]), ids.astype(np.int32).reshape([1, E])); // [N, E]
      count = np.sum(oh.ref.astype(x.dtype), 1).reshape([numSegments, 1]);
      mask = oh.reshape([numSegments, E, 1]);
      vals = x.reshape([1, E, F]);
    }
    const masked = np.where(mask, vals, -Infinity);
    const m = np.max(masked, -2).reshape([numSegments, F]);
    out = np.where(count.greater(0), m, 0);
  }
  return vector ? out.reshape([numSegments]) : out;
}

/**
 * Softmax of `logits` [E] or [E, F] within each segment: exp(lᵢ − max) / Σ_segment exp(l − max)
 * (the max is held constant for the gradient, which it does not change). Consumes logits and ids.
 */
export function segmentSoftmax(logits: JArray, ids: JArray, numSegments: number, opts: SegmentOptions = {}): JArray {
  const m = lax.stopGradient(segmentMax(logits.ref, ids.ref, numSegments, opts));
  const ex = np.exp(logits.sub(gatherRows(m, ids.ref, opts)));
  const den = gatherRows(segmentSum(ex.ref, ids.ref, numSegments, opts), ids, opts);
  return ex.div(den);
}

/**
 * Rows x[ids]: x [N, F] (or [N]) → [E, F] (or [E]). With `blocks`, the block route (ids of block
 * b index rows of block b); otherwise `np.take`. Consumes x and ids.
 */
export function gatherRows(x: JArray, ids: JArray, opts: SegmentOptions = {}): JArray {
  if (ids.ndim !== 1 || (x.ndim !== 1 && x.ndim !== 2)) {
    const [xs, is] = [x.shape, ids.shape];
    x.dispose();
    ids.dispose();
    throw new ShapeError(
      `gatherRows: expected x [N] or [N, F] and ids [E], got x ${fmtShape(xs)} and ids ${fmtShape(is)}`,
    );
  }
  const vector = x.ndim === 1;
  const xr = vector ? x.reshape([-1, 1]) : x;
  const N = xr.shape[0]!;
  const F = xr.shape[1]!;
  const E = ids.shape[0]!;
  let out: JArray;
  if (E === 0 || N === 0) {
    xr.dispose();
    ids.dispose();
    out = np.zeros([E, F], { dtype: xr.dtype, device: xr.device });
  } else if (opts.blocks !== undefined) {
    const B = opts.blocks;
    checkBlocks("gatherRows", E, N, B);
    const e = E / B;
    const n = N / B;
    const oh = blockOneHot(ids, B, e, n, xr.dtype); // [B, n, e]
    out = np.sum(oh.reshape([B, n, e, 1]).mul(xr.reshape([B, n, 1, F])), 1).reshape([E, F]);
  } else {
    out = np.take(xr, ids.astype(np.int32), 0);
  }
  return vector ? out.reshape([E]) : out;
}

/** The aggregation `name` as a function (data, ids, numSegments, opts) → [numSegments, F]. */
export function segmentReducer(
  name: Aggregation,
): (data: JArray, ids: JArray, numSegments: number, opts?: SegmentOptions) => JArray {
  switch (name) {
    case "sum":
      return segmentSum;
    case "mean":
      return segmentMean;
    case "max":
      return segmentMax;
    default:
      throw new ShapeError(`unknown aggregation ${JSON.stringify(name)}: expected "sum", "mean" or "max"`);
  }
}
