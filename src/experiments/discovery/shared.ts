/**
 * What the symmetry-discovery experiments share: the diagnostics they report against the true
 * algebra, the generator heat maps they draw, finite-difference gradients of a host target,
 * fitting a small MLP to a regression target whose input gradients stand in for ∇f, and the
 * training loop of the enforce experiments' regressors.
 */
import { tree, type Array as JArray } from "../../jax.js";
import { castTree, fromHost } from "../../core/host.js";
import { makeKey } from "../../core/rng.js";
import { alignedCosines, principalAnglesDeg, toMatrices, type LieBasis } from "../../discovery/algebra.js";
import type { Discovery } from "../../discovery/result.js";
import type { Params } from "../../core/tree.js";
import { MLP, type MLPParams } from "../../nn/layers.js";
import type { Module } from "../../nn/module.js";
import { matrixHeatmaps } from "../../plot/heatmap.js";
import { fit } from "../../train/fit.js";
import { mse, type LossFn } from "../../train/losses.js";
import { adam, cosine } from "../../train/optim.js";
import type { ExperimentOptions, JsonValue } from "../types.js";
import { stepProgress } from "../output.js";

const round = (v: number): number => (Number.isFinite(v) ? Number(v.toPrecision(4)) : v);

/** The numbers every discovery experiment reports, against the true algebra when known. */
export function diagnostics(found: Discovery, truth?: LieBasis): { [k: string]: JsonValue } {
  const angles = truth === undefined || found.basis.k === 0 ? [] : principalAnglesDeg(found.basis, truth);
  return {
    generatorsFound: found.basis.k,
    ...(truth !== undefined ? { generatorsTrue: truth.k } : {}),
    principalAnglesDeg: angles.map(round),
    cosine: truth === undefined ? [] : alignedCosines(found.basis, truth).map((c) => round(c)),
    closureResidual: round(found.closureResidual),
    chosenBy: found.chosenBy,
    spectrum: found.spectrum.slice(0, Math.min(found.spectrum.length, Math.max(12, found.basis.k + 4))).map(round),
  };
}

/** Heat maps of the learned generators (and the true ones below them, when given). */
export function generatorPanels(found: Discovery, truth?: LieBasis, label = "learned"): Promise<string> {
  const learned = toMatrices(found.basis).map((m, i) => ({ title: `${label} ${i + 1}`, matrix: m }));
  const tru = truth === undefined ? [] : toMatrices(truth).map((m, i) => ({ title: `true ${i + 1}`, matrix: m }));
  return matrixHeatmaps([...learned, ...tru], { title: `generators (${found.method}; readable basis of the span)` });
}

/** Central-difference gradients [n, width] of a host scalar function of one sample (float64). */
export function finiteDifferenceGradients(
  f: (x: ArrayLike<number>, o: number) => number,
  x: Float64Array,
  n: number,
  width: number,
  h = 1e-5,
): Float64Array {
  const g = new Float64Array(n * width);
  const xs = Float64Array.from(x);
  for (let s = 0; s < n; s++)
    for (let j = 0; j < width; j++) {
      const i = s * width + j;
      const v = xs[i]!;
      xs[i] = v + h;
      const up = f(xs, s * width);
      xs[i] = v - h;
      const down = f(xs, s * width);
      xs[i] = v;
      g[i] = (up - down) / (2 * h);
    }
  return g;
}

/** Mean and deviation (divisor n) of the first `n` values of y (deviation 1 when it is 0): how the targets here are standardised. */
export function targetScale(y: ArrayLike<number>, n: number): { mean: number; sd: number } {
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i]!;
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (y[i]! - mean) ** 2;
  return { mean, sd: Math.sqrt(v / n) || 1 };
}

/**
 * Trains `model` on (x [n, width], y [n]) for about `steps` Adam steps (cosine lr → lr/100, lr 3e-3 unless given,
 * batches of min(128, n), the last partial batch dropped; `lossFn` replaces the MSE when given)
 * and returns its float32 predictions at testX [nTest, width]. Progress counts from `offset` of `total`.
 */
