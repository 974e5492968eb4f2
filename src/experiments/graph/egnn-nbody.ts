/**
 * `egnn-nbody`: EGNN's charged-particle task (Satorras, Hoogeboom & Welling 2021, Table 2):
 * 5 particles in 3-D with charges ±1; from positions, velocities and charges at frame 30, predict
 * the positions 1000 simulator steps later (src/data/graphs.ts `chargedNBody`). Fully connected
 * graphs, edge attribute qᵢqⱼ; batch 100; MSE on positions.
 *
 * Models (as the paper's code, vgsatorras/egnn): EGNN (velocity variant, h₀ = ‖v‖, 4 layers of
 * 64, SiLU, Adam lr 5e-4), the plain GNN (node input [x, v], same message passing, decoder to
 * positions, lr 1e-3), and a linear baseline x + c·v (c by least squares on the training set).
 * The test MSE is taken at the epoch of the best validation MSE. Full size: 3000 / 2000 / 2000
 * samples; the paper trains 10000 epochs, we far fewer (`epochs` in results.json).
 */
import { jit, tree, type Array as JArray, type JsTree } from "../../jax.js";
import { initEngine } from "../../core/engine.js";
import { fromHost, toFloat64 } from "../../core/host.js";
import { makeKey, splitKey } from "../../core/rng.js";
import { chargedNBody, type ChargedSample } from "../../data/graphs.js";
import { egnn, messagePassingGNN, type EGNNParams, type GNNParams } from "../../layers/graph/egnn.js";
import { fullyConnected } from "../../layers/graph/graphs.js";
import { linePlot, scatterPlot } from "../../plot/index.js";
import { mse } from "../../train/losses.js";
import { adam } from "../../train/optim.js";
import { runOutput } from "../output.js";
import type { ExperimentOptions, ExperimentResults, JsonValue } from "../types.js";
import { cosineLr, trainBatches } from "./shared.js";

const N_PART = 5;

interface Batch {
  [k: string]: JArray;
  speed: JArray;
  nodes: JArray;
  x: JArray;
  v: JArray;
  attr: JArray;
  senders: JArray;
  receivers: JArray;
  nNode: JArray;
  nEdge: JArray;
  y: JArray;
}

/** Batches of `size` systems as arrays (float32 on the default device). */
function makeBatches(samples: ChargedSample[], size: number): Batch[] {
  const { senders, receivers } = fullyConnected(N_PART);
  const e = senders.length;
  const out: Batch[] = [];
  for (let b0 = 0; b0 < samples.length; b0 += size) {
    const group = samples.slice(b0, b0 + size);
    const B = group.length;
    const x = new Float64Array(B * N_PART * 3);
    const v = new Float64Array(B * N_PART * 3);
    const y = new Float64Array(B * N_PART * 3);
    const nodes = new Float64Array(B * N_PART * 6);
    const speed = new Float64Array(B * N_PART);
    const attr = new Float64Array(B * e);
    const s = new Int32Array(B * e);
    const r = new Int32Array(B * e);
    group.forEach((g, b) => {
      x.set(g.x, b * N_PART * 3);
      v.set(g.v, b * N_PART * 3);
      y.set(g.target, b * N_PART * 3);
      for (let i = 0; i < N_PART; i++) {
        const vi = g.v.subarray(3 * i, 3 * i + 3);
        speed[b * N_PART + i] = Math.hypot(vi[0]!, vi[1]!, vi[2]!);
        nodes.set(g.x.subarray(3 * i, 3 * i + 3), (b * N_PART + i) * 6);
        nodes.set(vi, (b * N_PART + i) * 6 + 3);
      }
      for (let k = 0; k < e; k++) {
        s[b * e + k] = b * N_PART + senders[k]!;
        r[b * e + k] = b * N_PART + receivers[k]!;
        attr[b * e + k] = g.charges[senders[k]!]! * g.charges[receivers[k]!]!;
      }
    });
    const f = { dtype: "float32" as const };
    const i = { dtype: "int32" as const };
    const N = B * N_PART;
    out.push({
      speed: fromHost(speed, [N, 1], f),
      nodes: fromHost(nodes, [N, 6], f),
      x: fromHost(x, [N, 3], f),
      v: fromHost(v, [N, 3], f),
      attr: fromHost(attr, [B * e, 1], f),
      senders: fromHost(s, [B * e], i),
      receivers: fromHost(r, [B * e], i),
      nNode: fromHost(new Array<number>(B).fill(N_PART), [B], i),
      nEdge: fromHost(new Array<number>(B).fill(e), [B], i),
      y: fromHost(y, [N, 3], f),
    });
  }
  return out;
}

