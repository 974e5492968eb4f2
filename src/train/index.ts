/**
 * noether/train — losses, optimisers and schedules, the jitted training step, the `fit` loop,
 * and the safetensors checkpoint codec (files on disk: noether/node).
 */
export {
  decodeCheckpoint,
  decodeSafetensors,
  encodeCheckpoint,
  inspectSafetensors,
  readCheckpointHeader,
  readSafetensorsHeader,
  type CheckpointDigests,
  type CheckpointHeader,
  type CheckpointMeta,
  type CheckpointState,
  type CheckpointTemplate,
  type DecodeOptions,
  type SafetensorsHeader,
  type SafetensorsReport,
  type TensorSummary,
} from "./checkpoint.js";
export {
  TrainingNonFiniteError,
  fit,
  type EarlyStoppingOptions,
  type EpochRecord,
  type FitOptions,
  type FitResult,
  type ProgressInfo,
  type StopReason,
} from "./fit.js";
export {
  cappedL1,
  huber,
  l1,
  lossByName,
  modelLoss,
  mse,
  softmaxCrossEntropy,
  type Loss,
  type LossFn,
} from "./losses.js";
export {
  adam,
  adamw,
  clipByGlobalNorm,
  clipByValue,
  constant,
  cosine,
  globalNorm,
  makeOptimizer,
  makeSchedule,
  oneCycle,
  sgd,
  type AdamOptions,
  type OptState,
  type Optimizer,
  type OptimizerConfig,
  type SGDOptions,
  type Schedule,
  type ScheduleConfig,
} from "./optim.js";
export { makeTrainStep, type TrainStep, type TrainStepOptions, type TrainStepOutput } from "./step.js";
