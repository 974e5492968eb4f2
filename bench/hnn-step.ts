/**
 * `hnn-step`: milliseconds per Hamiltonian-NN training step — H = 2→200→200→1 tanh MLP,
 * field J∇ₓH, MSE against targets, batch 750, Adam, float32, Wasm. Forward, input gradient
 * (closed form, `hamiltonianFieldMLP`), parameter gradient and update are one `jit` via
 * `makeTrainStep`; the loss is read every step. Compared with the same step in PyTorch
 * (bench/reference/hnn_step.py, autograd.grad with create_graph) run in the same invocation.
 * The nested-autodiff route (`hamiltonianField`, grad of grad) is timed too, for the record.
 */
import type { Array as JArray } from "../src/jax.js";
import { initEngine } from "../src/core/engine.js";
import { fromHost } from "../src/core/host.js";
import { hostNormal, hostRng, makeKey } from "../src/core/rng.js";
import { MLP, type MLPParams } from "../src/nn/layers.js";
import { hamiltonianField, hamiltonianFieldMLP, type ParamField } from "../src/physics/fields.js";
import { mse, type LossFn } from "../src/train/losses.js";
import { adam } from "../src/train/optim.js";
import type { Benchmark, BenchOptions, BenchOutcome } from "../src/cli/bench-types.js";
import { torchReference } from "./python.js";
import { timeTrainSteps } from "./timing.js";

const D = 2;
const HIDDEN = 200;
const BATCH = 750;

/** Times `steps` jitted Adam steps of an HNN with the given field builder; returns the median ms and final loss. */
async function timeRoute(
  field: ParamField<MLPParams>,
  steps: number,
  warmup: number,
  opts: BenchOptions,
  offset: number,
  total: number,
): Promise<{ ms: number; loss: number }> {
  const net = MLP([D, HIDDEN, HIDDEN, 1], { activation: "tanh", init: "orthogonal" });
  const rng = hostRng(0);
  const x = fromHost(hostNormal(BATCH * D, rng), [BATCH, D], { dtype: "float32" });
  const y = fromHost(hostNormal(BATCH * D, rng), [BATCH, D], { dtype: "float32" });
  const lossFn: LossFn<MLPParams> = (p, xb, yb) => mse(field(p, xb), yb);
  return timeTrainSteps("hnn-step", {
    lossFn,
    optimizer: adam(),
    params: net.init(makeKey(0)),
    x,
    y,
    lr: 1e-3,
    steps,
    warmup,
    onStep: (t, _total, loss) => opts.onProgress({ done: offset + t, total, unit: "steps", metrics: { loss } }),
  });
}

/** The hnn-step benchmark. */
export const hnnStep: Benchmark = {
  name: "hnn-step",
  description: `ms per HNN Adam step, H = ${D}→${HIDDEN}→${HIDDEN}→1 tanh, field J∇H (closed-form input gradient), MSE, batch ${BATCH}, one jit (vs PyTorch)`,
  async run(opts): Promise<BenchOutcome> {
    const steps = opts.steps ?? 50;
    const warmup = opts.warmup ?? 5;
    const adSteps = Math.max(3, Math.min(10, Math.round(steps / 5)));
    const adWarmup = 2;
    const total = warmup + steps + adWarmup + adSteps;
    const info = await initEngine();
    const fast = await timeRoute(hamiltonianFieldMLP("tanh"), steps, warmup, opts, 0, total);
    opts.log(`closed-form route: ${fast.ms.toFixed(2)} ms/step; timing the nested-autodiff route (${adSteps} steps)…`);
    const net = MLP([D, HIDDEN, HIDDEN, 1], { activation: "tanh" });
    const H = (p: MLPParams, x: JArray): JArray => {
      const B = x.shape[0]!;
      return net.apply(p, x).reshape([B]);
    };
    const auto = await timeRoute(hamiltonianField(H), adSteps, adWarmup, opts, warmup + steps, total);
    const notes = [
      `jax-js ${info.device} float32, median of ${steps} steps after ${warmup} warm-up; final loss ${fast.loss.toPrecision(4)}`,
      `nested autodiff (hamiltonianField, grad of grad), same step: ${auto.ms.toFixed(1)} ms/step (median of ${adSteps}; ${(auto.ms / fast.ms).toFixed(1)}× the closed-form route)`,
    ];
    const ref = await torchReference(
      "hnn_step.py",
      opts,
      { steps, warmup },
      "same sizes, input gradient with create_graph, MSE, Adam",
    );
    const reference = ref.reference;
    notes.push(...ref.notes);
    return {
      name: "hnn-step",
      msPerStep: fast.ms,
      reference,
      ratio: reference ? fast.ms / reference.msPerStep : null,
      notes,
    };
  },
};
