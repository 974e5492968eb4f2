/**
 * `emlp-step`: milliseconds per Adam training step of the O(5)-invariant EMLP (2V → 1,
 * uniformRep(384) hidden, 3 EMLP blocks with bilinear layers, batch 500, float32, Wasm), the
 * whole step in one `jit`, loss read every step. No reference implementation in our ecosystem.
 */
import { tree } from "@jax-js/jax";
import { initEngine } from "../src/core/engine.js";
import { fromHost } from "../src/core/host.js";
import { hostNormal, hostRng, makeKey } from "../src/core/rng.js";
import type { Params } from "../src/core/tree.js";
import { O } from "../src/groups/index.js";
import { EMLP } from "../src/layers/emlp.js";
import { Scalar, V } from "../src/reps/index.js";
import { mse, modelLoss } from "../src/train/losses.js";
import { adam, type OptState } from "../src/train/optim.js";
import { makeTrainStep } from "../src/train/step.js";
import type { Benchmark, BenchOutcome } from "../src/cli/bench-types.js";
import { median } from "./python.js";

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
    const net = EMLP(V(G).times(2), Scalar(G), G, { channels: CHANNELS, layers: 3 });
    const rng = hostRng(0);
    const x = fromHost(hostNormal(BATCH * 10, rng), [BATCH, 10], { dtype: "float32" });
    const y = fromHost(hostNormal(BATCH, rng), [BATCH, 1], { dtype: "float32" });
    const optimizer = adam();
    const step = makeTrainStep(modelLoss(net as never, mse), optimizer);
    let params = net.init(makeKey(0)) as unknown as Params;
    let optState: OptState = optimizer.init(params);
    const times: number[] = [];
    let lastLoss = NaN;
    const total = warmup + steps;
    for (let t = 1; t <= total; t++) {
      const t0 = performance.now();
      const out = step(params, optState, x.ref, y.ref, 3e-3, t);
      lastLoss = (await out.loss.data())[0]!;
      params = out.params;
      optState = out.optState;
      if (t > warmup) times.push(performance.now() - t0);
      opts.onProgress({ done: t, total, unit: "steps", metrics: { loss: lastLoss } });
    }
    tree.dispose([params, optState]);
    x.dispose();
    y.dispose();
    step.dispose();
    if (!Number.isFinite(lastLoss)) throw new Error(`emlp-step: loss became ${lastLoss}`);
    return {
      name: "emlp-step",
      msPerStep: median(times),
      reference: null,
      ratio: null,
      notes: [
        `jax-js ${info.device} float32, median of ${steps} steps after ${warmup} warm-up; hidden ${net.hidden.structure} (size ${net.hidden.size}); final loss ${lastLoss.toPrecision(4)}`,
        "no reference implementation in our ecosystem (EMLP is JAX/objax)",
      ],
    };
  },
};
