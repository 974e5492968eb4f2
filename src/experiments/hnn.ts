/**
 * `hnn-spring`, `hnn-pendulum`, `hnn-two-body`: the Hamiltonian NN paper's table (Greydanus et
 * al. 2019). A baseline MLP predicting dx/dt (output 2n) and an HNN (scalar H, field J∇H by
 * `hamiltonianFieldMLP`), both 2×200 tanh with orthogonal init, trained by the same `fit` loop
 * (Adam lr 1e-3; spring/pendulum 2000 full-batch steps, weight decay 1e-4; two-body 10000 steps
 * of batch 200, no decay).
 *
 * Metrics, as in the authors' repo (greydanus/hamiltonian-nn, analyze-*.ipynb):
 * Data: the library's generators with the paper's settings, except observation noise σ = 0.1
 * on spring/pendulum (the repo's data.py; the paper text says 0.05). The pendulum keeps the
 * paper's H = 2(1 − cos q) + p² and radius U(0.2, 2.0) (the repo: 3(1 − cos q), U(1.3, 2.3)).
 * - trainLoss/testLoss: MSE of dx/dt on the noisy train/test states against the true dx/dt,
 *   ± std/√N over elements (the repo's train.py).
 * - energyMSE: 15 fresh initial states (spring/pendulum: each coordinate ±U(0.2, 1.0); two-body:
 *   the dataset's orbit sampler), true path by DOPRI5 in float64, model paths by RK4 on the
 *   learned field, over t ∈ [0, 20] with 100 points (two-body [0, 25], 500 points); per
 *   trajectory the mean over time of (E(true) − E(model))² with the system's true energy;
 *   mean ± standard error (std/√n) over trajectories. Differences from the repo: its spring
 *   notebook lengthens the horizon by ×1.09 per trajectory (an in-place list mutation) and
 *   rescales the model's time by 1.09 — we use the fixed [0, 20] grid; its pendulum "energy" is
 *   q² + p² — we report the true H = 2(1 − cos q) + p² as energyMSE and q² + p² as repoEnergyMSE;
 *   it integrates models with scipy RK45 — we use RK4 at dt/4 (dt/2 for two-body).
 * - energyMSETest: the same from each test trajectory's clean initial state over the dataset's
 *   own time grid (t ∈ [0, 3] resp. [0, 20]), the shorter horizon the issue text names.
 */
import { tree, type Array as JArray } from "../jax.js";
import { initEngine } from "../core/engine.js";
import { checkFinite, ConfigError } from "../core/errors.js";
import { fromHost } from "../core/host.js";
import { hostRng, makeKey, splitKey } from "../core/rng.js";
import { meanStdErr } from "../core/stats.js";
import {
  pendulumDataset,
  springDataset,
  toArrays,
  trueTrajectories,
  twoBodyDataset,
  type TrajectoryDataset,
} from "../data/trajectories.js";
import { MLP, type MLPParams } from "../nn/layers.js";
import { hamiltonianFieldMLP, type ParamField } from "../physics/fields.js";
import { rk4Host } from "../physics/integrators.js";
import { bindField, energyOf, rollout } from "../physics/rollout.js";
import { massSpring, pendulum, twoBody, TWO_BODY_LAYOUT, type PhysicalSystem } from "../physics/systems.js";
import { linePlot, lossCurvePlot, renderSvg } from "../plot/index.js";
import { fit, type EpochRecord } from "../train/fit.js";
import { mse, type LossFn } from "../train/losses.js";
import { adam } from "../train/optim.js";
import { runOutput, stepProgress } from "./output.js";
import type { ExperimentOptions, ExperimentResults, JsonValue } from "./types.js";

/** Observation noise of the spring/pendulum data: the repo's noise_std (its numbers come from it). */
const NOISE = 0.1;

/** The three HNN tasks. */
export type HnnTask = "spring" | "pendulum" | "two-body";

/** Internal overrides (tests use them to keep runs short); undefined fields keep the task's setting. */
export interface HnnOverrides {
  /** Optimiser steps per model. */
  steps?: number;
  /** Hidden width (default 200). */
  hidden?: number;
  /** Initial states for the energy rollouts (default 15). */
  rollouts?: number;
  /** Two-body orbits in the dataset (default 1000; 200 with --quick). */
  trials?: number;
  /** Test trajectories rolled out for energyMSETest (default: all). */
  testRollouts?: number;
  /** Use this dataset instead of generating the task's (must match the task's system). */
  dataset?: TrajectoryDataset;
}

