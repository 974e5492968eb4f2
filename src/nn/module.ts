/**
 * Models are pairs of functions over plain parameter trees:
 * `init(key) → params`, `apply(params, x) → y`. Configuration lives in the closure.
 * `apply` consumes `params` and `x` (jax-js ownership); pass `tree.ref(params)` to keep them.
 */
import type { Array as JArray } from "../jax.js";
import type { Params } from "../core/tree.js";

export interface Module<P extends Params = Params> {
  /** Fresh parameters from a PRNG key (consumes the key). */
  init(key: JArray): P;
  /** Forward pass; consumes `params` and `x`. */
  apply(params: P, x: JArray): JArray;
  /** Input feature size (last axis), where the module has one. */
  readonly inSize?: number;
  /** Output feature size (last axis), where the module has one. */
  readonly outSize?: number;
}
