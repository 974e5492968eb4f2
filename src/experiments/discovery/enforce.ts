/**
 * `discover-then-enforce` — noether's headline: a regression task with a hidden symmetry that is
 * NOT given to the model. From data alone, noether fits an MLP, finds the Lie algebra its
 * gradients annihilate (src/discovery/invariant.ts), turns it into a group
 * (src/discovery/group.ts) and trains an EMLP on that learned group through the same solver as a
 * textbook group. Over training-set sizes it compares
 * - mlp: a plain MLP;
 * - mlpPenalty: the MLP plus an invariance penalty under the discovered group,
 *   λ·mean_k ‖f(g_k·x) − f(x)‖² over K fixed sampled elements;
 * - emlpDiscovered: EMLP on the discovered group;
 * - emlpTrue: EMLP on the true group (the oracle).
 * Tasks: EMLP's O(5)-invariant target, and one whose hidden group is a non-orthogonal conjugate
 * A·SO(3)·A⁻¹ (inputs x = A u, target sin‖u₁‖ − ¼‖u₂‖² + ½u₁·u₂, SO(3)-invariant in u), which no
 * textbook group fits.
 * The discovery uses its own sample (`discoverySamples`), the same for every training size.
 */
import { inverse, matmul } from "../../core/matrix.js";
import { hostNormal, hostRng } from "../../core/rng.js";
import { o5Target } from "../../data/emlp-synthetic.js";
import type { LieBasis } from "../../discovery/algebra.js";
import { groupFromGenerators, groupToJSON } from "../../discovery/group.js";
import { discoverInvariant } from "../../discovery/invariant.js";
import type { Discovery } from "../../discovery/result.js";
import { O, SO, customGroup } from "../../groups/catalog.js";
import type { Group } from "../../groups/group.js";
import { EMLP } from "../../layers/emlp/model.js";
import { MLP } from "../../nn/layers.js";
import type { Module } from "../../nn/module.js";
import { linePlot, type Series } from "../../plot/index.js";
import { Scalar, V } from "../../reps/rep.js";
import { invariancePenalty, penalizedLoss } from "../../soft/penalty.js";
import { mse, type LossFn } from "../../train/losses.js";
import type { ExperimentOptions, ExperimentResults, JsonValue } from "../types.js";
import { runOutput } from "../output.js";
import { intListParam, intParam, numberParam, stringListParam } from "../params.js";
import { diagnostics, fitTarget, targetScale, trainRegressor } from "./shared.js";

/** A task: samples of two d-vectors and an invariant target, and its true group. */
interface Task {
  name: string;
  d: number;
  /** EMLP hidden channels in the quick form (the full form uses the config's). */
  quickChannels: number;
  /** Adam steps per model in the quick form (the full form uses the config's). */
  quickSteps: number;
  truth: Group;
  sample(n: number, rng: () => number): { x: Float64Array; y: Float64Array };
}

/**
 * A fixed non-orthogonal 3×3 matrix (shear and anisotropic scale, condition number 1.6). With a
 * strongly non-orthogonal A (condition number 5.9, measured) the constraint of the conjugate group
 * has intrinsically small singular values (~1e-2 relative) that a learned group's ~1° errors
 * cannot be told apart from, and EMLP on the discovered group picked up spurious maps (623 vs 325).
 */
const A = Float64Array.of(1.2, 0.3, 0, 0, 1, 0.25, 0.15, 0, 0.9);
const Ainv = inverse(A, 3);

