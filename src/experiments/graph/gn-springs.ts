/**
 * `gn-springs`: the graph_nets physics demo (Battaglia et al. 2018): chains of 1 kg masses linked
 * by 50 N/m springs, both ends fixed, gravity −10, simulated by the demo's semi-implicit Euler at
 * dt 0.1 (src/data/graphs.ts). Models predict the next velocities from the current state
 * (positions follow as x + dt·v'); trained on 5–8-mass chains, evaluated by 50-step rollouts on
 * 4- and 9-mass chains never seen in training.
 *
 * - GN: encode–process–decode (latent 16, MLPs 2×16, one core step) on node features
 *   [v, fixed], edge features [Δx, |Δx|, k, rest] (relative: translation-invariant), output Δv.
 * - MLP: 2×128 ReLU on the state padded to 9 masses ([x − x₀, y, v, fixed, present] per slot),
 *   output Δv per slot.
 *
 * mseN = mean over the 50 steps, the nodes and the four coordinates of (predicted − true)² of
 * [position, velocity]; posMSE/velMSE split it.
 */
import { jit, numpy as np, tree, type Array as JArray } from "../../jax.js";
import { initEngine } from "../../core/engine.js";
import { fromHost, toFloat64 } from "../../core/host.js";
import { hostRng, makeKey, splitKey } from "../../core/rng.js";
import { chain, chainInitialState, simulateChain, type Chain } from "../../data/graphs.js";
import { encodeProcessDecode, type EPDParams } from "../../layers/graph/gn.js";
import { chainEdges, type GraphsTuple } from "../../layers/graph/graphs.js";
import { MLP, type MLPParams } from "../../nn/layers.js";
import { linePlot } from "../../plot/index.js";
import { mse } from "../../train/losses.js";
import { adam } from "../../train/optim.js";
import { runOutput } from "../output.js";
import type { ExperimentOptions, ExperimentResults, JsonValue } from "../types.js";
import { cosineLr, trainBatches } from "./shared.js";

const DT = 0.1;
const STEPS = 50;
const PAD = 9;

interface Config {
  trajectories: number;
  batch: number;
  epochs: number;
  testChains: number;
}
const QUICK: Config = { trajectories: 6, batch: 50, epochs: 30, testChains: 4 };
const FULL: Config = { trajectories: 40, batch: 100, epochs: 60, testChains: 20 };

/** Node/edge feature rows of chain states [B][4n] for the GN (host). */
function gnArrays(c: Chain, states: Float64Array[]): Record<string, JArray> {
  const n = c.n;
  const { senders, receivers } = chainEdges(n);
  const e = senders.length;
  const B = states.length;
  const nodes = new Float64Array(B * n * 3);
  const edges = new Float64Array(B * e * 5);
  const s = new Int32Array(B * e);
  const r = new Int32Array(B * e);
  states.forEach((st, b) => {
    for (let i = 0; i < n; i++) {
      nodes[(b * n + i) * 3] = st[2 * n + 2 * i]!;
      nodes[(b * n + i) * 3 + 1] = st[2 * n + 2 * i + 1]!;
      nodes[(b * n + i) * 3 + 2] = i === 0 || i === n - 1 ? 1 : 0;
    }
    for (let k = 0; k < e; k++) {
      const a = senders[k]!;
      const z = receivers[k]!;
      const dx = st[2 * a]! - st[2 * z]!;
      const dy = st[2 * a + 1]! - st[2 * z + 1]!;
      edges.set([dx, dy, Math.hypot(dx, dy), c.k / 50, c.rest], (b * e + k) * 5);
      s[b * e + k] = b * n + a;
      r[b * e + k] = b * n + z;
    }
  });
  const f = { dtype: "float32" as const };
  const i = { dtype: "int32" as const };
  return {
    nodes: fromHost(nodes, [B * n, 3], f),
    edges: fromHost(edges, [B * e, 5], f),
    senders: fromHost(s, [B * e], i),
    receivers: fromHost(r, [B * e], i),
    nNode: fromHost(new Array<number>(B).fill(n), [B], i),
    nEdge: fromHost(new Array<number>(B).fill(e), [B], i),
  };
}

