import { test } from "node:test";
import assert from "node:assert/strict";
import v8 from "node:v8";
import vm from "node:vm";
import { numpy as np, tree } from "../src/jax.js";
import { initEngine } from "../src/core/engine.js";
import { hostNormal, hostRng, makeKey } from "../src/core/rng.js";
import { MLP } from "../src/nn/layers.js";
import { deviceMemory, liveBufferCount } from "../src/testing/leaks.js";
import { adam, cosine, fit } from "../src/train/index.js";

await initEngine();

// A full GC before each memory sample, so JS-heap garbage does not read as growth.
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

test("5,000 Adam steps of a 2→32→32→1 MLP (batch 64) through fit keep memory flat", async () => {
  const n = 64 * 50; // 50 steps per epoch, 100 epochs
  const xs = hostNormal(2 * n, hostRng(0));
  const x = np.array(Float32Array.from(xs), { shape: [n, 2] });
  const y = np.array(
    Float32Array.from({ length: n }, (_, i) => Math.sin(xs[2 * i]!) * xs[2 * i + 1]!),
    { shape: [n, 1] },
  );
  const vx = np.array(Float32Array.from(xs.subarray(0, 256)), { shape: [128, 2] });
  const vy = np.array(
    Float32Array.from({ length: 128 }, (_, i) => Math.sin(xs[2 * i]!) * xs[2 * i + 1]!),
    { shape: [128, 1] },
  );
  const net = MLP([2, 32, 32, 1], { activation: "tanh" });
  const buffersAtStart = liveBufferCount("wasm");
  const samples: {
    step: number;
    buffers: number;
    wasmLive: number;
    wasmReserved: number;
    rss: number;
    heap: number;
    arrayBuffers: number;
  }[] = [];
  const sample = (step: number) => {
    gc();
    const m = process.memoryUsage();
    const w = deviceMemory("wasm");
    samples.push({
      step,
      buffers: liveBufferCount("wasm"),
      wasmLive: w.live,
      wasmReserved: w.reserved,
      rss: m.rss,
      heap: m.heapUsed,
      arrayBuffers: m.arrayBuffers,
    });
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
      // Six samples in a window after warm-up, one mid-run, six at the end.
      if (!i.epochEnd && i.step % 100 === 0 && (i.step <= 1000 ? i.step >= 500 : i.step >= 4500 || i.step === 2500))
        sample(i.step);
    },
  });
  const ms = performance.now() - t0;
  assert.equal(res.steps, 5000);
  assert.ok(res.history[99]!.trainLoss < res.history[0]!.trainLoss);
  assert.equal(samples.length, 13);
  const warmWindow = samples.slice(0, 6);
  const endWindow = samples.slice(7);
  const warm = samples[0]!;
  const end = samples[12]!;
  // Live device buffers, the bytes they hold, and the Wasm linear memory (which never shrinks:
  // any growth would stay) are identical at the same point of the loop from step 500 to 5,000.
  for (const s of samples.slice(1)) {
    assert.equal(s.buffers, warm.buffers, `live buffers ${warm.buffers} at step 500, ${s.buffers} at step ${s.step}`);
    assert.equal(
      s.wasmLive,
      warm.wasmLive,
      `live wasm bytes ${warm.wasmLive} at step 500, ${s.wasmLive} at step ${s.step}`,
    );
    assert.equal(
      s.wasmReserved,
      warm.wasmReserved,
      `wasm linear memory ${warm.wasmReserved} B at step 500, ${s.wasmReserved} B at step ${s.step}`,
    );
  }
  // The JS heap after a full GC, and the ArrayBuffers outside it, grow by at most a small bound:
  // the least of six samples in each window, so that what one sample happens to hold does not
  // count (a leak of 1 KiB a step is 4.4 MiB here). rss is printed, not asserted: V8 keeps
  // 40–60 MiB of heap committed beyond what it uses and returns it when it likes, so the rss
  // of a flat 20,000-step run moves by ±30 MiB on a quiet machine, and 111 MiB of growth was
  // seen under CI's load with the buffers, the Wasm memory and the heap flat.
  const mib = (b: number) => b / 2 ** 20;
  const least = (w: typeof samples, k: "heap" | "arrayBuffers") => Math.min(...w.map((s) => s[k]));
  const heapGrowth = mib(least(endWindow, "heap") - least(warmWindow, "heap"));
  const abGrowth = mib(least(endWindow, "arrayBuffers") - least(warmWindow, "arrayBuffers"));
  assert.ok(heapGrowth < 4, `JS heap (after GC) grew ${heapGrowth.toFixed(1)} MiB over 4,500 steps`);
  assert.ok(abGrowth < 4, `arrayBuffers grew ${abGrowth.toFixed(1)} MiB over 4,500 steps`);
  tree.dispose([res.params, res.optState]);
  // After the run, everything fit created is released (only the data remain).
  assert.equal(liveBufferCount("wasm"), buffersAtStart);
  tree.dispose([x, y, vx, vy]);
  console.log(
    `leak: ${(ms / 5000).toFixed(3)} ms/step; live buffers ${warm.buffers} (step 500) → ${end.buffers} (step 5000); ` +
      `wasm memory ${(warm.wasmReserved / 1024).toFixed(0)} → ${(end.wasmReserved / 1024).toFixed(0)} KiB; rss ${mib(warm.rss).toFixed(0)} → ${mib(end.rss).toFixed(0)} MiB; heap (least of 6) ${mib(least(warmWindow, "heap")).toFixed(1)} → ${mib(least(endWindow, "heap")).toFixed(1)} MiB; arrayBuffers ${abGrowth >= 0 ? "+" : ""}${abGrowth.toFixed(2)} MiB`,
  );
});
