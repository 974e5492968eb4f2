/**
 * noether/jax — the jax-js engine noether computes with: the whole `@jax-js/jax` API, from the
 * patched copy that the published package carries in dist/vendor/jax-js (patches/README.md).
 *
 * Import the engine from here (or its common names from "noether"), not from "@jax-js/jax":
 * a separately installed `@jax-js/jax` is a second, unpatched engine whose arrays noether does
 * not compute with.
 *
 * @example import { numpy as np, grad, jit } from "noether/jax";
 */
export * from "@jax-js/jax";
