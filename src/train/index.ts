/** Training: losses, optimisers and schedules, the jitted step, the fit loop, checkpoints. */
export * from "./losses.js";
export * from "./optim.js";
export * from "./step.js";
export * from "./fit.js";
export * from "./checkpoint.js";
