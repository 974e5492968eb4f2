/**
 * noether/core — engine set-up and the canary, errors, host ↔ engine transfers, random keys,
 * parameter trees, the matrix exponential and small statistics.
 */
export { EngineError, runEngineCanary, type CanaryResult, type EngineModule } from "./canary.js";
export {
  engineCanaryResults,
  engineInfo,
  getFloatDtype,
  initEngine,
  setFloatDtype,
  withDevice,
  type ComputeDevice,
  type EngineInfo,
  type EngineOptions,
  type FloatDtype,
} from "./engine.js";
export {
  CheckpointError,
  ConfigError,
  NoetherError,
  NonFiniteError,
  ShapeError,
  checkFinite,
  checkShape,
  fmtShape,
} from "./errors.js";
export { expm, expmHost, type ExpmOptions } from "./expm.js";
export {
  castTree,
  fromHost,
  indexArray,
  placementOf,
  toFloat64,
  type FromHostOptions,
  type Placement,
} from "./host.js";
export { hostNormal, hostRng, makeKey, permutation, splitKey } from "./rng.js";
export { mean, meanStdErr, median, std } from "./stats.js";
export { flattenWithPaths, treeSize, unflattenWithPaths, type Params } from "./tree.js";