interface TaskConfig {
  system: PhysicalSystem;
  data: TrajectoryDataset;
  steps: number;
  batch: number;
  weightDecay: number;
  hidden: number;
  rollouts: number;
  testRollouts: number;
  /** Energy-rollout horizon and points (repo notebooks). */
  tEnd: number;
  points: number;
  /** RK4 substeps per recorded point. */
  substeps: number;
  sampleX0: (n: number, seed: number) => Float64Array;
}

/** Spring/pendulum eval states: each coordinate uniform in ±[0.2, 1.0] (analyze-spring/pend.ipynb). */
function radialEvalStates(n: number, seed: number): Float64Array {
  const rng = hostRng(seed);
  const x = new Float64Array(2 * n);
  for (let i = 0; i < 2 * n; i++) {
    const u = rng() * 1.6 - 0.8;
    x[i] = u + 0.2 * Math.sign(u);
  }
  return x;
}

/** Two-body eval states: fresh orbits from the dataset's sampler (the repo's random_config). */
function orbitEvalStates(system: ReturnType<typeof twoBody>, n: number, seed: number): Float64Array {
  const d = twoBodyDataset({ system, seed, trials: n, points: 2, tSpan: [0, 1e-3], testFraction: 0 });
  const x = new Float64Array(8 * n);
  for (let b = 0; b < n; b++) x.set(d.train.xTrue.subarray(b * 2 * 8, b * 2 * 8 + 8), b * 8);
  return x;
}

function taskConfig(task: HnnTask, quick: boolean, seed: number, o: HnnOverrides): TaskConfig {
  const hidden = o.hidden ?? 200;
  const rollouts = o.rollouts ?? 15;
  if (task === "spring" || task === "pendulum") {
    const system = task === "spring" ? massSpring() : pendulum();
    // σ = 0.1 as in the repo's data.py (the paper text says 0.05); its test losses ≈ 4σ² show it.
    const data =
      o.dataset ??
      (task === "spring" ? springDataset({ seed, noise: NOISE }) : pendulumDataset({ seed, noise: NOISE }));
    return {
      system,
      data,
      hidden,
      rollouts,
      steps: o.steps ?? (quick ? 500 : 2000),
      batch: data.train.n,
      weightDecay: 1e-4,
      testRollouts: o.testRollouts ?? data.test.trajectories,
      tEnd: 20,
      points: 100,
      substeps: 4,
      sampleX0: radialEvalStates,
    };
  }
  const system = twoBody();
  const trials = o.trials ?? (quick ? 200 : 1000);
  const data = o.dataset ?? twoBodyDataset({ seed, trials });
  return {
    system,
    data,
    hidden,
    rollouts,
    steps: o.steps ?? (quick ? 1500 : 10000),
    batch: 200,
    weightDecay: 0,
    testRollouts: o.testRollouts ?? (quick ? 20 : data.test.trajectories),
    tEnd: 25,
    points: 500,
    substeps: 2,
    sampleX0: (n, s) => orbitEvalStates(system, n, s),
  };
}

/** Per trajectory: mean over time of (a − b)², for [B, T] host energies. */
function energyMSEPerTrajectory(a: Float64Array, b: Float64Array, B: number, T: number): Float64Array {
  const out = new Float64Array(B);
  for (let i = 0; i < B; i++) {
    let s = 0;
    for (let t = 0; t < T; t++) s += (a[i * T + t]! - b[i * T + t]!) ** 2;
    out[i] = s / T;
  }
  return out;
}

/** q² + p² of 1-DOF states [B·T·2] (the repo's pendulum "energy"). */
function qpSquared(states: Float64Array): Float64Array {
  const e = new Float64Array(states.length / 2);
  for (let i = 0; i < e.length; i++) e[i] = states[2 * i]! ** 2 + states[2 * i + 1]! ** 2;
  return e;
}

interface ModelSpec {
  name: "baseline" | "hnn";
  field: ParamField<MLPParams>;
  net: ReturnType<typeof MLP>;
}