export async function trainRegressor(
  o: {
    model: Module;
    lossFn?: LossFn;
    x: Float64Array;
    y: Float64Array;
    n: number;
    width: number;
    testX: Float64Array;
    nTest: number;
    steps: number;
    lr?: number;
    seed: number;
    label: string;
    offset?: number;
    total?: number;
  },
  opts: ExperimentOptions,
): Promise<Float32Array> {
  const batch = Math.min(128, o.n);
  const perEpoch = Math.floor(o.n / batch);
  const epochs = Math.max(1, Math.round(o.steps / perEpoch));
  const X = fromHost(o.x.subarray(0, o.n * o.width), [o.n, o.width], { dtype: "float32" });
  const Y = fromHost(o.y.subarray(0, o.n), [o.n, 1], { dtype: "float32" });
  const res = await fit<Params>({
    ...(o.lossFn ? { lossFn: o.lossFn } : { model: o.model, loss: mse }),
    params: o.model.init(makeKey(o.seed)),
    data: { x: X, y: Y },
    epochs,
    batchSize: batch,
    dropLast: true,
    optimizer: adam(),
    schedule: cosine({ lr: o.lr ?? 3e-3, totalSteps: epochs * perEpoch, finalLr: (o.lr ?? 3e-3) / 100 }),
    seed: o.seed,
    onProgress: stepProgress(opts.onProgress, {
      metrics: (p) => ({ [o.label]: p.stepLoss }),
      ...(o.offset !== undefined ? { offset: o.offset } : {}),
      ...(o.total !== undefined ? { total: o.total } : {}),
    }),
  });
  X.dispose();
  Y.dispose();
  tree.dispose(res.optState);
  return (await o.model
    .apply(res.params, fromHost(o.testX, [o.nTest, o.width], { dtype: "float32" }))
    .data()) as Float32Array;
}

/** A trained MLP standing in for an unknown target: its apply bound to its parameters (float64, cpu), and its held-out MSE. */
export interface FittedFunction {
  f: (x: JArray) => JArray;
  testMSE: number;
  dispose(): void;
}

/**
 * Fits an MLP [width → hidden → hidden → 1] (silu) to y on the first `nTrain` rows of (x, y) and
 * measures the MSE on the rest; returns f(x) = MLP(x) in float64 on the cpu device, for
 * autodiff gradients (discoverInvariant). Targets are standardised for training.
 */
export async function fitTarget(
  x: Float64Array,
  y: Float64Array,
  o: { n: number; width: number; nTrain: number; hidden: number; steps: number; seed: number; label: string },
  opts: ExperimentOptions,
): Promise<FittedFunction> {
  const { n, width, nTrain } = o;
  const { mean, sd } = targetScale(y, nTrain);
  const ys = y.map((t) => (t - mean) / sd);
  // Inputs scaled per column to unit variance (the fitted f includes the scaling, so its
  // gradients are those of a function of x).
  const scale = new Float64Array(width);
  for (let j = 0; j < width; j++) {
    let q = 0;
    for (let i = 0; i < nTrain; i++) q += x[i * width + j]! ** 2;
    scale[j] = Math.sqrt(q / nTrain) || 1;
  }
  const xs = x.map((v, i) => v / scale[i % width]!);
  const net = MLP([width, o.hidden, o.hidden, 1], { activation: "silu" });
  const batch = Math.min(256, nTrain);
  const perEpoch = Math.ceil(nTrain / batch);
  const epochs = Math.max(1, Math.round(o.steps / perEpoch));
  const total = epochs * perEpoch;
  const X = fromHost(xs.subarray(0, nTrain * width), [nTrain, width], { dtype: "float32" });
  const Y = fromHost(ys.subarray(0, nTrain), [nTrain, 1], { dtype: "float32" });
  const res = await fit<MLPParams>({
    model: net,
    loss: mse,
    params: net.init(makeKey(o.seed)),
    data: { x: X, y: Y },
    epochs,
    batchSize: batch,
    optimizer: adam(),
    schedule: cosine({ lr: 3e-3, totalSteps: total, finalLr: 3e-5 }),
    seed: o.seed,
    onProgress: stepProgress(opts.onProgress, { metrics: (p) => ({ [`${o.label} fit`]: p.stepLoss }) }),
  });
  tree.dispose(res.optState);
  X.dispose();
  Y.dispose();
  // Held-out MSE in standardised units.
  const nTest = n - nTrain;
  let testMSE = NaN;
  if (nTest > 0) {
    const pred = (await net
      .apply(tree.ref(res.params), fromHost(xs.subarray(nTrain * width), [nTest, width], { dtype: "float32" }))
      .data()) as Float32Array;
    let s = 0;
    for (let i = 0; i < nTest; i++) s += (pred[i]! - ys[nTrain + i]!) ** 2;
    testMSE = s / nTest;
  }
  const p64 = castTree(res.params, { dtype: "float64", device: "cpu" });
  const inv = fromHost(
    scale.map((v) => 1 / v),
    [1, width],
    { dtype: "float64", device: "cpu" },
  );
  return {
    f: (xx) => net.apply(tree.ref(p64), xx.mul(inv.ref)).reshape([-1]),
    testMSE,
    dispose: () => {
      tree.dispose(p64);
      inv.dispose();
    },
  };
}
