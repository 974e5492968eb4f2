import { test } from "node:test";
import assert from "node:assert/strict";
import { grad, jit, numpy as np, tree, type Array as JArray } from "../src/jax.js";
import { initEngine, withDevice } from "../src/core/engine.js";
import { ConfigError, NonFiniteError, ShapeError } from "../src/core/errors.js";
import { fromHost, toFloat64 } from "../src/core/host.js";
import { hostNormal, hostRng, makeKey } from "../src/core/rng.js";
import type { Params } from "../src/core/tree.js";
import { doublePendulumSamples } from "../src/data/state-samples.js";
import { convexInit } from "../src/nn/init.js";
import { mlpInputDerivs } from "../src/nn/input-derivs.js";
import { MLP, type MLPParams } from "../src/nn/layers.js";
import { doublePendulumCanonical } from "../src/physics/canonical.js";
import { wrapAngle } from "../src/physics/angles.js";
import { lagrangianField, lagrangianFieldMLP } from "../src/physics/fields.js";
import { rollout } from "../src/physics/rollout.js";
import { doublePendulum } from "../src/physics/systems.js";
import { cappedL1, l1 } from "../src/train/losses.js";
import { adam } from "../src/train/optim.js";
import { makeTrainStep, type TrainStepOutput } from "../src/train/step.js";

await initEngine();

const f64 = (data: ArrayLike<number>, shape: number[]) => fromHost(data, shape, { dtype: "float64", device: "cpu" });
const system = doublePendulum({ m1: 1.3, m2: 0.7, l1: 1.1, l2: 0.9, g: 9.8 });

test("LNN field of the true double-pendulum Lagrangian reproduces the analytic q̈ (float64)", async () => {
  const s = doublePendulumSamples({ n: 16, seed: 3, system });
  const L = (_: JArray[], x: JArray) => system.lagrangian!(x.ref.slice([], [0, 2]), x.slice([], [2, 4]));
  const out = await withDevice("cpu", () => toFloat64(lagrangianField(L)([], f64(s.x, [16, 4]))));
  for (let b = 0; b < 16; b++) {
    for (let j = 0; j < 4; j++) {
      const want = s.dx[b * 4 + j]!;
      const got = out[b * 4 + j]!;
      assert.ok(Math.abs(got - want) <= 1e-11 * (1 + Math.abs(want)), `sample ${b} coord ${j}: ${got} vs ${want}`);
    }
  }
});

test("jitted LNN field equals the eager one", () => {
  const net = MLP([4, 32, 32, 1], { activation: "softplus" });
  const p = net.init(makeKey(1));
  const x = hostNormal(8 * 4, hostRng(1));
  const field = lagrangianFieldMLP("softplus");
  const eager = toFloat64(field(tree.ref(p), np.array(Float32Array.from(x), { shape: [8, 4] })));
  const jf = jit((pp: MLPParams, xx: JArray) => field(pp, xx));
  const jitted = toFloat64(jf(tree.ref(p), np.array(Float32Array.from(x), { shape: [8, 4] })) as JArray);
  jf.dispose();
  tree.dispose(p);
  for (let i = 0; i < eager.length; i++) {
    assert.ok(
      Math.abs(jitted[i]! - eager[i]!) <= 1e-4 * (1 + Math.abs(eager[i]!)),
      `[${i}] jit ${jitted[i]} vs eager ${eager[i]}`,
    );
  }
});

test("a short LNN training run lowers the L1 loss on q̈", () => {
  const net = MLP([4, 32, 32, 1], { activation: "softplus" });
  const field = lagrangianFieldMLP("softplus");
  const s = doublePendulumSamples({ n: 128, seed: 5, omegaMax: 2 });
  const x = fromHost(
    Float64Array.from(s.x, (v, i) => (i % 4 < 2 ? wrapAngle(v) : v)),
    [128, 4],
    { what: "x", finite: true },
  );
  const y = fromHost(s.qdd, [128, 2], { what: "y", finite: true });
  const opt = adam();
  const step = makeTrainStep((pp: MLPParams, xx: JArray, yy: JArray) => l1(field(pp, xx).slice([], [2, 4]), yy), opt);
  let params: Params = net.init(makeKey(2));
  let state = opt.init(params);
  const losses: number[] = [];
  for (let t = 1; t <= 60; t++) {
    const out: TrainStepOutput = step(params, state, x.ref, y.ref, 3e-3, t);
    losses.push(out.loss.item());
    params = out.params;
    state = out.optState;
  }
  step.dispose();
  tree.dispose([params, state]);
  x.dispose();
  y.dispose();
  const first = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
  const last = losses.slice(-5).reduce((a, b) => a + b) / 5;
  assert.ok(losses.every(Number.isFinite), `non-finite loss in ${losses}`);
  assert.ok(last < 0.7 * first, `loss did not drop enough: ${first} → ${last}`);
});

