/**
 * Weight initialisers. Weights are stored [fanIn, fanOut] (y = x W + b).
 *
 * - "torch": PyTorch's nn.Linear default, W and b ~ U(−1/√fanIn, 1/√fanIn)
 *   (kaiming_uniform with a = √5).
 * - "glorot": Glorot/Xavier uniform, W ~ U(±√(6/(fanIn+fanOut))).
 * - "orthogonal": W with orthonormal rows or columns (QR of a Gaussian matrix, signs fixed as
 *   in PyTorch's orthogonal_), times `gain`.
 * - "zeros": all zeros (biases).
 */
import { numpy as np, random, type Array as JArray } from "../jax.js";
import { getFloatDtype, toDType, type FloatDtype } from "../core/engine.js";

export type WeightInit = "torch" | "glorot" | "orthogonal";
export type BiasInit = "torch" | "zeros";

function uniform(key: JArray, shape: number[], bound: number, dtype: FloatDtype): JArray {
  return random.uniform(key, shape, { minval: -bound, maxval: bound }).astype(toDType(dtype));
}

/** Weight matrix [fanIn, fanOut] drawn with `kind` (consumes `key`). */
export function initWeight(key: JArray, fanIn: number, fanOut: number, kind: WeightInit = "torch", opts: { gain?: number; dtype?: FloatDtype } = {}): JArray {
  const dtype = opts.dtype ?? getFloatDtype();
  const gain = opts.gain ?? 1;
  switch (kind) {
    case "torch":
      return uniform(key, [fanIn, fanOut], gain / Math.sqrt(fanIn), dtype);
    case "glorot":
      return uniform(key, [fanIn, fanOut], gain * Math.sqrt(6 / (fanIn + fanOut)), dtype);
    case "orthogonal": {
      const out = orthogonalMatrix(random.normal(key, [Math.max(fanIn, fanOut), Math.min(fanIn, fanOut)]).astype(toDType("float64")).dataSync() as Float64Array, fanIn, fanOut);
      if (gain !== 1) for (let i = 0; i < out.length; i++) out[i]! *= gain;
      return np.array(out, { shape: [fanIn, fanOut], dtype: toDType("float64") }).astype(toDType(dtype));
    }
    default:
      throw new TypeError(`unknown weight init ${JSON.stringify(kind)}; expected "torch", "glorot" or "orthogonal"`);
  }
}

/** Bias vector [fanOut] (consumes `key`). */
export function initBias(key: JArray, fanIn: number, fanOut: number, kind: BiasInit = "torch", dtype: FloatDtype = getFloatDtype()): JArray {
  if (kind === "zeros") {
    key.dispose();
    return np.zeros([fanOut], { dtype: toDType(dtype) });
  }
  if (kind === "torch") return uniform(key, [fanOut], 1 / Math.sqrt(fanIn), dtype);
  throw new TypeError(`unknown bias init ${JSON.stringify(kind)}; expected "torch" or "zeros"`);
}

/**
 * An orthogonal row-major [rows, cols] matrix (orthonormal columns if rows ≥ cols, else rows)
 * from max·min standard normal draws: Gram–Schmidt (QR, signs of diag R) of the Gaussian
 * [max, min] matrix, transposed when rows < cols — PyTorch's orthogonal_ construction.
 */
export function orthogonalMatrix(normals: Float64Array, rows: number, cols: number): Float64Array {
  const big = Math.max(rows, cols);
  const small = Math.min(rows, cols);
  const q = gramSchmidt(normals, big, small); // [big, small]
  if (rows >= cols) return q;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = q[j * small + i]!;
  return out;
}

/**
 * Modified Gram–Schmidt on the columns of a row-major [rows, cols] matrix (rows ≥ cols),
 * returning Q with orthonormal columns; column signs follow sign(diag R) as in a QR.
 */
export function gramSchmidt(a: Float64Array, rows: number, cols: number): Float64Array {
  const q = Float64Array.from(a);
  for (let j = 0; j < cols; j++) {
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < rows; i++) dot += q[i * cols + k]! * q[i * cols + j]!;
      for (let i = 0; i < rows; i++) q[i * cols + j]! -= dot * q[i * cols + k]!;
    }
    let norm = 0;
    for (let i = 0; i < rows; i++) norm += q[i * cols + j]! ** 2;
    norm = Math.sqrt(norm);
    if (norm === 0) throw new Error("gramSchmidt: rank-deficient matrix");
    for (let i = 0; i < rows; i++) q[i * cols + j]! /= norm;
  }
  return q;
}