interface RolloutEval {
  states: Float64Array | null;
  energy: Float64Array | null;
  perTrajectory: Float64Array | null;
  error?: string;
}

function evalRollout(
  model: ModelSpec,
  params: MLPParams,
  x0: Float64Array,
  B: number,
  cfg: { dt: number; steps: number; substeps: number },
  system: PhysicalSystem,
  trueEnergy: Float64Array,
): RolloutEval {
  const bf = bindField(model.field, tree.ref(params), { jit: true });
  try {
    const states = rollout(bf.field, fromHost(x0, [B, system.dim], { dtype: "float32" }), {
      dt: cfg.dt,
      steps: cfg.steps,
      method: "rk4",
      substeps: cfg.substeps,
    }).states;
    const energy = energyOf(system, states, B, cfg.steps + 1);
    return { states, energy, perTrajectory: energyMSEPerTrajectory(trueEnergy, energy, B, cfg.steps + 1) };
  } catch (e) {
    return { states: null, energy: null, perTrajectory: null, error: (e as Error).message };
  } finally {
    bf.dispose();
  }
}

/** Mean ± std/√N of per-element squared errors of the model's dx/dt on a split. */
function derivativeLoss(model: ModelSpec, params: MLPParams, x: JArray, dx: JArray): { mean: number; stdErr: number } {
  const pred = model.field(tree.ref(params), x).dataSync() as ArrayLike<number>;
  const truth = dx.dataSync() as ArrayLike<number>;
  const sq = new Float64Array(pred.length);
  for (let i = 0; i < sq.length; i++) sq[i] = (pred[i]! - truth[i]!) ** 2;
  return meanStdErr(sq);
}

/** Lines in path order (vega-lite's line mark sorts by x unless told otherwise). */
async function pathPlot(o: {
  title: string;
  series: { name: string; x: ArrayLike<number>; y: ArrayLike<number> }[];
  xLabel: string;
  yLabel: string;
}): Promise<string> {
  const values: { x: number; y: number; i: number; series: string }[] = [];
  for (const s of o.series) {
    for (let i = 0; i < Math.min(s.x.length, s.y.length); i++) {
      const x = Number(s.x[i]),
        y = Number(s.y[i]);
      if (Number.isFinite(x) && Number.isFinite(y)) values.push({ x, y, i, series: s.name });
    }
  }
  return renderSvg({
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: o.title,
    width: 360,
    height: 360,
    background: "white",
    data: { values },
    mark: { type: "line", strokeWidth: 1.5 },
    encoding: {
      x: { field: "x", type: "quantitative", title: o.xLabel, scale: { zero: false } },
      y: { field: "y", type: "quantitative", title: o.yLabel, scale: { zero: false } },
      color: { field: "series", type: "nominal", title: null, scale: { domain: o.series.map((s) => s.name) } },
      order: { field: "i", type: "quantitative" },
    },
  } as Parameters<typeof renderSvg>[0]);
}

