/**
 * Models are pairs of functions over plain parameter trees: `init(key) → params`,
 * `apply(params, x) → y`. Configuration lives in the closure. `apply` consumes `params` and `x`
 * (jax-js ownership); pass `tree.ref(params)` to keep them. Every model in noether — dense
 * layers, EMLP layers, group convolutions, G-CNNs — is a `Module`; layers that map between
 * representations are `RepModule`s.
 */
import type { Array as JArray } from "../jax.js";
import type { Params } from "../core/tree.js";
import type { Rep } from "../reps/rep.js";

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

/**
 * A module that maps a representation to another: [B, repIn.size] → [B, repOut.size], declared
 * so that composition (`chain`) checks neighbours when the model is built and the harness knows
 * how the group acts on inputs and outputs.
 */
export interface RepModule<P extends Params = Params> extends Module<P> {
  readonly kind: string;
  readonly repIn: Rep;
  readonly repOut: Rep;
  readonly inSize: number;
  readonly outSize: number;
  /**
   * The same map in the feature-major layout, [repIn.size, B] → [repOut.size, B] (consumes
   * params and xT). With the batch on the last axis every matmul of the forward and backward pass
   * is contiguous along the batch (SIMD on Wasm whatever the feature sizes, for B a multiple of
   * 4). Required, so that a chain always runs feature-major end to end; a layer without a faster
   * form can take `featureMajorByTranspose(apply)`.
   */
  applyT(params: P, xT: JArray): JArray;
}

/** `applyT` for a layer that only has `apply`: transposes in and out (correct, not fast). */
export function featureMajorByTranspose<P extends Params>(
  apply: (params: P, x: JArray) => JArray,
): (params: P, xT: JArray) => JArray {
  return (params, xT) => apply(params, xT.transpose([1, 0])).transpose([1, 0]);
}
