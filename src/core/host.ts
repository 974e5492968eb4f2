/**
 * Moving data between jax-js arrays and host memory, and between devices/dtypes.
 */
import { numpy as np, tree, Array as JArray, type Device, type JsTree } from "../jax.js";
import { toDType, type FloatDtype } from "./engine.js";

/** Reads an array into a Float64Array (consumes `x`). */
export function toFloat64(x: JArray): Float64Array {
  const d = x.dataSync();
  return d instanceof Float64Array ? d : Float64Array.from(d as ArrayLike<number>);
}

/** Builds an array from host numbers with a float dtype on a device (default: the engine default). */
export function fromHost(data: ArrayLike<number>, shape: number[], opts: { dtype: FloatDtype; device?: Device }): JArray {
  const buf = opts.dtype === "float64" ? Float64Array.from(data) : Float32Array.from(data);
  return np.array(buf, { shape, dtype: toDType(opts.dtype), ...(opts.device ? { device: opts.device } : {}) });
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
