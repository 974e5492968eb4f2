/**
 * noether — neural networks that respect symmetries, on jax-js.
 * Core entry point: runs in Node and in the browser.
 */
// The engine's everyday names, from the one (patched) engine noether computes with; the whole
// engine API is `noether/jax`.
export {
  Array,
  blockUntilReady,
  defaultDevice,
  devices,
  grad,
  hessian,
  jacfwd,
  jacrev,
  jit,
  jvp,
  lax,
  linearize,
  nn,
  numpy,
  random,
  tree,
  valueAndGrad,
  vjp,
  vmap,
  type DType,
  type Device,
  type JsTree,
} from "./jax.js";
export * from "./core/engine.js";
export * from "./core/errors.js";
export * from "./core/tree.js";
export * from "./core/rng.js";
export * from "./nn/activations.js";
export * from "./nn/init.js";
export * from "./nn/layers.js";
export * from "./nn/input-derivs.js";
export * from "./core/host.js";
export type * from "./nn/module.js";
export * from "./train/index.js";
export * from "./physics/fields.js";
export * from "./core/expm.js";
export * from "./groups/index.js";
export * from "./reps/index.js";
export * from "./solve/index.js";
export * from "./physics/systems.js";
export * from "./physics/integrators.js";
export * from "./physics/rollout.js";
export * from "./physics/canonical.js";
export * from "./data/trajectories.js";
export * from "./data/emlp-synthetic.js";
export * from "./data/rotmnist.js";
export * from "./layers/emlp/index.js";
export * from "./layers/gcnn/index.js";
