/**
 * `lieconv-step`: milliseconds per training step of the SO(2) LieConv classifier of
 * `lieconv-rotmnist --quick` (`lieConvNet(lieSO2())`: 2 residual layers of 16 channels,
 * neighbourhoods of 12 of the 24 points, kernel MLP 3→16→16→8 swish, mean pooling, 10 classes),
 * batch 20, softmax cross-entropy, Adam, float32, Wasm, the whole step in one `jit`
 * (`makeTrainStep`). Compared with the same model in PyTorch (bench/reference/lieconv_step.py) in
 * the same invocation, and the FLOP rate of its matmul-shaped work against the engine's 512³
 * float32 matmul rate measured in the same run.
 */
import { jit, numpy as np, type Array as JArray } from "../src/jax.js";
import { initEngine } from "../src/core/engine.js";
import { fromHost } from "../src/core/host.js";
import { hostNormal, hostRng, makeKey } from "../src/core/rng.js";
import { lieConvNet, lieSO2, type LieConvNetParams } from "../src/layers/lieconv/index.js";
import { softmaxCrossEntropy, type LossFn } from "../src/train/losses.js";
import { adam } from "../src/train/optim.js";
import type { Benchmark, BenchOutcome } from "../src/cli/bench-types.js";
import { median, torchReference } from "./python.js";
import { timeTrainSteps } from "./timing.js";

const BATCH = 20;
const POINTS = 24;
const CH = 16;
const LAYERS = 2;
const K = 12;
const KH = 16;
const MID = 8;

/** Median GFLOP/s of a jitted float32 [n, n] @ [n, n] matmul (the engine's matmul rate here). */
async function matmulRate(n = 512, reps = 7): Promise<number> {
  const rng = hostRng(1);
  const a = fromHost(hostNormal(n * n, rng), [n, n], { dtype: "float32" });
  const b = fromHost(hostNormal(n * n, rng), [n, n], { dtype: "float32" });
  const f = jit((x: JArray, y: JArray) => np.matmul(x, y));
  const times: number[] = [];
  for (let r = 0; r < reps + 1; r++) {
    const t0 = performance.now();
    await f(a.ref, b.ref).data();
    if (r > 0) times.push(performance.now() - t0);
  }
  a.dispose();
  b.dispose();
  f.dispose();
  return (2 * n ** 3) / (median(times) * 1e6);
}

/** Forward multiply-adds ×2 of the step's dense work: kernel MLP on B·N·K pairs, k⊗v aggregation, output maps, embedding, head. */
function forwardFlops(): number {
  const pairs = BATCH * POINTS * K;
  const kernel = pairs * (3 * KH + KH * KH + KH * MID);
  const agg = pairs * MID * CH;
  const lin = BATCH * POINTS * MID * CH * CH;
  return 2 * (LAYERS * (kernel + agg + lin) + BATCH * POINTS * CH + BATCH * CH * 10);
}

/** The lieconv-step benchmark. */
export const lieconvStep: Benchmark = {
  name: "lieconv-step",
  description: `ms per Adam step of the SO(2) LieConv classifier of lieconv-rotmnist --quick (${LAYERS}×${CH} channels, K = ${K} of ${POINTS} points, batch ${BATCH}), one jit (vs PyTorch)`,
  async run(opts): Promise<BenchOutcome> {
    const steps = opts.steps ?? 30;
    const warmup = opts.warmup ?? 3;
    const info = await initEngine();
    const net = lieConvNet(lieSO2(), {
      inChannels: 1,
      outSize: 10,
      channels: CH,
      layers: LAYERS,
      nbhd: K,
      kernelHidden: KH,
      mid: MID,
    });
    const rng = hostRng(0);
    const pts = hostNormal(BATCH * POINTS * 2, rng).map((v) => 0.5 * v);
    const packed = new Float32Array(BATCH * POINTS * 3);
    for (let i = 0; i < BATCH * POINTS; i++) {
      packed[3 * i] = pts[2 * i]!;
      packed[3 * i + 1] = pts[2 * i + 1]!;
      packed[3 * i + 2] = rng();
    }
    const labels = new Float32Array(BATCH * 10);
    for (let b = 0; b < BATCH; b++) labels[b * 10 + Math.floor(rng() * 10)] = 1;
    const lossFn: LossFn<LieConvNetParams> = (p, x, y) => softmaxCrossEntropy(net.apply(p, x), y);
    const r = await timeTrainSteps("lieconv-step", {
      lossFn,
      optimizer: adam(),
      params: net.init(makeKey(0)),
      x: fromHost(packed, [BATCH, POINTS, 3], { dtype: "float32" }),
      y: fromHost(labels, [BATCH, 10], { dtype: "float32" }),
      lr: 1e-3,
      steps,
      warmup,
      onStep: (t, total, loss) => opts.onProgress({ done: t, total, unit: "steps", metrics: { loss } }),
    });
    const gemm = await matmulRate();
    const stepFlops = 3 * forwardFlops();
    const rate = (ms: number) => stepFlops / (ms * 1e6);
    const notes = [
      `jax-js ${info.device} float32, median of ${steps} steps after ${warmup} warm-up; final loss ${r.loss.toPrecision(4)}`,
      `dense FLOPs ≈ ${(stepFlops / 1e6).toFixed(1)} M per step (forward ×3): ${rate(r.ms).toFixed(2)} GFLOP/s, ${((100 * rate(r.ms)) / gemm).toFixed(1)}% of the engine's 512³ float32 matmul rate measured now (${gemm.toFixed(1)} GFLOP/s); the lift, top-K and gathers are not counted`,
    ];
    const ref = await torchReference(
      "lieconv_step.py",
      opts,
      { steps, warmup },
      "same model and sizes (atan2 lift, topk neighbourhoods, gather, bmm), cross-entropy, Adam",
    );
    const reference = ref.reference;
    notes.push(...ref.notes);
    if (reference) notes.push(`reference rate ≈ ${rate(reference.msPerStep).toFixed(2)} GFLOP/s on the same count`);
    return {
      name: "lieconv-step",
      msPerStep: r.ms,
      reference,
      ratio: reference ? r.ms / reference.msPerStep : null,
      notes,
    };
  },
};
