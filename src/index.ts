/**
 * noether — neural networks that respect symmetries, on jax-js. Runs in Node and in the browser.
 *
 * The top level holds what everyone uses; each family has its own entry point with the rest:
 * noether/jax (the whole engine), noether/core, noether/nn, noether/train, noether/physics,
 * noether/groups, noether/reps, noether/solve, noether/emlp, noether/gcnn, noether/data,
 * noether/testing, and noether/node (Node only: checkpoint files).
 */
// The engine's everyday names, from the one (patched) engine noether computes with.
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
export { EngineError } from "./core/canary.js";
export {
  getFloatDtype,
  initEngine,
  setFloatDtype,
  type EngineInfo,
  type EngineOptions,
  type FloatDtype,
} from "./core/engine.js";
export { CheckpointError, ConfigError, NoetherError, NonFiniteError, ShapeError } from "./core/errors.js";
export { castTree, fromHost, toFloat64 } from "./core/host.js";
export { makeKey, splitKey } from "./core/rng.js";
export type { Params } from "./core/tree.js";
export {
  C,
  Dihedral,
  GL,
  Lorentz,
  O,
  O13,
  S,
  SL,
  SO,
  SO13p,
  SU,
  Sp,
  Translations,
  Trivial,
  U,
  Z,
  customGroup,
  directProduct,
} from "./groups/catalog.js";
export { makeGroup, type Group } from "./groups/group.js";
export { EMLP, type EMLPOptions } from "./layers/emlp/model.js";
export { Linear, MLP, type MLPOptions, type MLPParams } from "./nn/layers.js";
export type { Module, RepModule } from "./nn/module.js";
export { repAction } from "./reps/action.js";
export { Rep, Scalar, T, V, directSum, tensorProduct } from "./reps/rep.js";
export { equivariantBasis, type EquivariantBasis } from "./solve/basis.js";
export { fit, type FitOptions, type FitResult } from "./train/fit.js";
export { l1, mse } from "./train/losses.js";
export { adam, adamw, constant, cosine, oneCycle, sgd } from "./train/optim.js";
