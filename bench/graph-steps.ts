/**
 * `gn-step` and `egnn-step`: ms per training step of the graph experiments' models at their sizes
 * (float32, Wasm, one jit of loss + gradient + Adam via `makeTreeTrainStep`, the loss read every
 * step), with the PyTorch reference of the same step (bench/reference/gn_step.py,
 * egnn_step.py; index_add_ for the segment sums) and the achieved FLOP rate of the dense layers
 * as a fraction of the engine's best float32 matmul rate measured in the same run.
 *
 * - gn-step: gn-springs' encode–process–decode GN (latent 16, 2×16 ReLU MLPs, one core step) on
 *   50 chains of 8 masses (N 400, E 700), node output 2, MSE.
 * - egnn-step: egnn-nbody's full-size EGNN (velocity variant, hidden 64, 4 layers) on 100 systems
 *   of 5 particles (N 500, E 2000), MSE on positions.
 */
import { jit, numpy as np, tree, type Array as JArray } from "../src/jax.js";
import { initEngine } from "../src/core/engine.js";
import { fromHost } from "../src/core/host.js";
import { hostNormal, hostRng, makeKey } from "../src/core/rng.js";
import {
  chainEdges,
  egnn,
  encodeProcessDecode,
  fullyConnected,
  makeTreeTrainStep,
  simdWidth,
} from "../src/layers/graph/index.js";
import { mse } from "../src/train/losses.js";
import { adam } from "../src/train/optim.js";
import type { Benchmark, BenchOptions, BenchOutcome } from "../src/cli/bench-types.js";
import { median, torchReference } from "./python.js";

/** The engine's best float32 matmul rate (GFLOP/s) over a few square and tall sizes, jitted, median of 5 each. */
function peakMatmulGflops(): { gflops: number; shape: string } {
  let best = { gflops: 0, shape: "" };
  for (const [m, k, n] of [
    [256, 256, 256],
    [512, 512, 512],
    [2000, 64, 64],
  ] as const) {
    const rng = hostRng(1);
    const a = fromHost(hostNormal(m * k, rng), [m, k], { dtype: "float32" });
    const b = fromHost(hostNormal(k * n, rng), [k, n], { dtype: "float32" });
    const f = jit((x: JArray, y: JArray) => np.matmul(x, y));
    const ts: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      (f(a.ref, b.ref) as JArray).dataSync();
      if (i >= 2) ts.push(performance.now() - t0);
    }
    f.dispose();
    a.dispose();
    b.dispose();
    const g = (2 * m * k * n) / (median(ts) * 1e6);
    if (g > best.gflops) best = { gflops: g, shape: `${m}×${k}×${n}` };
  }
  return best;
}

/** Median ms of `steps` steps after `warmup` of a tree train step on a fixed batch. */
async function timeSteps<B extends Record<string, JArray>>(
  name: string,
  lossFn: (p: never, b: B) => JArray,
  params: unknown,
  batch: B,
  opts: BenchOptions,
  steps: number,
  warmup: number,
): Promise<{ ms: number; loss: number }> {
  const opt = adam();
  const step = makeTreeTrainStep<never, B>(lossFn, opt);
  let p = params as never;
  let state = opt.init(p);
  const times: number[] = [];
  let loss = NaN;
  try {
    for (let t = 1; t <= warmup + steps; t++) {
      const t0 = performance.now();
      const out = step(p, state, tree.ref(batch) as B, 1e-3, t);
      p = out.params;
      state = out.optState;
      loss = (await out.loss.data())[0]!;
      if (t > warmup) times.push(performance.now() - t0);
      opts.onProgress({ done: t, total: warmup + steps, unit: "steps", metrics: { loss } });
    }
  } finally {
    tree.dispose([p, state]);
    tree.dispose(batch);
    step.dispose();
  }
  if (!Number.isFinite(loss)) throw new Error(`${name}: loss became ${loss}`);
  return { ms: median(times), loss };
}

/** Dense-layer FLOPs of an MLP on `rows` rows, forward + backward (≈ 3× forward). */
const mlpFlops = (rows: number, sizes: number[]) =>
  3 * sizes.slice(1).reduce((s, out, i) => s + 2 * rows * sizes[i]! * out, 0);

async function finish(
  name: string,
  r: { ms: number; loss: number },
  flops: number,
  what: string,
  script: string,
  opts: BenchOptions,
  steps: number,
  warmup: number,
): Promise<BenchOutcome> {
  const peak = peakMatmulGflops();
  const gflops = flops / (r.ms * 1e6);
  const notes = [
    `jax-js wasm float32, median of ${steps} steps after ${warmup} warm-up; final loss ${r.loss.toPrecision(4)}`,
    `dense layers ${(flops / 1e6).toFixed(1)} MFLOP/step (fwd + bwd) → ${gflops.toFixed(2)} GFLOP/s = ${((100 * gflops) / peak.gflops).toFixed(1)}% of the engine's best matmul rate in this run (${peak.gflops.toFixed(1)} GFLOP/s at ${peak.shape})`,
  ];
  const ref = await torchReference(script, opts, { steps, warmup }, what);
  notes.push(...ref.notes);
  return {
    name,
    msPerStep: r.ms,
    reference: ref.reference,
    ratio: ref.reference ? r.ms / ref.reference.msPerStep : null,
    notes,
  };
}

