/**
 * `soft-vs-exact`: where does encouraging a symmetry catch up with building it in? On tasks with
 * a known symmetry, over training-set sizes N, five models:
 * - mlp: a plain MLP;
 * - penalty: the MLP + the equivariance penalty of noether/soft (K fixed sampled elements),
 *   at three weights (`penaltyByWeight`; `penalty` is the middle weight, fixed in advance, not
 *   chosen on the test set);
 * - augmentation: the MLP on data moved by a fresh group element per sample per step;
 * - augerino: the MLP averaged over exp(Σ uᵢwᵢAᵢ) with learned widths on the Lie algebra
 *   (expected loss over copies − λ‖w‖);
 * - exact: EMLP on the group.
 * Test error: MSE on standardised targets. Equivariance error: the shared harness's relative
 * error over sampled elements of the data's group (float32 on wasm, as trained).
 * Tasks: EMLP's O(5)-invariant regression (quick: the only one) and the O(3) inertia tensor
 * (full; EMLP on SO(3), penalties and augmentation under O(3), Augerino on so(3) with the
 * equivariant average).
 *
 * Measured (quick, seed 0; N = 100 / 300, 300 steps): test MSE mlp 0.42 / 0.13, penalty w = 0.1
 * 0.19 / 0.12, w = 1 0.092 / 0.099, w = 10 0.10 / 0.15, augmentation 0.11 / 0.10, augerino
 * 0.12 / 0.083 (widths 0.7–0.98 from 0.5 on so(5)'s 10 generators), exact 0.013 / 0.016;
 * equivariance error 0.68 / 0.19, 0.18 / 0.10 (w = 1), 0.12 / 0.10, 0.19 / 0.063, 3e-7 / 3e-7.
 * Augerino's widths with λ = 0.01 and init 0.1 (the squared-norm reward, an earlier version): all
 * fell to ~0 at N = 100 and the model was the MLP (0.41); hence λ = 0.1, init 0.5 and ‖w‖.
 */
import { tree, type Array as JArray } from "../../jax.js";
import { initEngine } from "../../core/engine.js";
import { fromHost } from "../../core/host.js";
import { hostRng, makeKey } from "../../core/rng.js";
import type { Params } from "../../core/tree.js";
import {
  firstRows,
  inertia,
  o5Synthetic,
  standardization,
  standardize,
  type SyntheticData,
} from "../../data/emlp-synthetic.js";
import { O, SO, type Group } from "../../groups/index.js";
import { EMLP } from "../../layers/emlp/model.js";
import { MLP } from "../../nn/layers.js";
import type { Module } from "../../nn/module.js";
import { linePlot, type Series } from "../../plot/index.js";
import { repAction } from "../../reps/action.js";
import { Scalar, T, V, type Rep } from "../../reps/rep.js";
import { augerino, augerinoLoss, augerinoWidths } from "../../soft/augerino.js";
import { equivariancePenalty, penalizedLoss } from "../../soft/penalty.js";
import { equivarianceError } from "../../testing/equivariance.js";
import { mse, modelLoss } from "../../train/losses.js";
import { runOutput } from "../output.js";
import { intListParam, intParam, stringListParam } from "../params.js";
import type { ExperimentOptions, ExperimentResults, JsonValue } from "../types.js";
import { actRows, hostMse, predictHost, sig, trainHost } from "./shared.js";

const MODELS = ["mlp", "penalty", "augmentation", "augerino", "exact"] as const;
type ModelName = (typeof MODELS)[number];

interface Task {
  name: string;
  key: "o5" | "inertia";
  /** The data's symmetry (penalty, augmentation, equivariance error). */
  dataGroup: () => Group;
  /** The group EMLP and Augerino are built on. */
  modelGroup: () => Group;
  repIn: (G: Group) => Rep;
  repOut: (G: Group) => Rep;
  make: (n: number, rng: () => number) => SyntheticData;
}

const TASKS: Task[] = [
  {
    name: "o5-invariant",
    key: "o5",
    dataGroup: () => O(5),
    modelGroup: () => O(5),
    repIn: (G) => V(G).times(2),
    repOut: (G) => Scalar(G),
    make: o5Synthetic,
  },
  {
    name: "o3-inertia",
    key: "inertia",
    dataGroup: () => O(3),
    modelGroup: () => SO(3),
    repIn: (G) => Scalar(G).times(5).sum(V(G).times(5)),
    repOut: (G) => T(2, 0, G),
    make: (n, rng) => inertia(n, rng, 5),
  },
];

interface Config {
  tasks: string[];
  sizes: number[];
  steps: number;
  batch: number;
  lr: number;
  mlpHidden: number;
  channels: number;
  penaltyWeights: number[];
  penaltySamples: number;
  augerinoCopies: number;
  augerinoLambda: number;
  /** Initial Augerino width of every generator. */
  augerinoInit: number;
  nTest: number;
  eqSamples: number;
}

