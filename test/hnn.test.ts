import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tree, type Array as JArray } from "../src/jax.js";
import { initEngine } from "../src/core/engine.js";
import { ConfigError, NonFiniteError } from "../src/core/errors.js";
import { fromHost, toFloat64 } from "../src/core/host.js";
import { makeKey } from "../src/core/rng.js";
import { springDataset, toArrays } from "../src/data/trajectories.js";
import { runHnn } from "../src/experiments/hnn.js";
import type { ExperimentOptions } from "../src/experiments/types.js";
import { MLP, type MLPParams } from "../src/nn/layers.js";
import { hamiltonianFieldMLP } from "../src/physics/fields.js";
import { bindField, energyOf, rollout } from "../src/physics/rollout.js";
import { massSpring } from "../src/physics/systems.js";
import { mse, modelLoss, type LossFn } from "../src/train/losses.js";
import { adam } from "../src/train/optim.js";
import { makeTrainStep } from "../src/train/step.js";

await initEngine();

const quietOpts = (outDir: string): ExperimentOptions => ({
  quick: true,
  seed: 0,
  outDir,
  onProgress: () => {},
  log: () => {},
  params: {},
});

test("rollout: rk4 and dopri5 follow the exact spring solution; energyOf is H", () => {
  const sys = massSpring(); // ω = 2
  const x0 = [1, 0, 0.3, -0.4];
  for (const method of ["rk4", "dopri5"] as const) {
    const xs = rollout((x) => sys.field(x), fromHost(x0, [2, 2], { dtype: "float64" }), {
      dt: 0.1,
      steps: 20,
      method,
      substeps: 2,
      rtol: 1e-10,
      atol: 1e-10,
    }).states;
    assert.equal(xs.length, 2 * 21 * 2);
    for (let b = 0; b < 2; b++) {
      const q0 = x0[2 * b]!,
        p0 = x0[2 * b + 1]!;
      for (let k = 0; k <= 20; k++) {
        const t = 0.1 * k;
        // H = q² + p² (k = 2, m = 1/2): q' = 2p, p' = −2q.
        const q = q0 * Math.cos(2 * t) + p0 * Math.sin(2 * t);
        const p = p0 * Math.cos(2 * t) - q0 * Math.sin(2 * t);
        assert.ok(Math.abs(xs[(b * 21 + k) * 2]! - q) < 1e-5, `${method} q at b=${b} k=${k}`);
        assert.ok(Math.abs(xs[(b * 21 + k) * 2 + 1]! - p) < 1e-5, `${method} p at b=${b} k=${k}`);
      }
    }
    const e = energyOf(sys, xs, 2, 21);
    assert.ok(Math.abs(e[20]! - 1) < 1e-6 && Math.abs(e[21]! - 0.25) < 1e-6);
  }
});

test("rollout: a diverging field throws NonFiniteError naming the step; bad options throw ConfigError", () => {
  assert.throws(
    () =>
      rollout((x) => x.mul(50), fromHost([1, 1], [1, 2], { dtype: "float32" }), { dt: 1, steps: 100, method: "rk4" }),
    (e: unknown) =>
      e instanceof NonFiniteError && /non-finite state at step \d+/.test(e.message) && /trajectory 0/.test(e.message),
  );
  assert.throws(
    () => rollout((x) => x, fromHost([1, 1], [1, 2], { dtype: "float32" }), { dt: 0, steps: 3, method: "rk4" }),
    ConfigError,
  );
  assert.throws(
    () => rollout((x) => x, fromHost([1, 1], [1, 2], { dtype: "float32" }), { dt: 0.1, steps: 1.5, method: "rk4" }),
    ConfigError,
  );
});

