import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { numpy as np, tree, type Array as JArray } from "../src/jax.js";
import { initEngine } from "../src/core/engine.js";
import { NonFiniteError } from "../src/core/errors.js";
import { hostRng, makeKey } from "../src/core/rng.js";
import type { Params } from "../src/core/tree.js";
import { MLP } from "../src/nn/layers.js";
import { loadCheckpoint, saveCheckpoint } from "../src/node/checkpoint-file.js";
import { epochOrder } from "../src/train/fit.js";
import {
  adam,
  fit,
  makeTrainStep,
  modelLoss,
  mse,
  oneCycle,
  sgd,
  TrainingNonFiniteError,
  type ProgressInfo,
  type TrainStepOutput,
} from "../src/train/index.js";

await initEngine();

const net = MLP([2, 16, 1], { activation: "tanh" });

/** y = sin(x0) + 0.5·x1 on x ∈ [-2, 2]², as host arrays. */
function hostData(n: number, seed: number): { x: number[]; y: number[] } {
  const r = hostRng(seed);
  const x = Array.from({ length: 2 * n }, () => 4 * r() - 2);
  const y = Array.from({ length: n }, (_, i) => Math.sin(x[2 * i]!) + 0.5 * x[2 * i + 1]!);
  return { x, y };
}

function data(n: number, seed: number, sign = 1): { x: JArray; y: JArray } {
  const d = hostData(n, seed);
  return {
    x: np.array(d.x, { shape: [n, 2] }),
    y: np.array(
      d.y.map((v) => sign * v),
      { shape: [n, 1] },
    ),
  };
}

function leaves(p: Params): number[] {
  return (tree.leaves(p) as JArray[]).flatMap((a) => Array.from(a.ref.dataSync()));
}

test("fit reduces the loss on a small regression and reports a sane result", async () => {
  const train = data(256, 1);
  const val = data(64, 2);
  const res = await fit({
    model: net,
    params: net.init(makeKey(0)),
    data: train,
    validation: val,
    epochs: 10,
    batchSize: 32,
    optimizer: adam(),
    schedule: 1e-2,
    seed: 3,
    metrics: { mae: (p, x, y) => np.mean(np.absolute(net.apply(p, x).sub(y))) },
  });
  assert.equal(res.stopReason, "completed");
  assert.equal(res.stoppedEarly, false);
  assert.equal(res.steps, 80);
  assert.equal(res.epochs, 10);
  assert.equal(res.history.length, 10);
  const [first, last] = [res.history[0]!, res.history[9]!];
  assert.ok(last.trainLoss < 0.25 * first.trainLoss, `train loss ${first.trainLoss} → ${last.trainLoss}`);
  assert.ok(last.valLoss! < 0.25 * first.valLoss!, `val loss ${first.valLoss} → ${last.valLoss}`);
  assert.ok(last.metrics!.mae! > 0 && last.metrics!.mae! < 1);
  tree.dispose([res.params, res.optState, train, val]);
});

test("seeded shuffling is deterministic per (seed, epoch) and runs repeat exactly", async () => {
  const a = epochOrder(100, 7, 3);
  assert.deepEqual(a, epochOrder(100, 7, 3));
  assert.notDeepEqual(a, epochOrder(100, 7, 4));
  assert.notDeepEqual(a, epochOrder(100, 8, 3));
  assert.deepEqual(
    [...a].sort((p, q) => p - q),
    Array.from({ length: 100 }, (_, i) => i),
  );
  assert.deepEqual(epochOrder(5, 7, 3, false), Int32Array.from([0, 1, 2, 3, 4]));
  const train = data(96, 1);
  const run = async (seed: number) => {
    const r = await fit({
      model: net,
      params: net.init(makeKey(0)),
      data: train,
      epochs: 3,
      batchSize: 32,
      optimizer: adam(),
      schedule: 1e-2,
      seed,
    });
    tree.dispose([r.params, r.optState]);
    return r.history.map((h) => h.trainLoss);
  };
  const [r1, r2, r3] = [await run(5), await run(5), await run(6)];
  assert.deepEqual(r1, r2);
  assert.notDeepEqual(r1, r3);
  tree.dispose(train);
});

