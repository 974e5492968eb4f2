import { test } from "node:test";
import assert from "node:assert/strict";
import v8 from "node:v8";
import vm from "node:vm";
import { numpy as np, tree } from "@jax-js/jax";
import { initEngine } from "../src/core/engine.js";
import { hostNormal, hostRng, makeKey } from "../src/core/rng.js";
import { MLP } from "../src/nn/layers.js";
import { liveBufferCount } from "../src/testing/leaks.js";
import { adam, cosine, fit } from "../src/train/index.js";

await initEngine();

// A full GC before each memory sample, so JS-heap garbage does not read as growth.
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

test("5,000 Adam steps of a 2→32→32→1 MLP (batch 64) through fit keep memory flat", async () => {
  const n = 64 * 50; // 50 steps per epoch, 100 epochs
  const xs = hostNormal(2 * n, hostRng(0));
  const x = np.array(Float32Array.from(xs), { shape: [n, 2] });
  const y = np.array(Float32Array.from({ length: n }, (_, i) => Math.sin(xs[2 * i]!) * xs[2 * i + 1]!), { shape: [n, 1] });
  const vx = np.array(Float32Array.from(xs.subarray(0, 256)), { shape: [128, 2] });
  const vy = np.array(Float32Array.from({ length: 128 }, (_, i) => Math.sin(xs[2 * i]!) * xs[2 * i + 1]!), { shape: [128, 1] });
  const net = MLP([2, 32, 32, 1], { activation: "tanh" });
  const buffersAtStart = liveBufferCount("wasm");
  const samples: { step: number; buffers: number; rss: number; heap: number; arrayBuffers: number }[] = [];
  const sample = (step: number) => {
    gc();
    const m = process.memoryUsage();
    samples.push({ step, buffers: liveBufferCount("wasm"), rss: m.rss, heap: m.heapUsed, arrayBuffers: m.arrayBuffers });
  };
  const t0 = performance.now();
  const res = await fit({
    model: net,
    params: net.init(makeKey(0)),
    data: { x, y },
    validation: { x: vx, y: vy },
    epochs: 100,
    batchSize: 64,
    optimizer: adam(),
    schedule: cosine({ lr: 3e-3, totalSteps: 5000, warmupSteps: 100 }),
    clipNorm: 10,
    onProgress: (i) => {
      if (!i.epochEnd && (i.step === 500 || i.step === 2500 || i.step === 5000)) sample(i.step);
    },
  });
  const ms = performance.now() - t0;
  assert.equal(res.steps, 5000);
  assert.ok(res.history[99]!.trainLoss < res.history[0]!.trainLoss);
  const [warm, mid, end] = samples as [typeof samples[0], typeof samples[0], typeof samples[0]];
  // Live device buffers are identical at the same point of the loop after 500 and 5,000 steps.
  assert.equal(mid.buffers, warm.buffers, `live buffers ${warm.buffers} at step 500, ${mid.buffers} at step 2500`);
  assert.equal(end.buffers, warm.buffers, `live buffers ${warm.buffers} at step 500, ${end.buffers} at step 5000`);
  // Process memory (Wasm memory shows in rss) grows by at most a small bound.
  const mib = (b: number) => b / 2 ** 20;
  const rssGrowth = mib(end.rss - warm.rss);
  const heapGrowth = mib(end.heap - warm.heap);
  const abGrowth = mib(end.arrayBuffers - warm.arrayBuffers);
  assert.ok(rssGrowth < 64, `rss grew ${rssGrowth.toFixed(1)} MiB over 4,500 steps`);
  assert.ok(heapGrowth < 4, `JS heap (after GC) grew ${heapGrowth.toFixed(1)} MiB over 4,500 steps`);
  assert.ok(abGrowth < 4, `arrayBuffers grew ${abGrowth.toFixed(1)} MiB over 4,500 steps`);
  tree.dispose([res.params, res.optState]);
  // After the run, everything fit created is released (only the data remain).
  assert.equal(liveBufferCount("wasm"), buffersAtStart);
  tree.dispose([x, y, vx, vy]);
  console.log(
    `leak: ${(ms / 5000).toFixed(3)} ms/step; live buffers ${warm.buffers} (step 500) → ${end.buffers} (step 5000); ` +
      `rss ${mib(warm.rss).toFixed(0)} → ${mib(end.rss).toFixed(0)} MiB; heap ${mib(warm.heap).toFixed(1)} → ${mib(end.heap).toFixed(1)} MiB; arrayBuffers ${abGrowth >= 0 ? "+" : ""}${abGrowth.toFixed(2)} MiB`,
  );
});
