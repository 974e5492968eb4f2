/**
 * `emlp-step`: milliseconds per Adam training step of the O(5)-invariant EMLP (2V → 1,
 * uniformRep(384) hidden, 3 EMLP blocks with bilinear layers, batch 500, float32, Wasm), the
 * whole step in one `jit`, loss read every step. No reference implementation in our ecosystem.
 */
import { initEngine } from "../src/core/engine.js";
import { fromHost } from "../src/core/host.js";
import { hostNormal, hostRng, makeKey } from "../src/core/rng.js";
import type { Params } from "../src/core/tree.js";
import { O } from "../src/groups/index.js";
import { EMLP, type LinearParametrization } from "../src/layers/emlp/index.js";
import { Scalar, V } from "../src/reps/index.js";
import { mse, modelLoss } from "../src/train/losses.js";
import { adam } from "../src/train/optim.js";
import type { Benchmark, BenchOutcome } from "../src/cli/bench-types.js";
import { timeTrainSteps } from "./timing.js";

const BATCH = 500;
const CHANNELS = 384;

/** The emlp-step benchmark. */
export const emlpStep: Benchmark = {
  name: "emlp-step",
  description: `ms per Adam step of the O(5) EMLP (2V → 1, uniformRep(${CHANNELS}) × 3 blocks), MSE, batch ${BATCH}, one jit`,
  async run(opts): Promise<BenchOutcome> {
    const steps = opts.steps ?? 10;
    const warmup = opts.warmup ?? 2;
    const info = await initEngine();
    const G = O(5);
    const rng = hostRng(0);
    const x = fromHost(hostNormal(BATCH * 10, rng), [BATCH, 10], { dtype: "float32" });
    const y = fromHost(hostNormal(BATCH, rng), [BATCH, 1], { dtype: "float32" });
    // The default (EMLP's projected weights), then the coefficient parametrization for comparison.
    const time = async (parametrization: LinearParametrization) => {
      const net = EMLP(V(G).times(2), Scalar(G), G, { channels: CHANNELS, layers: 3, parametrization });
      const r = await timeTrainSteps(`emlp-step (${parametrization})`, {
        lossFn: modelLoss(net as never, mse),
        optimizer: adam(),
        params: net.init(makeKey(0)) as unknown as Params,
        x: x.ref,
        y: y.ref,
        lr: 3e-3,
        steps,
        warmup,
        onStep: (t, total, loss) => opts.onProgress({ done: t, total, unit: "steps", metrics: { loss } }),
      });
      return { ...r, net };
    };
    const { ms, loss: lastLoss, net } = await time("projected");
    const basis = await time("basis");
    x.dispose();
    y.dispose();
    return {
      name: "emlp-step",
      msPerStep: ms,
      reference: null,
      ratio: null,
      notes: [
        `jax-js ${info.device} float32, median of ${steps} steps after ${warmup} warm-up; hidden ${net.hidden.structure} (size ${net.hidden.size}); projected weights (default); final loss ${lastLoss.toPrecision(4)}`,
        `the same model with coefficient weights (parametrization "basis"): ${basis.ms.toFixed(1)} ms/step`,
        "no reference implementation in our ecosystem (EMLP is JAX/objax)",
      ],
    };
  },
};