const QUICK: Config = {
  tasks: ["o5-invariant"],
  sizes: [100, 300],
  steps: 300,
  batch: 100,
  lr: 3e-3,
  mlpHidden: 64,
  channels: 32,
  penaltyWeights: [0.1, 1, 10],
  penaltySamples: 4,
  augerinoCopies: 4,
  augerinoLambda: 0.1,
  augerinoInit: 0.5,
  nTest: 1000,
  eqSamples: 8,
};
const FULL: Config = {
  tasks: ["o5-invariant", "o3-inertia"],
  sizes: [30, 100, 300, 1000, 3000],
  steps: 3000,
  batch: 500,
  lr: 3e-3,
  mlpHidden: 256,
  channels: 128,
  penaltyWeights: [0.1, 1, 10],
  penaltySamples: 8,
  augerinoCopies: 8,
  augerinoLambda: 0.1,
  augerinoInit: 0.5,
  nTest: 5000,
  eqSamples: 16,
};

interface Run {
  testError: number;
  equivarianceError: number;
  widths?: number[];
}

async function trainOne(
  task: Task,
  kind: ModelName,
  weight: number,
  train: SyntheticData,
  test: SyntheticData,
  cfg: Config,
  seed: number,
): Promise<Run> {
  const Gd = task.dataGroup();
  const Gm = task.modelGroup();
  const rinD = task.repIn(Gd);
  const routD = task.repOut(Gd);
  const mlp = MLP([train.nIn, cfg.mlpHidden, cfg.mlpHidden, train.nOut], { activation: "silu" });
  let apply: (p: Params, x: JArray) => JArray;
  let init: (k: JArray) => Params;
  let lossFn = modelLoss(mlp as Module, mse);
  let widthsOf: ((p: Params) => number[]) | null = null;
  if (kind === "exact") {
    const net = EMLP(task.repIn(Gm), task.repOut(Gm), Gm, { channels: cfg.channels, layers: 2 });
    apply = (p, x) => net.apply(p as never, x);
    init = (k) => net.init(k);
    lossFn = modelLoss({ apply }, mse);
  } else if (kind === "augerino") {
    const aug = augerino(mlp, task.repIn(Gm), {
      ...(task.repOut(Gm).size > 1 ? { repOut: task.repOut(Gm) } : {}),
      copies: cfg.augerinoCopies,
      init: cfg.augerinoInit,
    });
    apply = (p, x) => aug.apply(p as never, x);
    init = (k) => aug.init(k) as unknown as Params;
    lossFn = augerinoLoss(aug, mse, cfg.augerinoLambda) as never;
    widthsOf = (p) => augerinoWidths(p as never);
  } else {
    apply = (p, x) => mlp.apply(p as never, x);
    init = (k) => mlp.init(k) as unknown as Params;
    if (kind === "penalty")
      lossFn = penalizedLoss(
        mlp as Module,
        mse,
        equivariancePenalty(mlp as Module, Gd, rinD, routD, { samples: cfg.penaltySamples, seed, weight }),
      );
  }
  const augment =
    kind === "augmentation"
      ? (xb: Float64Array, yb: Float64Array, rng: () => number): [Float64Array, Float64Array] => {
          const gs = Array.from({ length: xb.length / train.nIn }, () => Gd.sample(rng));
          return [actRows(rinD, gs, xb), routD.size === 1 ? yb : actRows(routD, gs, yb)];
        }
      : undefined;
  const params = trainHost({
    lossFn,
    params: init(makeKey(seed)),
    x: train.x,
    y: train.y,
    n: train.n,
    nIn: train.nIn,
    nOut: train.nOut,
    steps: cfg.steps,
    batch: cfg.batch,
    lr: cfg.lr,
    seed,
    ...(augment ? { augment } : {}),
  });
  try {
    const pred = predictHost(apply, params, test.x, test.n, test.nIn);
    const nEq = 32;
    const eq = await equivarianceError((x) => apply(tree.ref(params), x), {
      group: Gd,
      actIn: repAction(rinD),
      actOut: repAction(routD),
      input: ({ dtype }) => fromHost(test.x.subarray(0, nEq * test.nIn), [nEq, test.nIn], { dtype }),
      samples: cfg.eqSamples,
      dtype: "float32",
      device: "wasm",
      seed,
    });
    return {
      testError: hostMse(pred, test.y),
      equivarianceError: eq.maxError,
      ...(widthsOf ? { widths: widthsOf(params).map(sig) } : {}),
    };
  } finally {
    tree.dispose(params);
  }
}