test("canonical form of the double pendulum: round trip, H = energy, ṗ = ∂L/∂q", async () => {
  const canon = doublePendulumCanonical(system);
  const s = doublePendulumSamples({ n: 32, seed: 7, system });
  const z = canon.toCanonicalBatch(s.x);
  const back = canon.toVelocityBatch(z);
  for (let i = 0; i < back.length; i++)
    assert.ok(Math.abs(back[i]! - s.x[i]!) <= 1e-12 * (1 + Math.abs(s.x[i]!)), `round trip [${i}]`);
  for (let b = 0; b < 32; b++) {
    const e = s.energy[b]!;
    assert.ok(
      Math.abs(canon.hamiltonianHost(z.subarray(4 * b, 4 * b + 4)) - e) <= 1e-12 * (1 + Math.abs(e)),
      `host H vs energy at ${b}`,
    );
  }
  const H = await withDevice("cpu", () => toFloat64(canon.hamiltonian(f64(z, [32, 4]))));
  for (let b = 0; b < 32; b++)
    assert.ok(Math.abs(H[b]! - s.energy[b]!) <= 1e-12 * (1 + Math.abs(s.energy[b]!)), `batched H vs energy at ${b}`);
  // Hamilton's equations from the canonical field agree with d/dt of p = M(q)q̇ by finite differences along the true flow.
  const dz = new Float64Array(4);
  const h = 1e-6;
  for (let b = 0; b < 4; b++) {
    const x = s.x.subarray(4 * b, 4 * b + 4);
    canon.fieldHost(canon.toCanonicalHost(x), dz);
    const dx = s.dx.subarray(4 * b, 4 * b + 4);
    const ahead = canon.toCanonicalHost(x.map((v, j) => v + h * dx[j]!));
    const behind = canon.toCanonicalHost(x.map((v, j) => v - h * dx[j]!));
    for (let j = 0; j < 4; j++) {
      const fd = (ahead[j]! - behind[j]!) / (2 * h);
      assert.ok(
        Math.abs(fd - dz[j]!) <= 1e-5 * (1 + Math.abs(fd)),
        `state ${b}: dz[${j}] ${dz[j]} vs finite difference ${fd}`,
      );
    }
  }
});

test("singular ∂²L/∂q̇² (L linear in q̇): clear NonFiniteError eagerly, finite with damping, counted in rollouts", async () => {
  // L = q̇1 + q̇2 − ½|q|²: ∂²L/∂q̇² = 0.
  const L = (_: JArray[], x: JArray) =>
    np.sum(x.ref.slice([], [2, 4]), 1).sub(np.sum(np.square(x.slice([], [0, 2])), 1).mul(0.5));
  const xs = [0.1, 0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8];
  await withDevice("cpu", () => {
    assert.throws(
      () => lagrangianField(L)([], f64(xs, [2, 4])),
      (e: unknown) =>
        e instanceof NonFiniteError && /∂²L\/∂q̇² singular at sample 0/.test(e.message) && /damping/.test(e.message),
    );
    const out = toFloat64(lagrangianField(L, { damping: 1 })([], f64(xs, [2, 4])));
    // With λ = 1: q̈ = (∂L/∂q − 0) / 1 = −q.
    assert.deepEqual(Array.from(out.subarray(2, 4)), [-0.1, -0.2]);
  });
  // Under jit (the params form runs a record's RK4 steps in one jit) there is no eager check: a
  // rollout with onNonFinite "record" reports the diverged trajectories instead of silent NaN.
  const field = (_p: Record<string, never>, x: JArray) => lagrangianField(L)([], x);
  const r = rollout({ field, params: {} }, fromHost(xs, [2, 4]), {
    dt: 0.02,
    steps: 2,
    substeps: 2,
    method: "rk4",
    onNonFinite: "record",
  });
  assert.deepEqual(r.divergedAt, [1, 1]);
  assert.deepEqual(
    Array.from(r.states.subarray(0, 4)),
    Array.from(Float32Array.from(xs.slice(0, 4))),
    "record 0 is x0 as the engine holds it",
  );
  for (let b = 0; b < 2; b++)
    assert.ok(
      r.states.subarray((b * 3 + 1) * 4, (b + 1) * 3 * 4).every(Number.isNaN),
      `trajectory ${b}: NaN from record 1`,
    );
});

