/**
 * `mlp-fit`: the smallest end-to-end check of the training stack. Fits a 1→64→64→1 tanh MLP
 * (32 wide with --quick) to y = sin(3x)·x on x ∈ [−2, 2] from noisy samples (σ = 0.05), with
 * Adam and a cosine schedule;
 * reports train/validation loss (noisy data) and test loss (noise-free grid against the truth).
 */
import { tree, type Array as JArray } from "../jax.js";
import { initEngine } from "../core/engine.js";
import { fromHost } from "../core/host.js";
import { hostNormal, hostRng, makeKey, permutation } from "../core/rng.js";
import { MLP, type MLPParams } from "../nn/layers.js";
import { lossCurvePlot, scatterPlot } from "../plot/index.js";
import { mse, modelLoss } from "../train/losses.js";
import { fit } from "../train/fit.js";
import { adam, cosine } from "../train/optim.js";
import { runOutput, stepProgress } from "./output.js";
import type { ExperimentOptions, ExperimentResults } from "./types.js";

const X_MIN = -2;
const X_MAX = 2;
const NOISE = 0.05;
/** Training samples drawn in the prediction plot (keeps the SVG small). */
const MAX_POINTS = 400;

/** The target function y = sin(3x)·x. */
function target(x: number): number {
  return Math.sin(3 * x) * x;
}

interface Split {
  x: Float32Array;
  y: Float32Array;
}

/** Noisy samples split into train (80%) and validation (20%), and a clean test grid. */
function makeData(n: number, nTest: number, seed: number): { train: Split; val: Split; test: Split } {
  const rng = hostRng(seed ^ 0x5eed);
  const noise = hostNormal(n, rng);
  const xs = new Float32Array(n);
  const ys = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    xs[i] = X_MIN + (X_MAX - X_MIN) * rng();
    ys[i] = target(xs[i]!) + NOISE * noise[i]!;
  }
  const nVal = Math.round(n * 0.2);
  const perm = permutation(n, rng);
  const pick = (idx: Int32Array): Split => ({
    x: Float32Array.from(idx, (i) => xs[i]!),
    y: Float32Array.from(idx, (i) => ys[i]!),
  });
  const tx = Float32Array.from({ length: nTest }, (_, i) => X_MIN + ((X_MAX - X_MIN) * i) / (nTest - 1));
  return {
    train: pick(perm.subarray(nVal)),
    val: pick(perm.subarray(0, nVal)),
    test: { x: tx, y: tx.map(target) },
  };
}

function col(a: Float32Array): JArray {
  return fromHost(a, [a.length, 1]);
}

/** Runs mlp-fit (registered, with its description, in ./index.ts). */
export async function run(opts: ExperimentOptions): Promise<ExperimentResults> {
  const t0 = performance.now();
  await initEngine();
  const out = runOutput(opts.outDir);
  const cfg = opts.quick
    ? { n: 512, epochs: 150, batch: 32, hidden: 32 }
    : { n: 2048, epochs: 300, batch: 64, hidden: 64 };
  const lr = 1e-2;
  const data = makeData(cfg.n, 401, opts.seed);
  const net = MLP([1, cfg.hidden, cfg.hidden, 1], { activation: "tanh" });
  const lossFn = modelLoss(net, mse);
  const optimizer = adam();
  const nTrain = data.train.x.length;
  const stepsPerEpoch = Math.ceil(nTrain / cfg.batch);
  const schedule = cosine({ lr, totalSteps: stepsPerEpoch * cfg.epochs, finalLr: lr * 1e-2 });
  opts.log(
    `mlp-fit: ${nTrain} train / ${data.val.x.length} val samples, ${cfg.epochs} epochs × ${stepsPerEpoch} steps, batch ${cfg.batch}`,
  );

  const xTrain = col(data.train.x);
  const yTrain = col(data.train.y);
  const xVal = col(data.val.x);
  const yVal = col(data.val.y);
  const config = {
    experiment: "mlp-fit",
    quick: opts.quick,
    sizes: net.sizes,
    activation: net.activation,
    batch: cfg.batch,
    n: cfg.n,
    noise: NOISE,
  };
  const res = await fit<MLPParams>({
    model: net,
    loss: mse,
    params: net.init(makeKey(opts.seed)),
    data: { x: xTrain, y: yTrain },
    validation: { x: xVal, y: yVal },
    epochs: cfg.epochs,
    batchSize: cfg.batch,
    optimizer,
    schedule,
    seed: opts.seed,
    config,
    checkpoint: out.checkpoint("checkpoint.safetensors", cfg.epochs),
    onProgress: stepProgress(opts.onProgress, {
      metrics: (p) => ({ train: p.trainLoss, ...(p.valLoss !== undefined ? { val: p.valLoss } : {}) }),
    }),
  });
  if (res.stopReason !== "completed") opts.log(`mlp-fit: ${res.message}`);
  const params = res.params;
  const evalLoss = async (x: JArray, y: JArray): Promise<number> => (await lossFn(tree.ref(params), x, y).data())[0]!;

  const trainLoss = await evalLoss(xTrain, yTrain);
  const valLoss = await evalLoss(xVal, yVal);
  const xTest = col(data.test.x);
  const pred = (await net.apply(tree.ref(params), xTest.ref).data()) as Float32Array;
  const testLoss = await evalLoss(xTest, col(data.test.y));
  out.write(
    "loss.svg",
    await lossCurvePlot({
      title: "mlp-fit: loss per epoch",
      curves: [{ name: "", history: res.history }],
      yLabel: "MSE",
    }),
  );
  out.write(
    "prediction.svg",
    await scatterPlot({
      title: "mlp-fit: prediction vs truth",
      series: [
        { name: "train samples", x: data.train.x.subarray(0, MAX_POINTS), y: data.train.y.subarray(0, MAX_POINTS) },
      ],
      lines: [
        { name: "truth sin(3x)·x", x: data.test.x, y: data.test.y },
        { name: "MLP prediction", x: data.test.x, y: pred },
      ],
      xLabel: "x",
      yLabel: "y",
      pointSize: 8,
    }),
  );
  tree.dispose([params, res.optState]);

  const results: ExperimentResults = {
    task: "y = sin(3x)·x, x ∈ [−2, 2], noise σ = 0.05",
    trainLoss,
    valLoss,
    testLoss,
    epochs: res.epochs,
    steps: res.steps,
    seconds: (performance.now() - t0) / 1000,
  };
  return out.results(results);
}