/** MLP inputs [B, 6·PAD] for chain states (host). */
function mlpInputs(c: Chain, states: Float64Array[]): JArray {
  const n = c.n;
  const x = new Float64Array(states.length * 6 * PAD);
  states.forEach((st, b) => {
    for (let i = 0; i < n; i++) {
      const o = b * 6 * PAD + 6 * i;
      x.set(
        [
          st[2 * i]! - st[0]!,
          st[2 * i + 1]!,
          st[2 * n + 2 * i]!,
          st[2 * n + 2 * i + 1]!,
          i === 0 || i === n - 1 ? 1 : 0,
          1,
        ],
        o,
      );
    }
  });
  return fromHost(x, [states.length, 6 * PAD], { dtype: "float32" });
}

/** Δv targets: per node for the GN [B·n, 2], per padded slot for the MLP [B, 2·PAD]. */
function targets(c: Chain, pairs: [Float64Array, Float64Array][]): { gn: JArray; mlp: JArray } {
  const n = c.n;
  const gn = new Float64Array(pairs.length * n * 2);
  const mlp = new Float64Array(pairs.length * 2 * PAD);
  pairs.forEach(([a, b], k) => {
    for (let j = 0; j < 2 * n; j++) {
      const dv = b[2 * n + j]! - a[2 * n + j]!;
      gn[k * 2 * n + j] = dv;
      mlp[k * 2 * PAD + j] = dv;
    }
  });
  return {
    gn: fromHost(gn, [pairs.length * n, 2], { dtype: "float32" }),
    mlp: fromHost(mlp, [pairs.length, 2 * PAD], { dtype: "float32" }),
  };
}

/** Rolls a Δv predictor out from s0 for STEPS steps (positions by x + dt·v'; fixed ends held). */
function rolloutModel(c: Chain, s0: Float64Array, dv: (st: Float64Array) => Float64Array): Float64Array {
  const n = c.n;
  const D = 4 * n;
  const out = new Float64Array((STEPS + 1) * D);
  out.set(s0, 0);
  for (let t = 0; t < STEPS; t++) {
    const cur = out.subarray(t * D, (t + 1) * D);
    const nxt = out.subarray((t + 1) * D, (t + 2) * D);
    const d = dv(cur);
    for (let i = 0; i < n; i++)
      for (let k = 0; k < 2; k++) {
        const j = 2 * i + k;
        const fixed = i === 0 || i === n - 1;
        const v = fixed ? 0 : cur[2 * n + j]! + d[j]!;
        nxt[2 * n + j] = v;
        nxt[j] = cur[j]! + DT * v;
      }
  }
  return out;
}

/** Per-step MSE of positions and velocities between two rollouts [(STEPS+1)·4n]. */
function stepErrors(c: Chain, a: Float64Array, b: Float64Array): { pos: Float64Array; vel: Float64Array } {
  const n = c.n;
  const D = 4 * n;
  const pos = new Float64Array(STEPS + 1);
  const vel = new Float64Array(STEPS + 1);
  for (let t = 0; t <= STEPS; t++) {
    let sp = 0;
    let sv = 0;
    for (let j = 0; j < 2 * n; j++) {
      sp += (a[t * D + j]! - b[t * D + j]!) ** 2;
      sv += (a[t * D + 2 * n + j]! - b[t * D + 2 * n + j]!) ** 2;
    }
    pos[t] = sp / (2 * n);
    vel[t] = sv / (2 * n);
  }
  return { pos, vel };
}

