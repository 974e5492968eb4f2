/**
 * `lnn-step`: milliseconds per Lagrangian-NN training step — L = MLP(4→128→128→1, softplus) on
 * x = (q, q̇), n = 2; q̈ = (∂²L/∂q̇²)⁻¹[∂L/∂q − (∂²L/∂q̇∂q) q̇] per sample by `lagrangianFieldMLP`
 * (closed-form Hessian rows); MSE on q̈; Adam; batch 256, float32; the whole step in one `jit`
 * via `makeTrainStep`. Compared with the same step in PyTorch + functorch
 * (bench/reference/lnn_step.py); the nested-autodiff route (`lagrangianField`) is timed for the
 * record (notes only).
 */
import type { Array as JArray } from "../src/jax.js";
import { initEngine } from "../src/core/engine.js";
import { fromHost } from "../src/core/host.js";
import { hostNormal, hostRng, makeKey } from "../src/core/rng.js";
import { MLP, type MLPParams } from "../src/nn/layers.js";
import { lagrangianField, lagrangianFieldMLP, type ParamField } from "../src/physics/fields.js";
import { mse } from "../src/train/losses.js";
import { adam } from "../src/train/optim.js";
import type { Benchmark, BenchOutcome } from "../src/cli/bench-types.js";
import { torchReference } from "./python.js";
import { timeTrainSteps } from "./timing.js";

const N = 2;
const HIDDEN = 128;
const BATCH = 256;

/** Times `steps` jitted Adam steps (after `warmup`) of the LNN loss built on `field`; median ms and final loss. */
async function timeSteps(
  field: ParamField<MLPParams>,
  steps: number,
  warmup: number,
  onStep?: (t: number, total: number, loss: number) => void,
): Promise<{ ms: number; loss: number }> {
  const net = MLP([2 * N, HIDDEN, HIDDEN, 1], { activation: "softplus" });
  const rng = hostRng(0);
  const x = fromHost(hostNormal(BATCH * 2 * N, rng), [BATCH, 2 * N], { dtype: "float32" });
  const y = fromHost(hostNormal(BATCH * N, rng), [BATCH, N], { dtype: "float32" });
  return timeTrainSteps("lnn-step", {
    lossFn: (p: MLPParams, xb: JArray, yb: JArray) => mse(field(p, xb).slice([], [N, 2 * N]), yb),
    optimizer: adam(),
    params: net.init(makeKey(0)),
    x,
    y,
    lr: 1e-3,
    steps,
    warmup,
    onStep,
  });
}

/** The lnn-step benchmark. */
export const lnnStep: Benchmark = {
  name: "lnn-step",
  description: `ms per LNN Adam step, L = ${2 * N}→${HIDDEN}→${HIDDEN}→1 softplus, q̈ by the closed-form Hessian rows, batch ${BATCH}, one jit (vs PyTorch functorch)`,
  async run(opts): Promise<BenchOutcome> {
    const steps = opts.steps ?? 50;
    const warmup = opts.warmup ?? 5;
    const info = await initEngine();
    const structured = await timeSteps(lagrangianFieldMLP("softplus"), steps, warmup, (t, total, loss) =>
      opts.onProgress({ done: t, total, unit: "steps", metrics: { loss } }),
    );
    if (!Number.isFinite(structured.loss)) throw new Error(`lnn-step: loss became ${structured.loss}`);
    const notes = [
      `jax-js ${info.device} float32, lagrangianFieldMLP, median of ${steps} steps after ${warmup} warm-up; final loss ${structured.loss.toPrecision(4)}`,
    ];
    const net = MLP([2 * N, HIDDEN, HIDDEN, 1], { activation: "softplus" });
    const nestedSteps = Math.max(3, Math.min(10, Math.round(steps / 5)));
    opts.log(`timing the nested-autodiff route (lagrangianField, ${nestedSteps} steps)…`);
    const nested = await timeSteps(
      lagrangianField<MLPParams>((p, x) => net.apply(p, x).reshape([-1])),
      nestedSteps,
      2,
    );
    notes.push(
      `nested autodiff (lagrangianField over MLP.apply, same step, one jit): ${nested.ms.toFixed(1)} ms/step (median of ${nestedSteps}; for the record, not the default)`,
    );
    const ref = await torchReference(
      "lnn_step.py",
      opts,
      { steps: Math.min(steps, 20), warmup: Math.min(warmup, 3) },
      "same sizes, functorch vmap(grad, hessian) + solve, MSE, Adam",
    );
    const reference = ref.reference;
    notes.push(...ref.notes);
    return {
      name: "lnn-step",
      msPerStep: structured.ms,
      reference,
      ratio: reference ? structured.ms / reference.msPerStep : null,
      notes,
    };
  },
};