const TASKS: Task[] = [
  {
    name: "o5-invariant",
    d: 5,
    quickChannels: 32,
    quickSteps: 300,
    truth: O(5),
    sample(n, rng) {
      const x = hostNormal(n * 10, rng);
      return { x, y: Float64Array.from({ length: n }, (_, k) => o5Target(x, k * 10)) };
    },
  },
  {
    name: "conjugate-so3",
    d: 3,
    // uniformRep(32) over ℝ³ is 14 scalars, V*, 2V and V⊗V*: too little for EMLP to fit this target.
    quickChannels: 64,
    // EMLP alone, N = 1000, lr 1e-2 (seed 0, measured): 300 steps left it at test MSE 0.032 (still
    // fitting: train 0.029); 600 steps, 0.00093. (At lr 3e-3 every model was under-trained: EMLP
    // 0.015–0.044 and the MLP 0.047 at N = 300 after 600 steps; at 1e-2, 0.0008–0.0011 and 0.0075.)
    quickSteps: 600,
    truth: (() => {
      const so3 = SO(3);
      const gens = Array.from({ length: 3 }, (_, k) => matmul(matmul(A, so3.lieGenerator(k), 3, 3, 3), Ainv, 3, 3, 3));
      return customGroup({ name: "A·SO(3)·A⁻¹", d: 3, lieAlgebra: gens });
    })(),
    sample(n, rng) {
      const u = hostNormal(n * 6, rng);
      const x = new Float64Array(n * 6);
      const y = new Float64Array(n);
      for (let k = 0; k < n; k++) {
        for (let c = 0; c < 2; c++)
          for (let i = 0; i < 3; i++) {
            let s = 0;
            for (let j = 0; j < 3; j++) s += A[i * 3 + j]! * u[k * 6 + c * 3 + j]!;
            x[k * 6 + c * 3 + i] = s;
          }
        const u1 = u.subarray(k * 6, k * 6 + 3);
        const u2 = u.subarray(k * 6 + 3, k * 6 + 6);
        const n1 = Math.hypot(...u1);
        const n2 = Math.hypot(...u2);
        y[k] = Math.sin(n1) - 0.25 * n2 * n2 + 0.5 * (u1[0]! * u2[0]! + u1[1]! * u2[1]! + u1[2]! * u2[2]!);
      }
      return { x, y };
    },
  },
];

const MODELS = ["mlp", "mlpPenalty", "emlpDiscovered", "emlpTrue"] as const;
type ModelName = (typeof MODELS)[number];

interface Config {
  sizes: number[];
  nTest: number;
  discoverySamples: number;
  discoveryFitSteps: number;
  steps: number;
  /** Peak Adam learning rate of every model in the sweep (cosine decay to lr/100). */
  lr: number;
  channels: number;
  mlpHidden: number;
  penaltyWeight: number;
  penaltyElements: number;
}

const QUICK: Config = {
  sizes: [100, 300, 1000],
  nTest: 500,
  discoverySamples: 1000,
  discoveryFitSteps: 800,
  steps: 300,
  lr: 1e-2,
  channels: 32,
  mlpHidden: 64,
  penaltyWeight: 1,
  penaltyElements: 4,
};
const FULL: Config = {
  sizes: [30, 100, 300, 1000, 3000, 10000],
  nTest: 5000,
  discoverySamples: 3000,
  discoveryFitSteps: 4000,
  steps: 3000,
  lr: 3e-3,
  channels: 128,
  mlpHidden: 256,
  penaltyWeight: 1,
  penaltyElements: 8,
};

/** Trains `model` (see trainRegressor; cosine cfg.lr → cfg.lr/100) and returns its test MSE (standardised y). */
async function trainAndTest(
  model: Module,
  lossFn: LossFn | undefined,
  data: { x: Float64Array; y: Float64Array; n: number; test: { x: Float64Array; y: Float64Array; n: number } },
  width: number,
  o: { steps: number; lr: number; seed: number; label: string; offset: number; total: number },
  opts: ExperimentOptions,
): Promise<number> {
  const pred = await trainRegressor(
    {
      model,
      ...(lossFn ? { lossFn } : {}),
      x: data.x,
      y: data.y,
      n: data.n,
      width,
      testX: data.test.x,
      nTest: data.test.n,
      ...o,
    },
    opts,
  );
  let s = 0;
  for (let i = 0; i < data.test.n; i++) s += (pred[i]! - data.test.y[i]!) ** 2;
  return s / data.test.n;
}

/** The number of equivariant linear maps an EMLP is built from (Σ of its linear layers' basis ranks). */
function equivariantMaps(G: Group, channels: number): number {
  const net = EMLP(V(G).times(2), Scalar(G), G, { channels, layers: 2 });
  return net.layers.reduce(
    (n, l) =>
      n +
      ((l as { linear?: { basis: { rank: number } } }).linear?.basis.rank ??
        (l as unknown as { basis: { rank: number } }).basis.rank),
    0,
  );
}

