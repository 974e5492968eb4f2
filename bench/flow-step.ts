/**
 * `flow-step`: milliseconds per reverse-KL training step of the 2021 tutorial's φ⁴ flow
 * (Albergo et al., 2101.08176) — L = 8, m² = −4, λ = 8, 16 affine couplings with checkerboard
 * masks, periodic conv conditioners 1 → 8 → 8 → 2 (3×3, LeakyReLU, tanh out; no Z2
 * symmetrisation, as the tutorial), batch 64, Adam 1e-3, float32 on Wasm. Loss, gradient and
 * update are one `jit` (`makeTrainStep`); the loss is read every step; the base batch is fixed.
 * Compared with the same stack in PyTorch (bench/reference/flow_step.py, Conv2d with circular
 * padding) run in the same invocation. The notes give the conv FLOPs per step, the rate both
 * reach, and the engine's float32 matmul rate measured in the same run (a 512³ jitted matmul).
 */
import { blockUntilReady, jit, numpy as np, type Array as JArray } from "../src/jax.js";
import { initEngine } from "../src/core/engine.js";
import { fromHost } from "../src/core/host.js";
import { hostNormal, hostRng, makeKey } from "../src/core/rng.js";
import { phi4Action, phi4Flow, reverseKL, standardNormal } from "../src/flows/index.js";
import { adam } from "../src/train/optim.js";
import type { Benchmark, BenchOutcome } from "../src/cli/bench-types.js";
import { median, torchReference } from "./python.js";
import { timeTrainSteps } from "./timing.js";

const L = 8;
const COUPLINGS = 16;
const HIDDEN = [8, 8];
const BATCH = 64;
const KERNEL = 3;

/** Conv FLOPs (multiply-adds × 2) of one forward pass of the coupling stack. */
function forwardFlops(): number {
  const sizes = [1, ...HIDDEN, 2];
  let macs = 0;
  for (let i = 0; i + 1 < sizes.length; i++) macs += sizes[i]! * sizes[i + 1]!;
  return 2 * macs * KERNEL * KERNEL * L * L * BATCH * COUPLINGS;
}

/** Median GFLOP/s of a jitted float32 [n, n] @ [n, n] matmul (the engine's matmul rate here). */
async function matmulRate(n = 512, reps = 7): Promise<number> {
  const rng = hostRng(3);
  const a = fromHost(hostNormal(n * n, rng), [n, n], { dtype: "float32" });
  const b = fromHost(hostNormal(n * n, rng), [n, n], { dtype: "float32" });
  const f = jit((x: JArray, y: JArray) => np.matmul(x, y));
  const times: number[] = [];
  for (let i = 0; i < reps + 1; i++) {
    const t0 = performance.now();
    const out = await blockUntilReady(f(a.ref, b.ref));
    if (i > 0) times.push(performance.now() - t0);
    out.dispose();
  }
  f.dispose();
  a.dispose();
  b.dispose();
  return (2 * n * n * n) / (median(times) * 1e6);
}

/** The flow-step benchmark. */
export const flowStep: Benchmark = {
  name: "flow-step",
  description: `ms per reverse-KL Adam step of the tutorial φ⁴ flow: L = ${L}, ${COUPLINGS} affine couplings, periodic conv nets [${HIDDEN.join(", ")}], batch ${BATCH}, one jit (vs PyTorch)`,
  async run(opts): Promise<BenchOutcome> {
    const steps = opts.steps ?? 10;
    const warmup = opts.warmup ?? 2;
    const info = await initEngine();
    const th = { L, m2: -4, lambda: 8 };
    const flow = phi4Flow({ L, couplings: COUPLINGS, hidden: HIDDEN, kernel: KERNEL, z2: false });
    const base = standardNormal([L, L]);
    const z = fromHost(hostNormal(BATCH * L * L, hostRng(1)), [BATCH, L, L], { dtype: "float32" });
    const r = await timeTrainSteps("flow-step", {
      lossFn: (p, zb, dummy) => {
        dummy.dispose();
        return reverseKL(flow, base, (x) => phi4Action(th, x), p, zb);
      },
      optimizer: adam(),
      params: flow.init(makeKey(0)),
      x: z,
      y: fromHost([0], [1], { dtype: "float32" }),
      lr: 1e-3,
      steps,
      warmup,
      onStep: (t, total, loss) => opts.onProgress({ done: t, total, unit: "steps", metrics: { loss } }),
    });
    const gemm = await matmulRate();
    const fwd = forwardFlops();
    const stepFlops = 3 * fwd; // backward ≈ 2 × forward (input and weight gradients)
    const rate = (ms: number) => stepFlops / (ms * 1e6);
    const notes = [
      `jax-js ${info.device} float32, median of ${steps} steps after ${warmup} warm-up (the full tutorial stack); final loss ${r.loss.toPrecision(4)}`,
      `conv FLOPs: ${(fwd / 1e6).toFixed(1)} M forward, ≈ ${(stepFlops / 1e6).toFixed(0)} M per step (×3 for backward): ${rate(r.ms).toFixed(2)} GFLOP/s, ${((100 * rate(r.ms)) / gemm).toFixed(1)}% of the engine's 512³ float32 matmul rate measured now (${gemm.toFixed(1)} GFLOP/s); the step's matmuls are [8, 8]·[8, ${BATCH * L * L}]-sized, far from that shape`,
    ];
    const ref = await torchReference(
      "flow_step.py",
      opts,
      { steps, warmup },
      "the same 16-coupling conv stack (Conv2d, circular padding), reverse KL, Adam",
    );
    const reference = ref.reference;
    notes.push(...ref.notes);
    if (reference !== null)
      notes.push(`reference rate ≈ ${rate(reference.msPerStep).toFixed(2)} GFLOP/s on the same count`);
    return {
      name: "flow-step",
      msPerStep: r.ms,
      reference,
      ratio: reference ? r.ms / reference.msPerStep : null,
      notes,
    };
  },
};