test("early stopping triggers and restores the best epoch's parameters", async () => {
  // Validation targets are the negated training targets: fitting the training data makes the
  // validation loss worse, so the best epoch is an early one and patience runs out.
  const train = data(128, 1);
  const val = data(64, 2, -1);
  const res = await fit({
    model: net,
    params: net.init(makeKey(1)),
    data: train,
    validation: val,
    epochs: 30,
    batchSize: 32,
    optimizer: adam(),
    schedule: 1e-2,
    earlyStopping: { patience: 3, minDelta: 0 },
  });
  assert.equal(res.stopReason, "early-stopping");
  assert.ok(res.stoppedEarly);
  assert.ok(res.bestEpoch !== undefined);
  assert.equal(res.history.length, res.bestEpoch! + 3);
  const bestVal = Math.min(...res.history.map((h) => h.valLoss!));
  assert.equal(res.history[res.bestEpoch! - 1]!.valLoss, bestVal);
  assert.equal(res.steps, res.bestEpoch! * 4);
  const valNow = modelLoss(net, mse)(tree.ref(res.params) as never, val.x.ref, val.y.ref).item();
  assert.ok(Math.abs(valNow - bestVal) < 1e-6, `restored params give ${valNow}, best was ${bestVal}`);
  assert.match(res.message, /restored the parameters of epoch/);
  tree.dispose([res.params, res.optState, train, val]);
});

test("a NaN in the data is blamed on the data before training: the set, row and column", async () => {
  const d = hostData(8, 1);
  d.x[2 * 5 + 1] = NaN;
  const x = np.array(d.x, { shape: [8, 2] });
  const y = np.array(d.y, { shape: [8, 1] });
  const base = { model: net, epochs: 1, batchSize: 4, optimizer: sgd(), schedule: 0.05 };
  await assert.rejects(
    fit({ ...base, params: net.init(makeKey(2)), data: { x: x.ref, y: y.ref } }),
    (e: unknown) =>
      e instanceof NonFiniteError &&
      /fit: data x holds NaN at row 5, column 1 \(of \[8, 2\]\)/.test((e as Error).message),
  );
  const clean = hostData(8, 1);
  clean.y[3] = Number.POSITIVE_INFINITY;
  const yv = np.array(clean.y, { shape: [8, 1] });
  await assert.rejects(
    fit({
      ...base,
      params: net.init(makeKey(2)),
      data: {
        x: np.array(clean.x, { shape: [8, 2] }),
        y: np.array(
          clean.y.map((v) => (Number.isFinite(v) ? v : 0)),
          { shape: [8, 1] },
        ),
      },
      validation: { x: x.ref, y: yv },
    }),
    (e: unknown) =>
      e instanceof NonFiniteError && /fit: validation x holds NaN at row 5, column 1/.test((e as Error).message),
  );
  x.dispose();
  y.dispose();
});

test("a loss that overflows stops at the known step and returns the last good parameters", async () => {
  const d = hostData(128, 1);
  d.y[100] = 1e30; // (f − 1e30)² overflows float32: row 100 → batch 4 (rows 96–127) without shuffling → step 4
  const train = { x: np.array(d.x, { shape: [128, 2] }), y: np.array(d.y, { shape: [128, 1] }) };
  const p0 = net.init(makeKey(2));
  const res = await fit({
    model: net,
    params: tree.ref(p0),
    data: train,
    epochs: 2,
    batchSize: 32,
    shuffle: false,
    optimizer: sgd({ momentum: 0.9 }),
    schedule: 0.05,
  });
  assert.equal(res.stopReason, "non-finite");
  assert.deepEqual(res.nonFinite && { step: res.nonFinite.step, epoch: res.nonFinite.epoch }, { step: 4, epoch: 1 });
  assert.ok(!Number.isFinite(res.nonFinite!.loss));
  assert.match(res.message, /non-finite loss \(Infinity\) at step 4 \(epoch 1\)/);
  assert.equal(res.steps, 2, "the loss of step 3 was finite at the params after 2 updates");
  // Reference: two steps by hand on the same (clean) first two batches.
  const opt = sgd({ momentum: 0.9 });
  const step = makeTrainStep(modelLoss(net, mse), opt);
  let p: Params = p0;
  let s = opt.init(p);
  for (let k = 0; k < 2; k++) {
    const out: TrainStepOutput = step(
      p,
      s,
      train.x.ref.slice([32 * k, 32 * k + 32]),
      train.y.ref.slice([32 * k, 32 * k + 32]),
      0.05,
      k + 1,
    );
    out.loss.dispose();
    [p, s] = [out.params, out.optState];
  }
  assert.deepEqual(leaves(res.params), leaves(p));
  assert.ok(leaves(res.params).every(Number.isFinite));
  step.dispose();
  tree.dispose([res.params, res.optState, p, s, train]);
});