/**
 * The expectation, checked on every run rather than assumed: EMLP on the discovered group
 * within a factor 2 of EMLP on the true group, and at most half the MLP's test MSE, at every size.
 */
function expectation(t: Record<ModelName, number[]>): JsonValue {
  const ratio = (a: number[], b: number[]): number[] => a.map((v, i) => Number((v / b[i]!).toPrecision(3)));
  const overTrue = ratio(t.emlpDiscovered, t.emlpTrue);
  const overMlp = ratio(t.emlpDiscovered, t.mlp);
  return {
    criterion: "emlpDiscovered ≤ 2 × emlpTrue and ≤ 0.5 × mlp at every size",
    discoveredOverTrue: overTrue,
    discoveredOverMlp: overMlp,
    holds: overTrue.every((r) => r <= 2) && overMlp.every((r) => r <= 0.5),
  };
}

/** y standardised by the training part's mean and deviation. */
function standardise(train: Float64Array, ...rest: Float64Array[]): Float64Array[] {
  const { mean, sd } = targetScale(train, train.length);
  return [train, ...rest].map((a) => a.map((v) => (v - mean) / sd));
}

export async function run(opts: ExperimentOptions): Promise<ExperimentResults> {
  const out = runOutput(opts.outDir);
  const p = opts.params;
  const base = opts.quick ? QUICK : FULL;
  const cfg: Config = {
    ...base,
    sizes: intListParam(p, "sizes") ?? base.sizes,
    steps: intParam(p, "steps") ?? base.steps,
    lr: numberParam(p, "lr") ?? base.lr,
    channels: intParam(p, "channels") ?? base.channels,
    discoverySamples: intParam(p, "discoverySamples") ?? base.discoverySamples,
  };
  const chosen = stringListParam(p, "tasks") ?? TASKS.map((t) => t.name);
  const tasks = TASKS.filter((t) => chosen.includes(t.name));
  const results: JsonValue[] = [];
  const series: Series[] = [];
  const stepsOf = (t: Task): number => intParam(p, "steps") ?? (opts.quick ? t.quickSteps : cfg.steps);
  const totalSteps = tasks.reduce(
    (n, t) => n + cfg.sizes.length * MODELS.length * stepsOf(t) + cfg.discoveryFitSteps,
    0,
  );
  let done = 0;
  for (const task of tasks) {
    // Seeded by the task's place in TASKS, so a run of one task reproduces its numbers in a run of both.
    const rng = hostRng(opts.seed * 1000 + TASKS.indexOf(task));
    const width = 2 * task.d;
    // 1. Discover, from a sample of the task's own data: an MLP's input gradients → algebra → group.
    const disc = task.sample(cfg.discoverySamples, rng);
    const nFit = Math.round(0.8 * cfg.discoverySamples);
    const t0 = performance.now();
    const fitted = await fitTarget(
      disc.x,
      disc.y,
      {
        n: cfg.discoverySamples,
        width,
        nTrain: nFit,
        hidden: 128,
        steps: cfg.discoveryFitSteps,
        seed: opts.seed,
        label: `${task.name} discovery fit`,
      },
      opts,
    );
    const nAt = Math.min(300, cfg.discoverySamples);
    let found: Discovery;
    try {
      found = await discoverInvariant(fitted.f, disc.x.subarray(0, nAt * width), { n: nAt, width }, { copies: 2 });
    } finally {
      fitted.dispose();
    }
    const learned = groupFromGenerators(found, { name: `learned(${task.name})`, closureTol: 0.1 });
    out.write(
      `group-${task.name}.json`,
      `${JSON.stringify(
        groupToJSON(learned, {
          method: found.method,
          spectrum: found.spectrum.slice(0, 16),
          closureResidual: found.closureResidual,
        }),
        null,
        2,
      )}\n`,
    );
    const discoverySeconds = (performance.now() - t0) / 1000;
    const truthBasis: LieBasis = { d: task.d, k: task.truth.D, generators: task.truth.lieAlgebra };
    opts.log(
      `${task.name}: discovered ${found.basis.k} generators (true ${task.truth.D}), solveTol ${learned.solveTol?.toExponential(2)}, ${discoverySeconds.toFixed(1)} s`,
    );
    done += cfg.discoveryFitSteps;
    // 2. The sweep: the same train/test data for all four models.
    const test = task.sample(cfg.nTest, rng);
    const full = task.sample(Math.max(...cfg.sizes), rng);
    const testMSE: Record<ModelName, number[]> = { mlp: [], mlpPenalty: [], emlpDiscovered: [], emlpTrue: [] };
    const channels = intParam(p, "channels") ?? (opts.quick ? task.quickChannels : cfg.channels);
    const steps = stepsOf(task);
    const elements = Array.from({ length: cfg.penaltyElements }, () => learned.sample(rng));
    for (const N of cfg.sizes) {
      const [ytr, yte] = standardise(full.y.subarray(0, N), test.y);
      const data = { x: full.x.subarray(0, N * width), y: ytr!, n: N, test: { x: test.x, y: yte!, n: cfg.nTest } };
      for (const m of MODELS) {
        const G = m === "emlpTrue" ? task.truth : learned;
        const model: Module =
          m === "emlpDiscovered" || m === "emlpTrue"
            ? EMLP(V(G).times(2), Scalar(G), G, { channels, layers: 2 })
            : MLP([width, cfg.mlpHidden, cfg.mlpHidden, 1], { activation: "silu" });
        const penalty =
          m === "mlpPenalty"
            ? penalizedLoss(
                model,
                mse,
                invariancePenalty(model, learned, V(learned).times(2), { elements, weight: cfg.penaltyWeight }),
              )
            : undefined;
        const e = await trainAndTest(
          model,
          penalty,
          data,
          width,
          {
            steps,
            lr: cfg.lr,
            seed: opts.seed + N,
            label: `${task.name} N=${N} ${m}`,
            offset: done,
            total: totalSteps,
          },
          opts,
        );
        done += steps;
        testMSE[m].push(Number(e.toPrecision(4)));
        opts.log(`${task.name} N=${N} ${m}: test MSE ${e.toPrecision(3)}`);
      }
      out.partial({ tasks: [...results, { name: task.name, sizes: cfg.sizes.slice(0, testMSE.mlp.length), testMSE }] });
    }
    for (const m of MODELS)
      series.push({
        name: `${task.name}: ${m}`,
        group: m,
        x: cfg.sizes,
        y: testMSE[m],
        dashed: task.name !== TASKS[0]!.name,
      });
    const diag = diagnostics(found, truthBasis);
    results.push({
      name: task.name,
      sizes: cfg.sizes,
      testMSE,
      expectation: expectation(testMSE),
      steps,
      discovery: {
        principalAnglesDeg: diag.principalAnglesDeg!,
        closureResidual: diag.closureResidual!,
        generatorsFound: found.basis.k,
        generatorsTrue: task.truth.D,
        solveTol: learned.solveTol ?? null,
        equivariantMaps: {
          discovered: equivariantMaps(learned, channels),
          true: equivariantMaps(task.truth, channels),
        },
        emlpChannels: channels,
        spectrum: diag.spectrum!,
        seconds: Number(discoverySeconds.toFixed(2)),
      },
    });
  }
  out.write(
    "test-mse.svg",
    await linePlot({
      title: "discover → enforce: test MSE (standardised) vs training size; solid: O(5) task, dashed: A·SO(3)·A⁻¹",
      series,
      xLabel: "training set size N",
      yLabel: "test MSE",
      logX: true,
      logY: true,
    }),
  );
  return out.results({
    task: "a hidden symmetry found from data (MLP gradients → Lie algebra → group) and enforced by EMLP, against an MLP, an MLP with an invariance penalty, and EMLP on the true group",
    tasks: results,
    config: {
      ...cfg,
      steps: Object.fromEntries(tasks.map((t) => [t.name, stepsOf(t)])),
      discoveryMethod: "invariant (autodiff gradients of an MLP fitted to a separate sample)",
      penalty: "mean over fixed sampled elements of the discovered group",
    } as unknown as JsonValue,
  });
}