/** Runs one HNN task: trains baseline and HNN, evaluates, writes results.json, checkpoints and SVGs. */
export async function runHnn(
  task: HnnTask,
  opts: ExperimentOptions,
  overrides: HnnOverrides = {},
): Promise<ExperimentResults> {
  const t0 = performance.now();
  await initEngine();
  const output = runOutput(opts.outDir);
  const cfg = taskConfig(task, opts.quick, opts.seed, overrides);
  const { system, data } = cfg;
  const D = system.dim;
  if (data.dim !== D)
    throw new ConfigError(
      `hnn-${task}: the dataset has states of dimension ${data.dim}, the ${system.name} system ${D}`,
    );
  for (const [split, s] of [
    ["train", data.train],
    ["test", data.test],
  ] as const) {
    checkFinite(`hnn-${task}: ${split} states`, s.x);
    checkFinite(`hnn-${task}: ${split} derivatives`, s.dx);
  }
  if (!Number.isInteger(cfg.steps) || cfg.steps < 1)
    throw new ConfigError(`hnn-${task}: steps must be a positive integer, got ${cfg.steps}`);
  const stepsPerEpoch = Math.ceil(data.train.n / cfg.batch);
  const epochs = Math.max(1, Math.round(cfg.steps / stepsPerEpoch));
  const totalSteps = epochs * stepsPerEpoch;
  opts.log(
    `hnn-${task}: ${data.train.trajectories}/${data.test.trajectories} train/test trajectories (${data.train.n} rows), ` +
      `2×${cfg.hidden} tanh, ${totalSteps} steps of batch ${cfg.batch}, weight decay ${cfg.weightDecay}`,
  );
  const train = toArrays(data.train, { dtype: "float32" });
  const test = toArrays(data.test, { dtype: "float32" });
  const [kBase, kHnn] = splitKey(makeKey(opts.seed), 2);
  const models: ModelSpec[] = [
    (() => {
      const net = MLP([D, cfg.hidden, cfg.hidden, D], { activation: "tanh", init: "orthogonal" });
      return { name: "baseline" as const, net, field: (p: MLPParams, x: JArray) => net.apply(p, x) };
    })(),
    (() => {
      const net = MLP([D, cfg.hidden, cfg.hidden, 1], { activation: "tanh", init: "orthogonal" });
      return { name: "hnn" as const, net, field: hamiltonianFieldMLP("tanh") };
    })(),
  ];
  const keys = { baseline: kBase!, hnn: kHnn! };

  // Evaluation grids and ground truth.
  const evalX0 = cfg.sampleX0(cfg.rollouts, opts.seed + 1000);
  const evalT = Float64Array.from({ length: cfg.points }, (_, i) => (cfg.tEnd * i) / (cfg.points - 1));
  const evalDt = evalT[1]! - evalT[0]!;
  const tol = { rtol: 1e-10, atol: 1e-10 };
  const evalTrue = trueTrajectories(system, evalX0, evalT, tol);
  const evalTrueE = energyOf(system, evalTrue, cfg.rollouts, cfg.points);
  const nTest = Math.min(cfg.testRollouts, data.test.trajectories);
  const P = data.test.points;
  const testX0 = new Float64Array(nTest * D);
  const testTrueE = new Float64Array(nTest * P);
  for (let b = 0; b < nTest; b++) {
    testX0.set(data.test.xTrue.subarray(b * P * D, b * P * D + D), b * D);
    testTrueE.set(data.test.energy.subarray(b * P, (b + 1) * P), b * P);
  }
  const testDt = data.t[1]! - data.t[0]!;
  // The integrator's own floor: RK4 with the same steps on the true field (host float64).
  const hostF = (_t: number, y: Float64Array, dy: Float64Array) => system.fieldHost(y, dy);
  const floorStates = new Float64Array(cfg.rollouts * cfg.points * D);
  for (let b = 0; b < cfg.rollouts; b++) {
    const traj = rk4Host(
      hostF,
      evalX0.subarray(b * D, (b + 1) * D),
      evalDt / cfg.substeps,
      (cfg.points - 1) * cfg.substeps,
    );
    for (let k = 0; k < cfg.points; k++)
      floorStates.set(traj.subarray(k * cfg.substeps * D, (k * cfg.substeps + 1) * D), (b * cfg.points + k) * D);
  }
  const floor = meanStdErr(
    energyMSEPerTrajectory(
      evalTrueE,
      energyOf(system, floorStates, cfg.rollouts, cfg.points),
      cfg.rollouts,
      cfg.points,
    ),
  );

  const out: Record<string, JsonValue> = {};
  const rolls: Record<string, RolloutEval> = {};
  const histories: Record<string, EpochRecord[]> = {};
  let done = 0;
  try {
    for (const m of models) {
      const lossFn: LossFn<MLPParams> = (p, x, y) => mse(m.field(p, x), y);
      const tm = performance.now();
      const res = await fit<MLPParams>({
        lossFn,
        params: m.net.init(keys[m.name]),
        data: { x: train.x, y: train.dx },
        validation: { x: test.x, y: test.dx },
        epochs,
        batchSize: cfg.batch,
        optimizer: adam({ weightDecay: cfg.weightDecay }),
        schedule: 1e-3,
        seed: opts.seed,
        config: {
          experiment: `hnn-${task}`,
          model: m.name,
          sizes: m.net.sizes,
          activation: "tanh",
          init: "orthogonal",
          batch: cfg.batch,
          weightDecay: cfg.weightDecay,
        },
        checkpoint: output.checkpoint(`checkpoint-${m.name}.safetensors`, epochs),
        onProgress: stepProgress(opts.onProgress, {
          offset: done,
          total: 2 * totalSteps,
          metrics: (p) => ({
            [`${m.name} train`]: p.stepLoss,
            ...(p.valLoss !== undefined ? { [`${m.name} test`]: p.valLoss } : {}),
          }),
        }),
      });
      done += totalSteps;
      const trainSeconds = (performance.now() - tm) / 1000;
      if (res.stopReason !== "completed") opts.log(`hnn-${task} ${m.name}: ${res.message}`);
      histories[m.name] = res.history;
      const params = res.params;
      tree.dispose(res.optState);
      const trainLoss = derivativeLoss(m, params, train.x.ref, train.dx.ref);
      const testLoss = derivativeLoss(m, params, test.x.ref, test.dx.ref);
      const te = performance.now();
      const r = evalRollout(
        m,
        params,
        evalX0,
        cfg.rollouts,
        { dt: evalDt, steps: cfg.points - 1, substeps: cfg.substeps },
        system,
        evalTrueE,
      );
      const rt =
        nTest > 0
          ? evalRollout(
              m,
              params,
              testX0,
              nTest,
              { dt: testDt, steps: P - 1, substeps: cfg.substeps },
              system,
              testTrueE,
            )
          : null;
      rolls[m.name] = r;
      const e = r.perTrajectory ? meanStdErr(r.perTrajectory) : { mean: NaN, stdErr: NaN };
      const et = rt?.perTrajectory ? meanStdErr(rt.perTrajectory) : { mean: NaN, stdErr: NaN };
      const entry: Record<string, JsonValue> = {
        trainLoss: trainLoss.mean,
        trainLossStdErr: trainLoss.stdErr,
        testLoss: testLoss.mean,
        testLossStdErr: testLoss.stdErr,
        energyMSE: Number.isFinite(e.mean) ? e.mean : null,
        energyMSEStdErr: Number.isFinite(e.stdErr) ? e.stdErr : null,
        energyMSETest: Number.isFinite(et.mean) ? et.mean : null,
        energyMSETestStdErr: Number.isFinite(et.stdErr) ? et.stdErr : null,
        steps: res.steps,
        trainSeconds,
        evalSeconds: (performance.now() - te) / 1000,
      };
      if (task === "pendulum" && r.states) {
        const pe = meanStdErr(
          energyMSEPerTrajectory(qpSquared(evalTrue), qpSquared(r.states), cfg.rollouts, cfg.points),
        );
        entry.repoEnergyMSE = pe.mean;
        entry.repoEnergyMSEStdErr = pe.stdErr;
      }
      if (r.error) entry.rolloutError = r.error;
      if (rt?.error) entry.testRolloutError = rt.error;
      out[m.name] = entry;
      opts.log(
        `hnn-${task} ${m.name}: train ${trainLoss.mean.toExponential(2)}, test ${testLoss.mean.toExponential(2)}, energy MSE ${e.mean.toExponential(2)} ± ${e.stdErr.toExponential(1)} (${trainSeconds.toFixed(1)} s training)`,
      );
      tree.dispose(params);
    }
  } finally {
    tree.dispose([train.x, train.dx, test.x, test.dx]);
  }

  // Plots.
  const names = { baseline: "baseline NN", hnn: "HNN" } as const;
  const T = cfg.points;
  const traj = (s: Float64Array | null, j: number): Float64Array => {
    const v = new Float64Array(T);
    if (!s) return v.fill(NaN);
    for (let k = 0; k < T; k++) v[k] = s[k * D + j]!;
    return v;
  };
  const phaseSeries: { name: string; x: ArrayLike<number>; y: ArrayLike<number> }[] = [];
  const sources: [string, Float64Array | null][] = [
    ["truth", evalTrue],
    [names.baseline, rolls.baseline?.states ?? null],
    [names.hnn, rolls.hnn?.states ?? null],
  ];
  if (task === "two-body") {
    const L = TWO_BODY_LAYOUT;
    for (const [name, s] of sources) {
      phaseSeries.push({ name: `${name} body 1`, x: traj(s, L.x1), y: traj(s, L.y1) });
      phaseSeries.push({ name: `${name} body 2`, x: traj(s, L.x2), y: traj(s, L.y2) });
    }
  } else {
    for (const [name, s] of sources) phaseSeries.push({ name, x: traj(s, 0), y: traj(s, 1) });
  }
  output.write(
    "phase.svg",
    await pathPlot({
      title:
        task === "two-body"
          ? `hnn-${task}: orbits (rollout 1, t ∈ [0, ${cfg.tEnd}])`
          : `hnn-${task}: phase portrait (rollout 1, t ∈ [0, ${cfg.tEnd}])`,
      series: phaseSeries,
      xLabel: task === "two-body" ? "x" : "q",
      yLabel: task === "two-body" ? "y" : "p",
    }),
  );
  const eSeries = (e: Float64Array | null | undefined) => (e ? e.subarray(0, T) : new Float64Array(T).fill(NaN));
  output.write(
    "energy.svg",
    await linePlot({
      title: `hnn-${task}: total energy along rollout 1`,
      series: [
        { name: "ground truth", x: evalT, y: evalTrueE.subarray(0, T) },
        { name: names.baseline, x: evalT, y: eSeries(rolls.baseline?.energy) },
        { name: names.hnn, x: evalT, y: eSeries(rolls.hnn?.energy) },
      ],
      xLabel: "t",
      yLabel: "energy",
    }),
  );
  output.write(
    "loss.svg",
    await lossCurvePlot({
      title: `hnn-${task}: dx/dt MSE`,
      curves: (["baseline", "hnn"] as const).map((k) => ({ name: names[k], history: histories[k] ?? [] })),
      valName: "test",
      stepsPerEpoch,
      yLabel: "MSE",
    }),
  );

  const results: ExperimentResults = {
    task,
    baseline: out.baseline ?? null,
    hnn: out.hnn ?? null,
    integratorFloorEnergyMSE: floor.mean,
    paper: { source: PAPER_SOURCE, ...PAPER[task] },
    settings: {
      quick: opts.quick,
      seed: opts.seed,
      hidden: cfg.hidden,
      steps: totalSteps,
      batch: cfg.batch,
      weightDecay: cfg.weightDecay,
      lr: 1e-3,
      trainTrajectories: data.train.trajectories,
      testTrajectories: data.test.trajectories,
      rollouts: cfg.rollouts,
      testRollouts: nTest,
      rolloutT: [0, cfg.tEnd],
      rolloutPoints: cfg.points,
      rolloutIntegrator: `rk4, dt = ${(evalDt / cfg.substeps).toPrecision(3)}`,
    },
    seconds: (performance.now() - t0) / 1000,
  };
  return output.results(results);
}