export async function run(opts: ExperimentOptions): Promise<ExperimentResults> {
  await initEngine();
  const out = runOutput(opts.outDir);
  const base = opts.quick ? QUICK : FULL;
  const p = opts.params;
  const cfg: Config = {
    ...base,
    tasks: stringListParam(p, "tasks") ?? base.tasks,
    sizes: intListParam(p, "sizes") ?? base.sizes,
    steps: intParam(p, "steps") ?? base.steps,
  };
  const tasks = TASKS.filter((t) => cfg.tasks.includes(t.name));
  const midWeight = cfg.penaltyWeights[Math.floor(cfg.penaltyWeights.length / 2)]!;
  const runsPerSize = MODELS.length - 1 + cfg.penaltyWeights.length;
  const total = tasks.length * cfg.sizes.length * runsPerSize;
  let done = 0;
  const results: JsonValue[] = [];
  const testSeries: Series[] = [];
  const eqSeries: Series[] = [];
  for (const task of tasks) {
    const rng = hostRng(opts.seed * 1000 + TASKS.indexOf(task));
    const pool = task.make(Math.max(...cfg.sizes), rng);
    const testRaw = task.make(cfg.nTest, rng);
    const testError: Record<ModelName, number[]> = { mlp: [], penalty: [], augmentation: [], augerino: [], exact: [] };
    const equivarianceErr: Record<ModelName, number[]> = {
      mlp: [],
      penalty: [],
      augmentation: [],
      augerino: [],
      exact: [],
    };
    const byWeight: Record<string, { testError: number[]; equivarianceError: number[] }> = {};
    for (const w of cfg.penaltyWeights) byWeight[String(w)] = { testError: [], equivarianceError: [] };
    const widths: number[][] = [];
    for (const N of cfg.sizes) {
      const trainRaw = firstRows(pool, N);
      const st = standardization(task.key, trainRaw);
      const train = standardize(trainRaw, st);
      const test = standardize(testRaw, st);
      for (const m of MODELS) {
        const weights = m === "penalty" ? cfg.penaltyWeights : [0];
        for (const w of weights) {
          const t0 = performance.now();
          const r = await trainOne(task, m, w, train, test, cfg, opts.seed + N);
          done++;
          opts.onProgress({ done, total, unit: "models", metrics: { [`${task.name} N=${N} ${m}`]: r.testError } });
          opts.log(
            `${task.name} N=${N} ${m}${m === "penalty" ? ` (w=${w})` : ""}: test MSE ${r.testError.toPrecision(3)}, equivariance error ${r.equivarianceError.toExponential(2)}${r.widths ? `, widths ${r.widths.join(" ")}` : ""} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
          );
          if (m === "penalty") {
            byWeight[String(w)]!.testError.push(sig(r.testError));
            byWeight[String(w)]!.equivarianceError.push(sig(r.equivarianceError));
            if (w !== midWeight) continue;
          }
          testError[m].push(sig(r.testError));
          equivarianceErr[m].push(sig(r.equivarianceError));
          if (r.widths) widths.push(r.widths);
        }
      }
      out.partial({
        tasks: [...results, { name: task.name, sizes: cfg.sizes, testError, equivarianceError: equivarianceErr }],
      });
    }
    for (const m of MODELS) {
      const dashed = task !== tasks[0];
      testSeries.push({ name: `${task.name}: ${m}`, group: m, x: cfg.sizes, y: testError[m], dashed });
      eqSeries.push({ name: `${task.name}: ${m}`, group: m, x: cfg.sizes, y: equivarianceErr[m], dashed });
    }
    results.push({
      name: task.name,
      sizes: cfg.sizes,
      testError,
      equivarianceError: equivarianceErr,
      penaltyByWeight: byWeight,
      penaltyWeight: midWeight,
      augerinoWidths: widths,
    });
  }
  const note = tasks.length > 1 ? `; solid: ${tasks[0]!.name}, dashed: ${tasks[1]!.name}` : "";
  out.write(
    "test-error.svg",
    await linePlot({
      title: `soft vs exact symmetry: test MSE (standardised) vs N${note}`,
      series: testSeries,
      xLabel: "training set size N",
      yLabel: "test MSE",
      logX: true,
      logY: true,
    }),
  );
  out.write(
    "equivariance-error.svg",
    await linePlot({
      title: `soft vs exact symmetry: relative equivariance error vs N${note}`,
      series: eqSeries,
      xLabel: "training set size N",
      yLabel: "equivariance error",
      logX: true,
      logY: true,
    }),
  );
  return out.results({
    task: "MLP, MLP + equivariance penalty, augmentation, Augerino and EMLP on tasks with a known symmetry, over training-set sizes: test MSE and equivariance error",
    tasks: results,
    config: cfg as unknown as JsonValue,
  });
}
