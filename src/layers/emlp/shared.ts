/**
 * What the EMLP layers share: input checks in both layouts, feature-major matmul with SIMD-friendly
 * padding, row/column slices, and host draws for initialisation.
 *
 * Speed (jax-js Wasm): a matmul runs on SIMD only when its operands are contiguous along the
 * reduction axis with a reduction size divisible by 4, or contiguous/broadcast along the output's
 * last axis with that size divisible by 4. Hidden sizes (414, 164, 125, 25, 5) mostly are not,
 * so the layers also run feature-major ([features, B], `applyT`): every forward and backward
 * matmul then vectorises along the batch.
 */
import { numpy as np, random, tree, type Array as JArray, type DType } from "../../jax.js";
import { getFloatDtype, toDType, type FloatDtype } from "../../core/engine.js";
import { ShapeError, fmtShape } from "../../core/errors.js";
import type { Placement } from "../../core/host.js";
import type { Params } from "../../core/tree.js";
import { orthogonalMatrix } from "../../core/linalg.js";
import { TrivialRep, type Rep } from "../../reps/rep.js";

export function isScalarType(r: Rep): boolean {
  return r instanceof TrivialRep && r.size === 1;
}

/**
 * Checks x [B, rep.size]; on failure releases x and `params` (what the layer's apply consumes)
 * and throws a ShapeError.
 */
export function checkInput(who: string, rep: Rep, x: JArray, params?: Params): void {
  const last = x.shape[x.shape.length - 1];
  if (x.ndim !== 2 || last !== rep.size) {
    const shape = x.shape;
    x.dispose();
    if (params !== undefined) tree.dispose(params);
    throw new ShapeError(
      `${who}: input of shape ${fmtShape(shape)} does not match repIn ${rep.structure} of size ${rep.size}; expected [B, ${rep.size}]`,
    );
  }
}

/** `checkInput` for the feature-major xT [rep.size, B]. */
export function checkInputT(who: string, rep: Rep, xT: JArray, params?: Params): void {
  if (xT.ndim !== 2 || xT.shape[0] !== rep.size) {
    const shape = xT.shape;
    xT.dispose();
    if (params !== undefined) tree.dispose(params);
    throw new ShapeError(
      `${who}: feature-major input of shape ${fmtShape(shape)} does not match repIn ${rep.structure} of size ${rep.size}; expected [${rep.size}, B]`,
    );
  }
}

/**
 * Feature-major matmul W [M, Kd] @ X [Kd, N] (X's last axis the batch), with the contraction
 * padded with zeros to a multiple of 4 (W's columns, X's rows; both materialised by the
 * concatenation). jax-js's Wasm matmul kernels vectorise along a contraction or output axis only
 * when its size is a multiple of 4; the backward pass of W @ X produces X's cotangent batch-major
 * ([N, Kd]), so without the padding the gradient kernels of contractions such as 125 = 5·25 or 25
 * run scalar (10–50× slower). Padding keeps all three (forward, dW, dX) on SIMD.
 */
export function mmFM(W: JArray, X: JArray, at: Placement): JArray {
  const Kd = W.shape[1]!;
  const pad = (4 - (Kd % 4)) % 4;
  if (pad === 0 || X.shape[1]! % 4 !== 0) return np.matmul(W, X);
  const M = W.shape[0]!;
  const N = X.shape[1]!;
  const Wp = np.concatenate([W, np.zeros([M, pad], at)], 1);
  const Xp = np.concatenate([X, np.zeros([pad, N], at)], 0);
  return np.matmul(Wp, Xp);
}

/** Rows [start, start+len) of a [N, B] array (keeps x alive). */
export function sliceRows(x: JArray, start: number, len: number): JArray {
  if (start === 0 && len === x.shape[0]) return x.ref;
  return x.ref.slice([start, start + len]);
}

export function paramDtype(d: FloatDtype | undefined): DType {
  return toDType(d ?? getFloatDtype());
}

/** Host float64 data of a uniform / orthogonal draw from a key (consumes the key). */
export function hostDraw(key: JArray, n: number, kind: "normal" | "uniform"): Float64Array {
  const a = kind === "normal" ? random.normal(key, [n]) : random.uniform(key, [n]);
  const d = a.astype(np.float64).dataSync();
  return d instanceof Float64Array ? d : Float64Array.from(d as ArrayLike<number>);
}

/** An orthogonal [rows, cols] matrix (orthonormal rows or columns) from a key, as PyTorch/objax orthogonal init. */
export function orthogonalHost(key: JArray, rows: number, cols: number): Float64Array {
  return orthogonalMatrix(hostDraw(key, rows * cols, "normal"), rows, cols);
}

/** Columns [start, start+len) of a [B, N] array (keeps x alive). */
export function sliceCols(x: JArray, start: number, len: number): JArray {
  if (start === 0 && len === x.shape[1]) return x.ref;
  return x.ref.slice([], [start, start + len]);
}

/**
 * A contiguous copy of a (transposed) view inside jit: the multiplication by a non-literal one is
 * not folded away, so jit materialises it in its own elementwise kernel and a matmul reading it
 * sees a contiguous operand (a transposed view reaching a matmul runs on the scalar path).
 */
export function contiguous(x: JArray, one: JArray): JArray {
  return x.mul(one.ref);
}
