/** The benchmark registry used by `noether bench` (source checkouts only). */
import type { Benchmark } from "../src/cli/bench-types.js";
import { mlpStep } from "./mlp-step.js";
import { hnnStep } from "./hnn-step.js";
import { lnnStep } from "./lnn-step.js";
import { gconvLayer } from "./gconv-layer.js";
import { emlpSolve } from "./emlp-solve.js";
import { emlpStep } from "./emlp-step.js";
import { flowStep } from "./flow-step.js";
import { egnnStep, gnStep } from "./graph-steps.js";
import { lieconvStep } from "./lieconv-step.js";

/** Every benchmark, in the order `bench all` runs them. */
export const benchmarks: Benchmark[] = [
  mlpStep,
  hnnStep,
  lnnStep,
  gconvLayer,
  emlpSolve,
  emlpStep,
  flowStep,
  gnStep,
  egnnStep,
  lieconvStep,
];
