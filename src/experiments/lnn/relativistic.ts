/**
 * `lnn-relativistic` (Cranmer et al. 2020): a Lagrangian NN and a baseline MLP (q̈ from the
 * state) on the relativistic particle in V = q²/2, L = −√(1 − q̇²) − q²/2 (m = c = 1). Training
 * states q ~ U[−10, 10], q̇ ~ U[−0.99, 0.99]; rollouts (RK4) from q0 ~ U[−3, 3], q̇0 ~ U[−0.5, 0.5]
 * with energy E ≤ 2 (top speed 0.866); energy error relative to E(x0), trajectory error against
 * the true path.
 *
 * Anchor: the paper shows this system (500×4 softplus) without numbers. Why E ≤ 2 and why the
 * LNN's learning rate and clipping, with the measurements, is in results/lnn.md.
 */
import { numpy as np, tree, type Array as JArray } from "../../jax.js";
import { initEngine } from "../../core/engine.js";
import { hostRng, makeKey, splitKey } from "../../core/rng.js";
import { relativisticSamples } from "../../data/state-samples.js";
import { trueTrajectories } from "../../data/trajectories.js";
import { MLP, type MLPParams } from "../../nn/layers.js";
import { convexInit } from "../../nn/init.js";
import { lagrangianFieldMLP } from "../../physics/fields.js";
import { energyOf, type Rollout } from "../../physics/rollout.js";
import { relativisticParticle } from "../../physics/systems.js";
import { linePlot, lossCurvePlot, scatterPlot } from "../../plot/index.js";
import { l1 } from "../../train/losses.js";
import { runOutput } from "../output.js";
import type { ExperimentOptions, ExperimentResults, JsonValue } from "../types.js";
import {
  column,
  energyStats,
  modelRollout,
  round,
  trainModel,
  trajectoryStats,
  withParams,
  type LnnConfig,
  type TrainedModel,
  type TrainSpec,
} from "./shared.js";

/** The baseline predicts q̈ / 3 (mean |q̈| ≈ 3 on the training states). */
const TARGET_SCALE = 3;
/**
 * Rollouts start at energy E = γ + q²/2 ≤ E_MAX: top speed (at q = 0) √(1 − 1/E_MAX²) = 0.866.
 * Near c the true q̈ = −q(1 − q̇²)^{3/2} vanishes, so an error in q̈ of the size of the models'
 * validation L1 pushes a faster trajectory past c (results/lnn.md).
 */
const E_MAX = 2;

/** Quick and full settings (`epochs` and `hidden` can be set with --param; defaults listed in ../index.ts). */
const QUICK: LnnConfig = {
  hidden: [64, 64],
  nTrain: 8192,
  nVal: 1024,
  epochs: 32,
  batch: 256,
  maxLr: 1e-3,
  finalLr: 2e-5,
  lnnVelScale: 1,
  lnnMaxLr: 1e-2,
  lnnClip: 1,
  ics: 4,
  tEnd: 10,
  dt: 0.01,
  every: 10,
};
const FULL: LnnConfig = {
  hidden: [128, 128],
  nTrain: 65536,
  nVal: 4096,
  epochs: 24,
  batch: 256,
  maxLr: 1e-3,
  finalLr: 2e-5,
  lnnVelScale: 1,
  lnnMaxLr: 5e-3,
  lnnClip: 1,
  ics: 20,
  tEnd: 50,
  dt: 0.01,
  every: 10,
};