test("HNN on spring data: a short training run lowers the loss and the HNN conserves its own H along its rollout", () => {
  const data = springDataset({ seed: 1, trajectories: 20 });
  const { x, dx } = toArrays(data.train, { dtype: "float32" });
  const net = MLP([2, 64, 64, 1], { activation: "tanh", init: "orthogonal" });
  const field = hamiltonianFieldMLP("tanh");
  const lossFn: LossFn<MLPParams> = (p, xb, yb) => mse(field(p, xb), yb);
  const opt = adam();
  const step = makeTrainStep(lossFn, opt);
  let params = net.init(makeKey(3)) as MLPParams;
  let state = opt.init(params);
  const losses: number[] = [];
  for (let t = 1; t <= 150; t++) {
    const out = step(params, state, x.ref, dx.ref, 3e-3, t);
    losses.push(out.loss.item() as number);
    params = out.params as MLPParams;
    state = out.optState;
  }
  step.dispose();
  tree.dispose([state, x, dx]);
  assert.ok(losses.every(Number.isFinite));
  assert.ok(losses.at(-1)! < 0.3 * losses[0]!, `loss ${losses[0]} → ${losses.at(-1)}`);

  // Roll out the learned field and evaluate the learned H along it: its drift must be tiny
  // compared with how much H varies over phase space (a non-Hamiltonian field fails this).
  const x0 = [0.8, 0, 0, -0.5, 0.3, 0.3];
  const bf = bindField(field, tree.ref(params), { jit: true });
  const xs = rollout(bf.field, fromHost(x0, [3, 2], { dtype: "float32" }), {
    dt: 0.1,
    steps: 60,
    method: "rk4",
    substeps: 2,
  }).states;
  bf.dispose();
  const Hvals = toFloat64(net.apply(params, fromHost(xs, [3 * 61, 2], { dtype: "float32" }))) as Float64Array;
  let drift = 0;
  for (let b = 0; b < 3; b++)
    for (let k = 0; k < 61; k++) drift = Math.max(drift, Math.abs(Hvals[b * 61 + k]! - Hvals[b * 61]!));
  const spread = Math.max(...Hvals) - Math.min(...Hvals);
  assert.ok(spread > 0.05, `learned H should vary across states (spread ${spread})`);
  assert.ok(drift < 1e-2 * spread, `learned H drifts by ${drift} along its own rollout (spread ${spread})`);

  // The same check on a baseline MLP's rollout with the *true* energy: the drift must be larger.
  const base = MLP([2, 64, 64, 2], { activation: "tanh", init: "orthogonal" });
  const d2 = springDataset({ seed: 1, trajectories: 20 });
  const a = toArrays(d2.train, { dtype: "float32" });
  const bStep = makeTrainStep(modelLoss(base, mse) as LossFn<MLPParams>, opt);
  let bp = base.init(makeKey(4)) as MLPParams;
  let bs = opt.init(bp);
  for (let t = 1; t <= 150; t++) {
    const out = bStep(bp, bs, a.x.ref, a.dx.ref, 3e-3, t);
    out.loss.item();
    bp = out.params as MLPParams;
    bs = out.optState;
  }
  bStep.dispose();
  tree.dispose([bs, a.x, a.dx]);
  const bb = bindField((p: MLPParams, xx: JArray) => base.apply(p, xx), bp, { jit: true });
  const bx = rollout(bb.field, fromHost(x0, [3, 2], { dtype: "float32" }), {
    dt: 0.1,
    steps: 60,
    method: "rk4",
    substeps: 2,
  }).states;
  bb.dispose();
  const sys = massSpring();
  const relDrift = (states: Float64Array) => {
    const e = energyOf(sys, states, 3, 61);
    let m = 0;
    for (let b = 0; b < 3; b++)
      for (let k = 0; k < 61; k++) m = Math.max(m, Math.abs(e[b * 61 + k]! - e[b * 61]!) / e[b * 61]!);
    return m;
  };
  assert.ok(relDrift(xs) < relDrift(bx), `true-energy drift: HNN ${relDrift(xs)} vs baseline ${relDrift(bx)}`);
});

test("hnn-spring (reduced): writes results.json with the JSON fields and the SVG plots; HNN ahead on energy", async () => {
  const dir = mkdtempSync(join(tmpdir(), "noether-hnn-"));
  try {
    const r = await runHnn("spring", quietOpts(dir), { steps: 200, hidden: 64, rollouts: 5, testRollouts: 5 });
    const saved = JSON.parse(readFileSync(join(dir, "results.json"), "utf8")) as Record<string, Record<string, number>>;
    assert.equal(saved.task as unknown, "spring");
    for (const m of ["baseline", "hnn"]) {
      for (const k of ["trainLoss", "testLoss", "energyMSE", "trainLossStdErr", "testLossStdErr", "energyMSEStdErr"]) {
        assert.equal(typeof saved[m]![k], "number", `${m}.${k}`);
        assert.ok(Number.isFinite(saved[m]![k]), `${m}.${k} finite`);
      }
    }
    assert.deepEqual(JSON.parse(JSON.stringify(r)), saved);
    assert.ok(
      saved.hnn!.energyMSE! < saved.baseline!.energyMSE!,
      `energy MSE: HNN ${saved.hnn!.energyMSE} vs baseline ${saved.baseline!.energyMSE}`,
    );
    for (const f of ["phase.svg", "energy.svg", "loss.svg"]) {
      const svg = readFileSync(join(dir, f), "utf8");
      assert.ok(svg.startsWith("<svg") && svg.includes("</svg>"), f);
    }
    assert.ok(
      existsSync(join(dir, "checkpoint-hnn.safetensors")) && existsSync(join(dir, "checkpoint-baseline.safetensors")),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("hnn experiments reject non-finite data with a clear error", async () => {
  const data = springDataset({ seed: 0, trajectories: 4 });
  data.train.x[5] = Number.NaN;
  const dir = mkdtempSync(join(tmpdir(), "noether-hnn-"));
  try {
    await assert.rejects(
      runHnn("spring", quietOpts(dir), { dataset: data, steps: 1, hidden: 8 }),
      (e: unknown) =>
        e instanceof NonFiniteError &&
        /hnn-spring: train states/.test(e.message) &&
        /NaN at flat index 5/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