const uniformOf = (b: Batch) => ({ nodes: N_PART, edges: b.senders.shape[0]! / b.nNode.shape[0]! });

/** Model predictions [N, 3] of a batch (consumes params and batch). */
type Predict<P> = (params: P, b: Batch) => JArray;

/** Mean over all coordinates of (prediction − target)² on a split (params borrowed). */
function splitMSE<P extends object>(predict: (p: P, b: Batch) => JArray, params: P, batches: Batch[]): number {
  let s = 0;
  let n = 0;
  for (const b of batches) {
    const pred = toFloat64(predict(tree.ref(params as never), tree.ref(b) as Batch));
    const y = toFloat64(b.y.ref);
    for (let i = 0; i < y.length; i++) s += (pred[i]! - y[i]!) ** 2;
    n += y.length;
  }
  return s / n;
}

function dispose(batches: Batch[]): void {
  for (const b of batches) tree.dispose(b);
}

/** The sizes of a run. */
interface Config {
  train: number;
  val: number;
  test: number;
  epochs: number;
  hidden: number;
  layers: number;
  batch: number;
}

const QUICK: Config = { train: 300, val: 100, test: 200, epochs: 30, hidden: 32, layers: 4, batch: 100 };
const FULL: Config = { train: 3000, val: 2000, test: 2000, epochs: 100, hidden: 64, layers: 4, batch: 100 };

/** The paper's Table 2 (test MSE on positions). */
const PAPER = {
  source:
    "Satorras, Hoogeboom & Welling 2021, E(n) Equivariant Graph Neural Networks, Table 2 (N-body, 3000 training samples)",
  testMSE: { linear: 0.0819, se3Transformer: 0.0244, tfn: 0.0155, gnn: 0.0107, radialField: 0.0104, egnn: 0.0071 },
};