const PAPER_SOURCE =
  "Greydanus, Dzamba & Yosinski 2019, Hamiltonian Neural Networks: the paper's table of test loss and energy MSE per task";

/** The paper's numbers (test loss of dx/dt, energy MSE of rollouts) each task is compared against. */
const PAPER: Record<
  HnnTask,
  { baseline: { testLoss: number; energyMSE: number }; hnn: { testLoss: number; energyMSE: number } }
> = {
  spring: { baseline: { testLoss: 3.67e-2, energyMSE: 1.71e-1 }, hnn: { testLoss: 3.59e-2, energyMSE: 3.84e-4 } },
  pendulum: { baseline: { testLoss: 3.53e-2, energyMSE: 4.15e-2 }, hnn: { testLoss: 3.56e-2, energyMSE: 2.49e-2 } },
  "two-body": { baseline: { testLoss: 2.96e-5, energyMSE: 6.33e-2 }, hnn: { testLoss: 2.82e-6, energyMSE: 3.88e-5 } },
};

/** hnn-spring runner (registered in ./index.ts). */
export const spring = { run: (opts: ExperimentOptions) => runHnn("spring", opts) };
/** hnn-pendulum runner (registered in ./index.ts). */
export const pendulumTask = { run: (opts: ExperimentOptions) => runHnn("pendulum", opts) };
/** hnn-two-body runner (registered in ./index.ts). */
export const twoBodyTask = { run: (opts: ExperimentOptions) => runHnn("two-body", opts) };
