/**
 * Moving data between host memory and jax-js arrays: the one way noether turns host numbers into
 * an engine array (`fromHost`), reads one back (`toFloat64`), and copies trees across devices.
 */
import { numpy as np, tree, type Array as JArray, type DType, type Device, type JsTree } from "../jax.js";
import { getFloatDtype, type FloatDtype } from "./engine.js";
import { ShapeError, checkFinite, fmtShape } from "./errors.js";

/** Where an array lives and what it holds. */
export interface Placement {
  dtype: DType;
  device: Device;
}

/** The dtype and device of `x` (borrowed: read before `x` is consumed), to make arrays like it. */
export function placementOf(x: JArray): Placement {
  return { dtype: x.dtype, device: x.device };
}

/** Options of `fromHost`. */
export interface FromHostOptions {
  /** Element type (default: the engine's float dtype, see `getFloatDtype`). */
  dtype?: FloatDtype | "int32" | "uint32" | DType;
  /** Device (default: jax-js's default device). */
  device?: Device;
  /** Reject NaN and ±Inf (NonFiniteError naming `what` and the first bad index). */
  finite?: boolean;
  /** What the data is, for error messages (default "fromHost"). */
  what?: string;
}

const TYPED: Record<string, (d: ArrayLike<number>) => Float32Array | Float64Array | Int32Array | Uint32Array> = {
  float32: (d) => Float32Array.from(d),
  float64: (d) => Float64Array.from(d),
  int32: (d) => Int32Array.from(d),
  uint32: (d) => Uint32Array.from(d),
};

/**
 * An array [shape] from host numbers (copied, converted to `dtype`). Throws a ShapeError when
 * `data.length` is not the product of `shape`, and with `finite` a NonFiniteError on NaN/±Inf.
 *
 * @example fromHost([1, 2, 3, 4], [2, 2])                      // engine float dtype, default device
 * @example fromHost(idx, [idx.length], { dtype: "int32" })      // an index array
 * @example fromHost(m, [n, n], placementOf(x))                  // a constant like x
 */
export function fromHost(data: ArrayLike<number>, shape: readonly number[], opts: FromHostOptions = {}): JArray {
  const what = opts.what ?? "fromHost";
  if (!shape.every((d) => Number.isInteger(d) && d >= 0))
    throw new ShapeError(`${what}: shape ${fmtShape(shape)} is not a list of non-negative integers`);
  const n = shape.reduce((a, b) => a * b, 1);
  if (data.length !== n)
    throw new ShapeError(`${what}: ${data.length} values for shape ${fmtShape(shape)}, expected ${n}`);
  const dtype = opts.dtype ?? getFloatDtype();
  const convert = TYPED[dtype];
  if (convert === undefined)
    throw new TypeError(`${what}: unsupported dtype ${JSON.stringify(dtype)} (float32, float64, int32, uint32)`);
  if (opts.finite) checkFinite(what, data);
  // The engine cannot build an array from no values; an empty shape gets zeros (there are none).
  if (n === 0) return np.zeros([...shape], { dtype: dtype as DType, ...(opts.device ? { device: opts.device } : {}) });
  return np.array(convert(data), {
    shape: [...shape],
    dtype: dtype as DType,
    ...(opts.device ? { device: opts.device } : {}),
  });
}

/** An int32 index vector [idx.length] (e.g. for `np.take`) on `device`: `fromHost` with dtype int32. */
export function indexArray(idx: ArrayLike<number>, device?: Device): JArray {
  return fromHost(idx, [idx.length], { dtype: "int32", ...(device ? { device } : {}) });
}

/** Reads an array into a Float64Array (consumes `x`). */
export function toFloat64(x: JArray): Float64Array {
  const d = x.dataSync();
  return d instanceof Float64Array ? d : Float64Array.from(d as ArrayLike<number>);
}

/**
 * Copies every float leaf of a tree to `device` with `dtype` through host memory
 * (consumes the tree). Used to run a float32 Wasm model in true float64 on the `cpu` device.
 */
export function castTree<T extends JsTree<JArray>>(t: T, opts: { dtype: FloatDtype; device?: Device }): T {
  return tree.map((x: JArray) => {
    const shape = x.shape;
    return fromHost(toFloat64(x), shape, opts);
  }, t) as T;
}