/** Runs `lnn-relativistic` (registered in ../index.ts). */
export async function run(opts: ExperimentOptions): Promise<ExperimentResults> {
  const t0 = performance.now();
  await initEngine();
  const out = runOutput(opts.outDir);
  const cfg = withParams(opts.quick ? QUICK : FULL, opts.params);
  const system = relativisticParticle();
  const D = 2;
  const tr = relativisticSamples({ n: cfg.nTrain, seed: opts.seed * 7919 + 11, system });
  const va = relativisticSamples({ n: cfg.nVal, seed: opts.seed * 7919 + 12, system });
  opts.log(
    `lnn-relativistic: MLP 2→${cfg.hidden.join("→")}→1 softplus, ${cfg.nTrain} states, batch ${cfg.batch}, ${cfg.epochs} epochs; ${cfg.ics} rollouts of ${cfg.tEnd} s`,
  );
  const lnnField = lagrangianFieldMLP("softplus");
  const baseNet = MLP([D, ...cfg.hidden, 1], { activation: "softplus" });
  const relBase = (p: MLPParams, x: JArray) => baseNet.apply(p, x).mul(TARGET_SCALE);
  const specs: TrainSpec[] = [
    {
      name: "lnn",
      sizes: [D, ...cfg.hidden, 1],
      init: (k) => convexInit([D, ...cfg.hidden, 1], k),
      maxLr: cfg.lnnMaxLr,
      ...(cfg.lnnClip > 0 ? { clipNorm: cfg.lnnClip } : {}),
      lossFn: (p, x, y) => l1(lnnField(p, x).slice([], [1, 2]), y),
      x: tr.x,
      y: tr.qdd,
      xVal: va.x,
      yVal: va.qdd,
      dIn: D,
      dOut: 1,
    },
    {
      name: "baseline",
      sizes: [D, ...cfg.hidden, 1],
      maxLr: 3 * cfg.maxLr,
      lossFn: (p, x, y) => l1(relBase(p, x), y),
      x: tr.x,
      y: tr.qdd,
      xVal: va.x,
      yVal: va.qdd,
      dIn: D,
      dOut: 1,
    },
  ];
  const keys = splitKey(makeKey(opts.seed + 1), specs.length);
  const stepsPerModel = cfg.epochs * Math.ceil(cfg.nTrain / cfg.batch);
  const offset = { done: 0, total: stepsPerModel * specs.length };
  const files: Record<string, string> = { lnn: "checkpoint.safetensors", baseline: "baseline.safetensors" };
  const trained: TrainedModel[] = [];
  for (let i = 0; i < specs.length; i++) {
    const m = await trainModel(specs[i]!, cfg, keys[i]!, opts, out, files[specs[i]!.name]!, offset);
    opts.log(`lnn-relativistic: ${m.name} validation L1 ${m.valLoss.toPrecision(4)} (${m.seconds.toFixed(1)} s)`);
    trained.push(m);
  }
  const rng = hostRng(opts.seed * 104729 + 13);
  const x0 = new Float64Array(cfg.ics * D);
  for (let b = 0; b < cfg.ics; ) {
    const q = -3 + 6 * rng();
    const v = -0.5 + rng();
    if (system.energyHost([q, v]) > E_MAX) continue;
    x0[b * D] = q;
    x0[b * D + 1] = v;
    b++;
  }
  const records = Math.round(cfg.tEnd / (cfg.dt * cfg.every));
  const ro = { dt: cfg.dt, every: cfg.every, records };
  const T = records + 1;
  const tRec = Float64Array.from({ length: T }, (_, k) => k * cfg.dt * cfg.every);
  const truth = new Float64Array(cfg.ics * T * D);
  for (let b = 0; b < cfg.ics; b++)
    truth.set(trueTrajectories(system, x0.subarray(b * D, (b + 1) * D), tRec, { rtol: 1e-11, atol: 1e-11 }), b * T * D);
  const E0 = Float64Array.from({ length: cfg.ics }, (_, b) => system.energyHost(x0.subarray(b * D, (b + 1) * D)));
  const byName = Object.fromEntries(trained.map((m) => [m.name, m]));
  const runs: [string, () => Rollout][] = [
    ["lnn", () => modelRollout(lnnField, byName.lnn!.params, x0, D, ro)],
    [
      "baseline",
      () =>
        modelRollout<MLPParams>(
          (p, x) => np.concatenate([x.ref.slice([], [1, 2]), relBase(p, x)], 1),
          byName.baseline!.params,
          x0,
          D,
          ro,
        ),
    ],
    ["truthRK4", () => modelRollout<Record<string, never>>((_p, x) => system.field(x), {}, x0, D, ro)],
  ];
  const modelResults: Record<string, JsonValue> = {};
  const rollouts: Record<string, Float64Array> = {};
  const perTime: Record<string, Float64Array> = {};
  for (const [name, go] of runs) {
    const s0 = performance.now();
    const r = go();
    rollouts[name] = r.states;
    const E = energyOf(system, r.states, cfg.ics, T, { invalid: "nan" });
    // A record at |q̇| ≥ c has no real energy: count that trajectory as diverged.
    const ok = r.divergedAt.map(
      (d, b) => d === null && Array.from({ length: T }, (_, k) => E[b * T + k]!).every(Number.isFinite),
    );
    const st = energyStats(E, E0, cfg.ics, T, (b) => E0[b]!, ok);
    perTime[name] = st.perTime;
    const m = byName[name];
    let maxSpeed = 0;
    for (let i = 1; i < r.states.length; i += D)
      if (Number.isFinite(r.states[i]!)) maxSpeed = Math.max(maxSpeed, Math.abs(r.states[i]!));
    modelResults[name] = {
      energyError: round(st.atEnd),
      energyErrorMean: round(st.mean),
      trajectoryError: round(trajectoryStats(r.states, truth, cfg.ics, T, D, 0, ok)),
      diverged: ok.filter((v) => !v).length,
      superluminal: r.divergedAt.filter((d, b) => d === null && !ok[b]).length,
      maxSpeed: round(maxSpeed),
      ...(m ? { valLoss: round(m.valLoss), trainSeconds: round(m.seconds), steps: m.steps } : {}),
      rolloutSeconds: round((performance.now() - s0) / 1000),
    };
    opts.log(`lnn-relativistic: ${name} rollout: ${JSON.stringify(modelResults[name])}`);
  }
  out.write(
    "loss.svg",
    await lossCurvePlot({ title: "lnn-relativistic: L1 loss on q̈ per epoch", curves: trained, yLabel: "L1 loss" }),
  );
  out.write(
    "phase.svg",
    await scatterPlot({
      title: `relativistic particle from q0 = ${x0[0]!.toFixed(2)}, q̇0 = ${x0[1]!.toFixed(2)}: phase portrait`,
      series: [
        ["truth", truth] as const,
        ["lnn", rollouts.lnn!] as const,
        ["baseline", rollouts.baseline!] as const,
      ].map(([name, s]) => ({ name, x: column(s, 0, T, D, 0), y: column(s, 0, T, D, 1) })),
      xLabel: "q",
      yLabel: "q̇",
      pointSize: 6,
    }),
  );
  out.write(
    "energy.svg",
    await linePlot({
      title: `|E − E0| / E0 over time (mean of ${cfg.ics} initial conditions)`,
      series: Object.entries(perTime).map(([name, y]) => ({ name, x: tRec, y })),
      xLabel: "t",
      yLabel: "|E − E0| / E0",
      logY: true,
    }),
  );
  for (const m of trained) tree.dispose(m.params);
  return out.results({
    task: `relativistic particle, L = −√(1 − q̇²) − q²/2 (m = c = 1): |E(x̂(t)) − E0| / E0 at t = ${cfg.tEnd} over ${cfg.ics} rollouts (RK4 dt ${cfg.dt}), trajectory error = mean ‖x̂ − x‖`,
    lnn: modelResults.lnn!,
    baseline: modelResults.baseline!,
    truthRK4: modelResults.truthRK4!,
    config: {
      quick: opts.quick,
      hidden: cfg.hidden,
      nTrain: cfg.nTrain,
      batch: cfg.batch,
      epochs: cfg.epochs,
      stepsPerModel,
      loss: "l1",
      initialConditions: cfg.ics,
      tEnd: cfg.tEnd,
      dt: cfg.dt,
      icEnergyMax: E_MAX,
      icTopSpeed: round(Math.sqrt(1 - 1 / (E_MAX * E_MAX))),
      init: "lnn: convex; baseline: torch",
      baselineTargetScale: TARGET_SCALE,
      maxLr: { lnn: cfg.lnnMaxLr, baseline: 3 * cfg.maxLr },
      lnnClipNorm: cfg.lnnClip,
      paper: "500×4 softplus (no numbers published)",
    },
    seconds: round((performance.now() - t0) / 1000),
  });
}
