/**
 * `gconv-layer`: milliseconds for forward + backward (gradients for the weights and the input)
 * of one p4 group-convolution layer: batch 64, 10×4 → 10×4 channels, 28×28, 3×3, zero "same"
 * padding, float32 on Wasm, one `jit` (noether's tap-matmul formulation with the filter
 * expanded by one gather). Also timed: the equivalent-cost ordinary convolution (P1, 40 → 40
 * channels: the same matmul sizes without the expansion). The PyTorch reference
 * (bench/reference/gconv_layer.py) times the same p4 layer (filter expansion + conv2d) and
 * the same ordinary conv.
 */
import { blockUntilReady, jit, numpy as np, tree, valueAndGrad, type Array as JArray } from "../src/jax.js";
import { initEngine } from "../src/core/engine.js";
import { fromHost } from "../src/core/host.js";
import { hostNormal, hostRng, makeKey } from "../src/core/rng.js";
import { P1, P4, type PlaneGroup } from "../src/groups/plane.js";
import { groupConv } from "../src/layers/gcnn/conv.js";
import type { Benchmark, BenchOutcome } from "../src/cli/bench-types.js";
import { median, torchReference } from "./python.js";

const BATCH = 64;
const SIZE = 28;

/** Median ms of fwd+bwd of a layer over `steps` timed calls after `warmup` (compile included in warm-up). */
async function timeLayer(
  group: PlaneGroup,
  c: number,
  steps: number,
  warmup: number,
  onStep: (i: number) => void,
): Promise<number> {
  const layer = groupConv(group, c, c, { padding: "same" });
  const params = layer.init(makeKey(0));
  const G = group.order;
  const x = fromHost(hostNormal(c * G * BATCH * SIZE * SIZE, hostRng(1)), [c, G, BATCH, SIZE, SIZE], {
    dtype: "float32",
  });
  const f = jit(
    valueAndGrad((p: typeof params, xin: JArray) => np.sum(np.square(layer.apply(p, xin))), { argnums: [0, 1] }),
  );
  const times: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    const out = await blockUntilReady(f(tree.ref(params), x.ref));
    if (i >= warmup) times.push(performance.now() - t0);
    tree.dispose(out);
    onStep(i + 1);
  }
  f.dispose();
  tree.dispose([params, x]);
  return median(times);
}

/** The gconv-layer benchmark. */
export const gconvLayer: Benchmark = {
  name: "gconv-layer",
  description: `ms per forward+backward of a p4 group conv (batch ${BATCH}, 10×4 → 10×4 channels, ${SIZE}×${SIZE}, 3×3), one jit (vs PyTorch); also the equivalent ordinary 40→40 conv`,
  async run(opts): Promise<BenchOutcome> {
    const steps = opts.steps ?? 10;
    const warmup = opts.warmup ?? 2;
    const info = await initEngine();
    const total = 2 * (steps + warmup);
    const p4 = await timeLayer(P4, 10, steps, warmup, (i) => opts.onProgress({ done: i, total, unit: "steps" }));
    const z2 = await timeLayer(P1, 40, steps, warmup, (i) =>
      opts.onProgress({ done: steps + warmup + i, total, unit: "steps" }),
    );
    const notes = [
      `jax-js ${info.device} float32, median of ${steps} after ${warmup} warm-up (tap matmuls, filter expanded by one gather)`,
      `equivalent ordinary conv (P1, 40 → 40 channels, same sizes): ${z2.toFixed(1)} ms; p4 / ordinary = ${(p4 / z2).toFixed(2)}`,
    ];
    const ref = await torchReference("gconv_layer.py", opts, { steps, warmup }, "the same expansion + conv2d");
    const reference = ref.reference;
    notes.push(...ref.notes);
    if (reference !== null && ref.raw !== null) {
      const refConv = Number(ref.raw.msConv);
      notes.push(
        `reference ordinary 40→40 conv ${refConv.toFixed(1)} ms; ratios ours/PyTorch: p4 layer ${(p4 / reference.msPerStep).toFixed(2)}, ordinary conv ${(z2 / refConv).toFixed(2)}`,
      );
    }
    return { name: "gconv-layer", msPerStep: p4, reference, ratio: reference ? p4 / reference.msPerStep : null, notes };
  },
};
