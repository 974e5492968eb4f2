/**
 * `mlp-step`: milliseconds per Adam training step of a 2→200→200→2 tanh MLP (MSE loss,
 * batch 750, float32, Wasm) — the size of a Hamiltonian-NN baseline that maps (q, p) to
 * (dq/dt, dp/dt). The whole step (loss, gradient, Adam update) is one `jit`; the loss is read
 * every step. Uses noether's own `makeTrainStep` and `adam`. Compared with the same step in PyTorch (bench/reference/mlp_step.py).
 */
import { initEngine } from "../src/core/engine.js";
import { fromHost } from "../src/core/host.js";
import { hostNormal, hostRng, makeKey } from "../src/core/rng.js";
import { MLP } from "../src/nn/layers.js";
import { mse, modelLoss } from "../src/train/losses.js";
import { adam } from "../src/train/optim.js";
import type { Benchmark, BenchOutcome } from "../src/cli/bench-types.js";
import { torchReference } from "./python.js";
import { timeTrainSteps } from "./timing.js";

const D_IN = 2;
const D_OUT = 2;
const HIDDEN = 200;
const BATCH = 750;

/** The mlp-step benchmark. */
export const mlpStep: Benchmark = {
  name: "mlp-step",
  description: `ms per Adam step, ${D_IN}→${HIDDEN}→${HIDDEN}→${D_OUT} tanh MLP, MSE, batch ${BATCH}, one jit (vs PyTorch)`,
  async run(opts): Promise<BenchOutcome> {
    const steps = opts.steps ?? 100;
    const warmup = opts.warmup ?? 10;
    const info = await initEngine();
    const net = MLP([D_IN, HIDDEN, HIDDEN, D_OUT], { activation: "tanh" });
    const rng = hostRng(0);
    const x = fromHost(hostNormal(BATCH * D_IN, rng), [BATCH, D_IN], { dtype: "float32" });
    const y = fromHost(hostNormal(BATCH * D_OUT, rng), [BATCH, D_OUT], { dtype: "float32" });

    const { ms, loss: lastLoss } = await timeTrainSteps("mlp-step", {
      lossFn: modelLoss(net, mse),
      optimizer: adam(),
      params: net.init(makeKey(0)),
      x,
      y,
      lr: 1e-3,
      steps,
      warmup,
      onStep: (t, total, loss) => opts.onProgress({ done: t, total, unit: "steps", metrics: { loss } }),
    });

    const notes = [
      `jax-js ${info.device} float32, median of ${steps} steps after ${warmup} warm-up; final loss ${lastLoss.toPrecision(4)}`,
    ];
    const ref = await torchReference("mlp_step.py", opts, { steps, warmup }, "same sizes, Adam");
    const reference = ref.reference;
    notes.push(...ref.notes);
    return { name: "mlp-step", msPerStep: ms, reference, ratio: reference ? ms / reference.msPerStep : null, notes };
  },
};