/** The gn-step benchmark. */
export const gnStep: Benchmark = {
  name: "gn-step",
  description:
    "ms per gn-springs training step: encode–process–decode GN (latent 16, 2×16 ReLU), 50 chains of 8 masses, MSE, Adam, one jit (vs PyTorch)",
  async run(opts) {
    const steps = opts.steps ?? 50;
    const warmup = opts.warmup ?? 5;
    await initEngine();
    const B = 50;
    const n = 8;
    const { senders, receivers } = chainEdges(n);
    const e = senders.length;
    const rng = hostRng(0);
    const i32 = { dtype: "int32" as const };
    const batch = {
      nodes: fromHost(hostNormal(B * n * 3, rng), [B * n, 3], { dtype: "float32" }),
      edges: fromHost(hostNormal(B * e * 5, rng), [B * e, 5], { dtype: "float32" }),
      senders: fromHost(
        Int32Array.from({ length: B * e }, (_, k) => Math.floor(k / e) * n + senders[k % e]!),
        [B * e],
        i32,
      ),
      receivers: fromHost(
        Int32Array.from({ length: B * e }, (_, k) => Math.floor(k / e) * n + receivers[k % e]!),
        [B * e],
        i32,
      ),
      nNode: fromHost(new Array<number>(B).fill(n), [B], i32),
      nEdge: fromHost(new Array<number>(B).fill(e), [B], i32),
      y: fromHost(hostNormal(B * n * 2, rng), [B * n, 2], { dtype: "float32" }),
    };
    const net = encodeProcessDecode({ input: { nodes: 3, edges: 5 }, output: { nodes: 2 } });
    const r = await timeSteps(
      "gn-step",
      (p, b: typeof batch) => {
        const out = net.apply(p, { ...b, globals: null, uniform: { nodes: n, edges: e } });
        for (const a of [out.edges, out.globals, out.senders, out.receivers, out.nNode, out.nEdge]) a?.dispose();
        return mse(out.nodes!, b.y);
      },
      net.init(makeKey(0)),
      batch,
      opts,
      steps,
      warmup,
    );
    const N = B * n;
    const E = B * e;
    const flops =
      mlpFlops(E, [5, 16, 16, 16]) +
      mlpFlops(N, [3, 16, 16, 16]) +
      mlpFlops(E, [96, 16, 16, 16]) +
      mlpFlops(N, [48, 16, 16, 16]) +
      mlpFlops(N, [16, 16, 16, 2]);
    return finish(
      "gn-step",
      r,
      flops,
      "same model and sizes, index_add_ segment sums, MSE, Adam",
      "gn_step.py",
      opts,
      steps,
      warmup,
    );
  },
};

/** The egnn-step benchmark. */
export const egnnStep: Benchmark = {
  name: "egnn-step",
  description:
    "ms per egnn-nbody training step: EGNN (velocity variant, 4 layers of 64), 100 systems of 5 charged particles, MSE, Adam, one jit (vs PyTorch)",
  async run(opts) {
    const steps = opts.steps ?? 10;
    const warmup = opts.warmup ?? 3;
    await initEngine();
    const B = 100;
    const n = 5;
    const H = 64;
    const L = 4;
    const { senders, receivers } = fullyConnected(n);
    const e = senders.length;
    const rng = hostRng(0);
    const N = B * n;
    const E = B * e;
    const f32 = { dtype: "float32" as const };
    const i32 = { dtype: "int32" as const };
    const batch = {
      speed: fromHost(hostNormal(N, rng).map(Math.abs), [N, 1], f32),
      x: fromHost(hostNormal(N * 3, rng), [N, 3], f32),
      v: fromHost(hostNormal(N * 3, rng), [N, 3], f32),
      attr: fromHost(hostNormal(E, rng), [E, 1], f32),
      senders: fromHost(
        Int32Array.from({ length: E }, (_, k) => Math.floor(k / e) * n + senders[k % e]!),
        [E],
        i32,
      ),
      receivers: fromHost(
        Int32Array.from({ length: E }, (_, k) => Math.floor(k / e) * n + receivers[k % e]!),
        [E],
        i32,
      ),
      nNode: fromHost(new Array<number>(B).fill(n), [B], i32),
      nEdge: fromHost(new Array<number>(B).fill(e), [B], i32),
      y: fromHost(hostNormal(N * 3, rng), [N, 3], f32),
    };
    const model = egnn({ inNode: 1, hidden: H, layers: L, edgeAttr: 1, velocity: true });
    const r = await timeSteps(
      "egnn-step",
      (p, b: typeof batch) => {
        const st = model.apply(p, b.speed, b.x, b.v, { ...b, uniform: { nodes: n, edges: e } }, b.attr);
        st.h.dispose();
        st.v?.dispose();
        for (const a of [b.senders, b.receivers, b.nNode, b.nEdge]) a.dispose();
        return mse(st.x, b.y);
      },
      model.init(makeKey(0)),
      batch,
      opts,
      steps,
      warmup,
    );
    const perLayer =
      mlpFlops(E, [simdWidth(2 * H + 2), H, H]) +
      mlpFlops(E, [H, H, 1]) +
      mlpFlops(N, [2 * H, H, H]) +
      mlpFlops(N, [H, H, 1]);
    return finish(
      "egnn-step",
      r,
      L * perLayer + mlpFlops(N, [1, H]),
      "same model and sizes (E_GCL_vel layout), index_add_ segment sums, MSE, Adam",
      "egnn_step.py",
      opts,
      steps,
      warmup,
    );
  },
};