/** Runs egnn-nbody (registered in ../index.ts). */
export async function run(opts: ExperimentOptions): Promise<ExperimentResults> {
  const t0 = performance.now();
  await initEngine();
  const output = runOutput(opts.outDir);
  const cfg = opts.quick ? QUICK : FULL;
  const td = performance.now();
  const all = chargedNBody({ samples: cfg.train + cfg.val + cfg.test, seed: opts.seed });
  const dataSeconds = (performance.now() - td) / 1000;
  const trainS = all.slice(0, cfg.train);
  const valS = all.slice(cfg.train, cfg.train + cfg.val);
  const testS = all.slice(cfg.train + cfg.val);
  opts.log(
    `egnn-nbody: ${cfg.train}/${cfg.val}/${cfg.test} systems of ${N_PART} charged particles (simulated in ${dataSeconds.toFixed(1)} s); ` +
      `${cfg.layers} layers of ${cfg.hidden}, batch ${cfg.batch}, ${cfg.epochs} epochs`,
  );
  const train = makeBatches(trainS, cfg.batch);
  const val = makeBatches(valS, cfg.batch);
  const test = makeBatches(testS, cfg.batch);

  // Linear baseline x + c·v, c by least squares.
  let num = 0;
  let den = 0;
  for (const s of trainS)
    for (let k = 0; k < s.x.length; k++) {
      num += (s.target[k]! - s.x[k]!) * s.v[k]!;
      den += s.v[k]! * s.v[k]!;
    }
  const c = num / den;
  const linMSE = (set: ChargedSample[]) => {
    let e = 0;
    let n = 0;
    for (const s of set)
      for (let k = 0; k < s.x.length; k++) {
        e += (s.x[k]! + c * s.v[k]! - s.target[k]!) ** 2;
        n++;
      }
    return e / n;
  };

  const egnnModel = egnn({ inNode: 1, hidden: cfg.hidden, layers: cfg.layers, edgeAttr: 1, velocity: true });
  const gnnModel = messagePassingGNN({ inNode: 6, outNode: 3, hidden: cfg.hidden, layers: cfg.layers, edgeAttr: 1 });
  const predictEgnn: Predict<EGNNParams> = (p, b) => {
    const st = egnnModel.apply(p, b.speed, b.x, b.v, { ...b, uniform: uniformOf(b) }, b.attr);
    st.h.dispose();
    st.v?.dispose();
    for (const k of ["nodes", "senders", "receivers", "nNode", "nEdge", "y"] as const) b[k].dispose();
    return st.x;
  };
  const predictGnn: Predict<GNNParams> = (p, b) => {
    const y = gnnModel.apply(p, b.nodes, { ...b, uniform: uniformOf(b) }, b.attr);
    for (const k of ["speed", "x", "v", "senders", "receivers", "nNode", "nEdge", "y"] as const) b[k].dispose();
    return y;
  };
  const models = [
    { name: "egnn", lr: 5e-4, init: (k: JArray) => egnnModel.init(k), predict: predictEgnn as Predict<never> },
    { name: "gnn", lr: 1e-3, init: (k: JArray) => gnnModel.init(k), predict: predictGnn as Predict<never> },
  ];
  const keys = splitKey(makeKey(opts.seed), models.length);
  const total = models.length * cfg.epochs * train.length;
  const results: Record<string, JsonValue> = {};
  const testMSE: Record<string, number> = {};
  const curves: { name: string; x: number[]; y: number[] }[] = [];
  const examples: Record<string, Float64Array> = {};
  let offset = 0;
  try {
    for (const [mi, m] of models.entries()) {
      const fwd = jit((p: JsTree<JArray>, b: Batch) => m.predict(p as never, b));
      const predict = (p: never, b: Batch) => fwd(p, b) as JArray;
      let best = { val: Infinity, test: NaN, epoch: 0 };
      const res = await trainBatches<never, Batch>({
        name: m.name,
        params: m.init(keys[mi]!) as never,
        batches: train,
        lossFn: (p, b) => {
          const y = b.y.ref;
          return mse(m.predict(p, b), y);
        },
        optimizer: adam(),
        lr: cosineLr(m.lr),
        epochs: cfg.epochs,
        seed: opts.seed + mi,
        onProgress: opts.onProgress,
        offset,
        total,
        onEpoch: (epoch, p) => {
          const v = splitMSE(predict, p, val);
          if (v < best.val) best = { val: v, test: splitMSE(predict, p, test), epoch };
          return { valMSE: v };
        },
      });
      offset += res.steps;
      const trainMSE = splitMSE(predict, res.params, train);
      examples[m.name] = toFloat64(predict(tree.ref(res.params), tree.ref(test[0]!) as Batch));
      fwd.dispose();
      tree.dispose(res.params);
      testMSE[m.name] = best.test;
      results[m.name] = {
        testMSE: best.test,
        valMSE: best.val,
        bestEpoch: best.epoch,
        trainMSE,
        steps: res.steps,
        trainSeconds: res.seconds,
      };
      curves.push({
        name: `${m.name} validation MSE`,
        x: res.history.map((h) => h.epoch!),
        y: res.history.map((h) => h.valMSE!),
      });
      opts.log(
        `egnn-nbody ${m.name}: test MSE ${best.test.toExponential(3)} (best val ${best.val.toExponential(3)} at epoch ${best.epoch}), ${res.seconds.toFixed(1)} s`,
      );
    }
  } finally {
    dispose(train);
    dispose(val);
    dispose(test);
  }
  testMSE.linear = linMSE(testS);
  results.linear = { testMSE: testMSE.linear, c };

  output.write(
    "val-mse.svg",
    await linePlot({
      title: "egnn-nbody: validation MSE per epoch",
      series: curves,
      xLabel: "epoch",
      yLabel: "MSE",
      logY: true,
    }),
  );
  // Predicted vs true final positions of the first test systems (x–y projection), with the start.
  const show = Math.min(4, cfg.test) * N_PART;
  const proj = (a: ArrayLike<number>, k: number) => Float64Array.from({ length: show }, (_, i) => a[3 * i + k]!);
  const trueEnd = new Float64Array(show * 3);
  const start = new Float64Array(show * 3);
  for (let i = 0; i < show / N_PART; i++) {
    trueEnd.set(testS[i]!.target, i * N_PART * 3);
    start.set(testS[i]!.x, i * N_PART * 3);
  }
  output.write(
    "positions.svg",
    await scatterPlot({
      title: "egnn-nbody: final positions of 4 test systems (x–y), start, truth and predictions",
      series: [
        { name: "start (frame 30)", x: proj(start, 0), y: proj(start, 1) },
        { name: "truth (frame 40)", x: proj(trueEnd, 0), y: proj(trueEnd, 1) },
        ...models.map((m) => ({ name: m.name, x: proj(examples[m.name]!, 0), y: proj(examples[m.name]!, 1) })),
      ],
      xLabel: "x",
      yLabel: "y",
      pointSize: 30,
    }),
  );
  return output.results({
    testMSE,
    models: results,
    paper: PAPER,
    settings: {
      quick: opts.quick,
      seed: opts.seed,
      ...cfg,
      lr: { egnn: 5e-4, gnn: 1e-3 },
      schedule: "cosine to lr/100",
    },
    seconds: (performance.now() - t0) / 1000,
  });
}