/** Runs gn-springs (registered in ../index.ts). */
export async function run(opts: ExperimentOptions): Promise<ExperimentResults> {
  const t0 = performance.now();
  await initEngine();
  const output = runOutput(opts.outDir);
  const cfg = opts.quick ? QUICK : FULL;
  const rng = hostRng(opts.seed);
  const chainOf = (n: number) => chain(n, 0.8 + 0.4 * rng());
  // Training transitions, grouped by chain length (each batch one length: a uniform graph batch).
  type Group = { c: Chain; pairs: [Float64Array, Float64Array][] };
  const groups: Group[] = [];
  for (let n = 5; n <= 8; n++) {
    for (let k = 0; k < cfg.trajectories; k++) {
      const c = chainOf(n);
      const traj = simulateChain(c, chainInitialState(c, rng), DT, STEPS);
      const D = 4 * n;
      const pairs: [Float64Array, Float64Array][] = [];
      for (let t = 0; t < STEPS; t++)
        pairs.push([traj.slice(t * D, (t + 1) * D), traj.slice((t + 1) * D, (t + 2) * D)]);
      groups.push({ c, pairs });
    }
  }
  // Batches: consecutive trajectories of the same length, `batch` transitions each.
  type GnBatch = Record<string, JArray>;
  const gnBatches: GnBatch[] = [];
  const gnLayout: { nodes: number; edges: number }[] = [];
  const mlpBatches: { x: JArray; y: JArray; mask: JArray }[] = [];
  for (let n = 5; n <= 8; n++) {
    const all = groups.filter((g) => g.c.n === n).flatMap((g) => g.pairs.map((p) => ({ c: g.c, p })));
    for (let i = 0; i < all.length; i += cfg.batch) {
      const part = all.slice(i, i + cfg.batch);
      // Features use each transition's own chain constants (rest length varies).
      const arrays = part.map(({ c, p }) => ({ g: gnArrays(c, [p[0]]), m: mlpInputs(c, [p[0]]) }));
      const cat = (k: string) =>
        np.concatenate(
          arrays.map((a) => a.g[k]!),
          0,
        );
      const B = part.length;
      const e = 2 * (n - 1);
      const senders = np.concatenate(
        arrays.map((a, b) => a.g.senders!.add(b * n)),
        0,
      );
      const receivers = np.concatenate(
        arrays.map((a, b) => a.g.receivers!.add(b * n)),
        0,
      );
      for (const a of arrays) {
        a.g.nNode!.dispose();
        a.g.nEdge!.dispose();
      }
      const t = targets(
        part[0]!.c,
        part.map(({ p }) => p),
      );
      gnBatches.push({
        nodes: cat("nodes"),
        edges: cat("edges"),
        senders,
        receivers,
        nNode: fromHost(new Array<number>(B).fill(n), [B], { dtype: "int32" }),
        nEdge: fromHost(new Array<number>(B).fill(e), [B], { dtype: "int32" }),
        y: t.gn,
      });
      gnLayout.push({ nodes: n, edges: e });
      const mask = new Float64Array(B * 2 * PAD);
      for (let b = 0; b < B; b++) mask.fill(1, b * 2 * PAD, b * 2 * PAD + 2 * n);
      mlpBatches.push({
        x: np.concatenate(
          arrays.map((a) => a.m),
          0,
        ),
        y: t.mlp,
        mask: fromHost(mask, [B, 2 * PAD], { dtype: "float32" }),
      });
    }
  }
  opts.log(
    `gn-springs: ${groups.length} training chains of 5–8 masses × ${STEPS} steps (dt ${DT}), ${gnBatches.length} batches; ${cfg.epochs} epochs per model`,
  );
  const gn = encodeProcessDecode({
    input: { nodes: 3, edges: 5 },
    output: { nodes: 2 },
    latent: 16,
    hidden: [16, 16],
    steps: 1,
  });
  const mlpNet = MLP([6 * PAD, 128, 128, 2 * PAD], { activation: "relu" });
  const gnGraph = (b: GnBatch, layout: { nodes: number; edges: number }): GraphsTuple => ({
    nodes: b.nodes!,
    edges: b.edges!,
    senders: b.senders!,
    receivers: b.receivers!,
    globals: null,
    nNode: b.nNode!,
    nEdge: b.nEdge!,
    uniform: layout,
  });
  const gnPredict = (p: EPDParams, b: GnBatch, layout: { nodes: number; edges: number }) => {
    const out = gn.apply(p, gnGraph(b, layout));
    for (const a of [out.edges, out.globals, out.senders, out.receivers, out.nNode, out.nEdge]) a?.dispose();
    return out.nodes!;
  };
  const [kg, km] = splitKey(makeKey(opts.seed), 2);
  const total = cfg.epochs * (gnBatches.length + mlpBatches.length);
  const gnRes = await trainBatches<EPDParams, GnBatch>({
    name: "gn",
    params: gn.init(kg!),
    batches: gnBatches,
    layoutKey: (i) => `${gnLayout[i]!.nodes}`,
    // The layout of a batch is static: recover it from the node count (n = N / B).
    lossFn: (p, b) => {
      const y = b.y!;
      const n = b.nodes!.shape[0]! / b.nNode!.shape[0]!;
      return mse(gnPredict(p, b, { nodes: n, edges: 2 * (n - 1) }), y);
    },
    optimizer: adam(),
    lr: cosineLr(3e-3),
    epochs: cfg.epochs,
    seed: opts.seed,
    onProgress: opts.onProgress,
    total,
  });
  const mlpRes = await trainBatches<MLPParams, { x: JArray; y: JArray; mask: JArray }>({
    name: "mlp",
    params: mlpNet.init(km!),
    batches: mlpBatches,
    lossFn: (p, b) => {
      const pred = mlpNet.apply(p, b.x).mul(b.mask.ref);
      return mse(pred, b.y.mul(b.mask));
    },
    optimizer: adam(),
    lr: cosineLr(1e-3),
    epochs: cfg.epochs,
    seed: opts.seed + 1,
    onProgress: opts.onProgress,
    offset: cfg.epochs * gnBatches.length,
    total,
  });
  for (const b of gnBatches) tree.dispose(b);
  for (const b of mlpBatches) tree.dispose(b);

  // Rollouts on unseen chain lengths.
  const gnFwd = new Map<number, ReturnType<typeof jit>>();
  const gnDv = (c: Chain) => {
    let f = gnFwd.get(c.n);
    if (!f) {
      const layout = { nodes: c.n, edges: 2 * (c.n - 1) };
      f = jit((p: EPDParams, b: GnBatch) => gnPredict(p, b, layout));
      gnFwd.set(c.n, f);
    }
    const fn = f;
    return (st: Float64Array) => {
      const g = gnArrays(c, [st]);
      return toFloat64(fn(tree.ref(gnRes.params), g) as JArray);
    };
  };
  const mlpF = jit((p: MLPParams, x: JArray) => mlpNet.apply(p, x));
  const mlpDv = (c: Chain) => (st: Float64Array) =>
    toFloat64(mlpF(tree.ref(mlpRes.params), mlpInputs(c, [st])) as JArray).subarray(0, 2 * c.n);
  const results: Record<string, Record<string, JsonValue>> = { gn: {}, mlp: {} };
  const errCurves: { name: string; x: Float64Array; y: Float64Array }[] = [];
  let paths: { name: string; x: number[]; y: number[]; group: string; dashed?: boolean }[] = [];
  const evalRng = hostRng(opts.seed + 999);
  for (const n of [4, 9]) {
    const chains = Array.from({ length: cfg.testChains }, () => chain(n, 0.8 + 0.4 * evalRng()));
    const truths = chains.map((c) => simulateChain(c, chainInitialState(c, evalRng), DT, STEPS));
    for (const [name, make] of [
      ["gn", gnDv],
      ["mlp", mlpDv],
    ] as const) {
      const pos = new Float64Array(STEPS + 1);
      const vel = new Float64Array(STEPS + 1);
      chains.forEach((c, k) => {
        const pred = rolloutModel(c, truths[k]!.subarray(0, 4 * n), make(c));
        const e = stepErrors(c, pred, truths[k]!);
        for (let t = 0; t <= STEPS; t++) {
          pos[t]! += e.pos[t]! / chains.length;
          vel[t]! += e.vel[t]! / chains.length;
        }
        if (n === 9 && k === 0) {
          for (let i = 1; i < n - 1; i += 3) {
            const pick = (s: Float64Array, j: number) => Array.from({ length: STEPS + 1 }, (_, t) => s[t * 4 * n + j]!);
            const time = Array.from({ length: STEPS + 1 }, (_, t) => t * DT);
            paths.push({
              name: `${name} mass ${i}`,
              x: time,
              y: pick(pred, 2 * i + 1),
              group: `mass ${i}`,
              dashed: name === "mlp",
            });
            if (name === "gn")
              paths.push({ name: `truth mass ${i}`, x: time, y: pick(truths[0]!, 2 * i + 1), group: `mass ${i}` });
          }
        }
      });
      const mean = (a: Float64Array) => a.subarray(1).reduce((s, v) => s + v, 0) / STEPS;
      const posMSE = mean(pos);
      const velMSE = mean(vel);
      results[name]![`mse${n}`] = (posMSE + velMSE) / 2;
      results[name]![`posMSE${n}`] = posMSE;
      results[name]![`velMSE${n}`] = velMSE;
      errCurves.push({
        name: `${name}, ${n} masses`,
        x: Float64Array.from({ length: STEPS + 1 }, (_, t) => t * DT),
        y: Float64Array.from(pos, (p, t) => (p + vel[t]!) / 2),
      });
    }
  }
  for (const f of gnFwd.values()) f.dispose();
  mlpF.dispose();
  results.gn!.trainSeconds = gnRes.seconds;
  results.mlp!.trainSeconds = mlpRes.seconds;
  results.gn!.finalTrainLoss = gnRes.history[gnRes.history.length - 1]?.trainLoss ?? null;
  results.mlp!.finalTrainLoss = mlpRes.history[mlpRes.history.length - 1]?.trainLoss ?? null;
  tree.dispose([gnRes.params, mlpRes.params]);
  opts.log(
    `gn-springs: rollout MSE gn ${Number(results.gn!.mse4).toExponential(2)} / ${Number(results.gn!.mse9).toExponential(2)}, ` +
      `mlp ${Number(results.mlp!.mse4).toExponential(2)} / ${Number(results.mlp!.mse9).toExponential(2)} (4 / 9 masses)`,
  );
  output.write(
    "error-vs-time.svg",
    await linePlot({
      title: "gn-springs: rollout MSE of [x, v] vs time (unseen chain lengths)",
      series: errCurves,
      xLabel: "t (s)",
      yLabel: "MSE",
      logY: true,
    }),
  );
  paths = paths.filter((p) => p.x.every(Number.isFinite));
  output.write(
    "paths.svg",
    await linePlot({
      title: "gn-springs: height of masses 1, 4, 7 of a 9-mass chain: truth and GN (solid), MLP (dashed)",
      series: paths,
      xLabel: "t (s)",
      yLabel: "y",
      dashLegend: ["truth / GN", "MLP"],
    }),
  );
  return output.results({
    models: results,
    settings: {
      quick: opts.quick,
      seed: opts.seed,
      dt: DT,
      rolloutSteps: STEPS,
      trainMasses: [5, 6, 7, 8],
      testMasses: [4, 9],
      ...cfg,
    },
    paper: {
      source:
        "graph_nets physics demo (deepmind/graph_nets, demo-physics): qualitative — the GN generalises to 4- and 9-mass chains; no table",
    },
    seconds: (performance.now() - t0) / 1000,
  });
}