test("non-finite data and bad states are rejected", () => {
  const canon = doublePendulumCanonical(system);
  assert.throws(() => canon.toCanonicalHost([0, NaN, 1, 2]), NonFiniteError);
  assert.throws(
    () => fromHost([0, 1, Infinity, 3], [1, 4], { what: "train x", finite: true }),
    (e: unknown) => e instanceof NonFiniteError && /train x/.test((e as Error).message),
  );
  const id = { field: (_p: Record<string, never>, x: JArray) => x, params: {} };
  assert.throws(
    () => rollout(id, fromHost([1, 2, 3], [3]), { dt: 0.1, steps: 1, method: "rk4" }),
    (e: unknown) => e instanceof ShapeError && /rollout: x0: expected shape \[\*, \*\]/.test((e as Error).message),
  );
  assert.throws(
    () => rollout(id, fromHost([1, 2], [1, 2]), { dt: 0.1, steps: 1, method: "dopri5" }),
    (e: unknown) => e instanceof ConfigError && /runs "rk4" only/.test((e as Error).message),
  );
  assert.throws(
    () => lagrangianFieldMLP("softplus")({ layers: [] }, np.ones([2, 3])),
    /expected states of shape \[B, 2n\]/,
  );
});

test("convexInit: ∂²L/∂q̇² positive definite at every training state at initialisation (the PyTorch init is not)", () => {
  const s = doublePendulumSamples({ n: 512, seed: 21 });
  const x = Float32Array.from(s.x, (v, i) => (i % 4 < 2 ? wrapAngle(v) : v));
  const indefinite = (p: MLPParams) => {
    const r = mlpInputDerivs(p, np.array(x, { shape: [512, 4] }), "softplus", [2, 3]);
    r.value.dispose();
    r.grad.dispose();
    const h = r.hessRows!.dataSync() as Float32Array;
    let bad = 0;
    for (let b = 0; b < 512; b++)
      if (!(h[b * 8 + 2]! > 0 && h[b * 8 + 2]! * h[b * 8 + 7]! - h[b * 8 + 3]! * h[b * 8 + 6]! > 0)) bad++;
    return bad;
  };
  assert.equal(indefinite(convexInit([4, 64, 64, 1], 3)), 0);
  assert.equal(indefinite(convexInit([4, 32, 32, 32, 1], makeKey(4))), 0);
  assert.ok(indefinite(MLP([4, 64, 64, 1], { activation: "softplus" }).init(makeKey(3))) > 50);
});

test("cappedL1: L1 below the cap, logarithmic tail above it (gradient sign·cap/|e|)", () => {
  const target = np.array(Float32Array.from([0, 0, 0, 0]), { shape: [2, 2] });
  const predv = Float32Array.from([1, -2, 300, -500]);
  const loss = cappedL1(np.array(predv, { shape: [2, 2] }), target.ref, 200).item() as number;
  const want = (1 + 2 + 200 * (1 + Math.log(1.5)) + 200 * (1 + Math.log(2.5))) / 4;
  assert.ok(Math.abs(loss - want) < 1e-3, `loss ${loss} vs ${want}`);
  const g = Array.from(
    grad((p: JArray) => cappedL1(p, target.ref, 200))(np.array(predv, { shape: [2, 2] })).dataSync() as Float32Array,
  );
  const gWant = [0.25, -0.25, (0.25 * 200) / 300, (-0.25 * 200) / 500];
  g.forEach((v, i) => {
    assert.ok(Math.abs(v - gWant[i]!) < 1e-6, `grad[${i}] ${v} vs ${gWant[i]}`);
  });
  target.dispose();
});