test("a diverging run (huge lr) stops with a non-finite outcome and finite params; throw mode carries them", async () => {
  const train = data(128, 1);
  const res = await fit({
    model: net,
    params: net.init(makeKey(3)),
    data: train,
    epochs: 20,
    batchSize: 16,
    optimizer: sgd(),
    schedule: 1e4,
  });
  assert.equal(res.stopReason, "non-finite");
  assert.ok(res.nonFinite!.step > 1);
  assert.match(res.message, new RegExp(`at step ${res.nonFinite!.step} `));
  assert.ok(leaves(res.params).every(Number.isFinite));
  assert.equal(res.steps, res.nonFinite!.step - 2);
  tree.dispose([res.params, res.optState]);

  await assert.rejects(
    fit({
      model: net,
      params: net.init(makeKey(3)),
      data: train,
      epochs: 20,
      batchSize: 16,
      optimizer: sgd(),
      schedule: 1e4,
      onNonFinite: "throw",
    }),
    (e: unknown) => {
      assert.ok(e instanceof TrainingNonFiniteError && e instanceof NonFiniteError);
      assert.equal(e.step, res.nonFinite!.step);
      assert.ok(leaves(e.lastGoodParams).every(Number.isFinite));
      tree.dispose([e.lastGoodParams, e.lastGoodOptState]);
      return true;
    },
  );
  tree.dispose(train);
});

test("onProgress is called after every step and at each epoch end with sane fields", async () => {
  const train = data(100, 1);
  const val = data(20, 2);
  const calls: ProgressInfo[] = [];
  const res = await fit({
    model: net,
    params: net.init(makeKey(0)),
    data: train,
    validation: val,
    epochs: 3,
    batchSize: 32,
    optimizer: adam(),
    schedule: oneCycle({ maxLr: 1e-2, totalSteps: 12 }),
    onProgress: (i) => calls.push(i),
  });
  assert.equal(calls.length, 12 + 3); // 4 steps per epoch (last batch partial) + 3 epoch ends
  const steps = calls.filter((c) => !c.epochEnd);
  assert.deepEqual(
    steps.map((c) => c.step),
    Array.from({ length: 12 }, (_, i) => i + 1),
  );
  for (const c of calls) {
    assert.equal(c.epochs, 3);
    assert.equal(c.totalSteps, 12);
    assert.equal(c.stepsPerEpoch, 4);
    assert.ok(c.epoch >= 1 && c.epoch <= 3);
    assert.ok(Number.isFinite(c.trainLoss) && c.trainLoss > 0);
    assert.ok(c.lr > 0 && c.lr <= 1e-2);
    assert.ok(c.elapsedMs >= 0);
  }
  for (let i = 1; i < calls.length; i++) assert.ok(calls[i]!.elapsedMs >= calls[i - 1]!.elapsedMs);
  const ends = calls.filter((c) => c.epochEnd);
  assert.deepEqual(
    ends.map((c) => c.epoch),
    [1, 2, 3],
  );
  ends.forEach((c, i) => assert.equal(c.valLoss, res.history[i]!.valLoss));
  assert.equal(calls[0]!.valLoss, undefined);
  assert.equal(calls[5]!.valLoss, res.history[0]!.valLoss);
  tree.dispose([res.params, res.optState, train, val]);
});

test("resuming from a checkpoint file written mid-run reproduces the uninterrupted loss curve", async () => {
  const dir = mkdtempSync(join(tmpdir(), "noether-fit-"));
  try {
    const file = join(dir, "ckpt.safetensors");
    const train = data(200, 1);
    const val = data(50, 2);
    const base = {
      model: net,
      data: train,
      validation: val,
      epochs: 6,
      batchSize: 32,
      optimizer: adam({ weightDecay: 1e-3 }),
      schedule: oneCycle({ maxLr: 2e-2, totalSteps: 42 }),
      seed: 11,
      clipNorm: 1,
    };
    const full = await fit({
      ...base,
      params: net.init(makeKey(4)),
      checkpoint: { save: (s) => (s.meta.epoch === 3 ? saveCheckpoint(file, s) : undefined) },
    });
    assert.equal(full.history.length, 6);
    const template = net.init(makeKey(0));
    const optTemplate = base.optimizer.init(template);
    const state = await loadCheckpoint(file, { params: template, optState: optTemplate });
    tree.dispose([template, optTemplate]);
    assert.equal(state.meta.epoch, 3);
    assert.equal(state.meta.step, 21);
    assert.equal(state.meta.seed, 11);
    const resumed = await fit({ ...base, resume: state });
    assert.deepEqual(
      resumed.history.map((h) => [h.epoch, h.trainLoss, h.valLoss]),
      full.history.map((h) => [h.epoch, h.trainLoss, h.valLoss]),
    );
    assert.equal(resumed.steps, full.steps);
    assert.deepEqual(leaves(resumed.params), leaves(full.params));
    assert.deepEqual(leaves(resumed.optState), leaves(full.optState));
    tree.dispose([full.params, full.optState, resumed.params, resumed.optState, train, val]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
