/**
 * `hgn-springs`: Hamiltonian graph network vs a plain graph network (Sanchez-Gonzalez et al.
 * 2019) on the mass–spring chains of `gn-springs` in continuous time (1 kg, 50 N/m, gravity −10,
 * ends fixed; canonical state [q, p]).
 *
 * - HGN: H = the global readout of an encode–process–decode GN (softplus, latent 16) on node
 *   features [p, q, fixed] and edge features [Δq, |Δq|, rest]; field J∇H by autodiff
 *   (`hamiltonianGraphNetwork` → physics `hamiltonianField`), fixed masses masked out.
 * - GN: the same network with a node output of dx/dt (4 per mass), masked the same way.
 *
 * Both are trained on exact time derivatives at states along true trajectories of 5–8-mass chains
 * (--quick: 6-mass chains only, one compiled step per model; host RK4, dt 0.01), then rolled out with RK4 (dt 0.05) from fresh 6-mass chains for
 * `horizon` seconds. energyDrift = mean over rollouts and time of |E(t) − E(0)| under the true
 * energy; rolloutMSE = mean over rollouts and time of the squared state error against the truth.
 */
import { numpy as np, tree, type Array as JArray } from "../../jax.js";
import { initEngine } from "../../core/engine.js";
import { fromHost } from "../../core/host.js";
import { hostRng, makeKey, splitKey } from "../../core/rng.js";
import { chain, chainEnergy, chainField, chainInitialState, type Chain } from "../../data/graphs.js";
import { encodeProcessDecode, type EPDParams } from "../../layers/graph/gn.js";
import { chainEdges, type GraphsTuple } from "../../layers/graph/graphs.js";
import { gatherRows } from "../../layers/graph/segment.js";
import { hamiltonianGraphNetwork } from "../../layers/graph/hgn.js";
import { rk4Host } from "../../physics/integrators.js";
import { bindField, rollout } from "../../physics/rollout.js";
import { linePlot } from "../../plot/index.js";
import { mse } from "../../train/losses.js";
import { adam } from "../../train/optim.js";
import { runOutput } from "../output.js";
import type { ExperimentOptions, ExperimentResults, JsonValue } from "../types.js";
import { cosineLr, trainBatches } from "./shared.js";

interface Config {
  /** Chain lengths trained on (one compiled step each). */
  sizes: number[];
  trajectories: number;
  epochs: number;
  batch: number;
  horizon: number;
  testChains: number;
}
const QUICK: Config = { sizes: [6], trajectories: 8, epochs: 10, batch: 61, horizon: 5, testChains: 3 };
const FULL: Config = { sizes: [5, 6, 7, 8], trajectories: 30, epochs: 60, batch: 100, horizon: 30, testChains: 10 };
const EVAL_DT = 0.05;
const TEST_N = 6;
const REST = 1;

/** 0/1 mask over [q, p] [4n]: zero on the fixed end masses. */
function freeMask(n: number): Float64Array {
  const m = new Float64Array(4 * n).fill(1);
  for (const base of [0, 2 * n]) {
    m[base] = m[base + 1] = 0;
    m[base + 2 * (n - 1)] = m[base + 2 * (n - 1) + 1] = 0;
  }
  return m;
}

const fixedFlags = (n: number) => Array.from({ length: n }, (_, i) => [i === 0 || i === n - 1 ? 1 : 0]);

/** The plain GN's field: x [B, 4n] → dx/dt [B, 4n] (consumes params and x). */
function gnField(net: ReturnType<typeof encodeProcessDecode>, n: number) {
  const { senders, receivers } = chainEdges(n);
  const e = senders.length;
  const mask = freeMask(n);
  return (params: EPDParams, x: JArray): JArray => {
    const B = x.shape[0]!;
    const place = { dtype: x.dtype, device: x.device };
    const ints = { dtype: "int32" as const, device: x.device };
    const q = x.ref.slice([], [0, 2 * n]).reshape([B * n, 2]);
    const p = x.slice([], [2 * n, 4 * n]).reshape([B * n, 2]);
    const s = fromHost(
      Int32Array.from({ length: B * e }, (_, k) => Math.floor(k / e) * n + senders[k % e]!),
      [B * e],
      ints,
    );
    const r = fromHost(
      Int32Array.from({ length: B * e }, (_, k) => Math.floor(k / e) * n + receivers[k % e]!),
      [B * e],
      ints,
    );
    const diff = gatherRows(q.ref, s.ref, { blocks: B }).sub(gatherRows(q.ref, r.ref, { blocks: B }));
    const dist = np.sqrt(np.sum(np.square(diff.ref), 1, { keepdims: true }).add(1e-12));
    const flags = fromHost(
      Array.from({ length: B * n }, (_, i) => fixedFlags(n)[i % n]![0]!),
      [B * n, 1],
      place,
    );
    const g: GraphsTuple = {
      nodes: np.concatenate([p, q, flags], -1),
      edges: np.concatenate([diff, dist, np.full([B * e, 1], REST, place)], -1),
      senders: s,
      receivers: r,
      globals: null,
      nNode: fromHost(new Array<number>(B).fill(n), [B], ints),
      nEdge: fromHost(new Array<number>(B).fill(e), [B], ints),
      uniform: { nodes: n, edges: e },
    };
    const out = net.apply(params, g);
    for (const a of [out.edges, out.globals, out.senders, out.receivers, out.nNode, out.nEdge]) a?.dispose();
    // Node outputs [dq/dt (2), dp/dt (2)] per mass → [dq/dt (2n), dp/dt (2n)].
    const y = out.nodes!.reshape([B, n, 4]);
    const dq = y.ref.slice([], [], [0, 2]).reshape([B, 2 * n]);
    const dp = y.slice([], [], [2, 4]).reshape([B, 2 * n]);
    return np.concatenate([dq, dp], -1).mul(fromHost(mask, [1, 4 * n], place));
  };
}

/** Runs hgn-springs (registered in ../index.ts). */
export async function run(opts: ExperimentOptions): Promise<ExperimentResults> {
  const t0 = performance.now();
  await initEngine();
  const output = runOutput(opts.outDir);
  const cfg = opts.quick ? QUICK : FULL;
  const rng = hostRng(opts.seed);
  // Training states and exact derivatives, per chain length.
  type Batch = { x: JArray; dx: JArray };
  const batches: Batch[] = [];
  const sizeOf: number[] = [];
  const SIZES = cfg.sizes;
  for (const n of SIZES) {
    const c = chain(n, REST);
    const f = chainField(c);
    const xs: number[] = [];
    const dxs: number[] = [];
    for (let k = 0; k < cfg.trajectories; k++) {
      const s0 = chainInitialState(c, rng, 0.2);
      const traj = rk4Host(f, s0, 0.01, 300); // 3 s; velocities = momenta (m = 1)
      const D = 4 * n;
      const dy = new Float64Array(D);
      for (let t = 0; t <= 300; t += 5) {
        const y = traj.subarray(t * D, (t + 1) * D);
        f(0, y, dy);
        xs.push(...y);
        dxs.push(...dy);
      }
    }
    const D = 4 * n;
    const rows = xs.length / D;
    for (let i = 0; i < rows; i += cfg.batch) {
      const B = Math.min(cfg.batch, rows - i);
      batches.push({
        x: fromHost(xs.slice(i * D, (i + B) * D), [B, D], { dtype: "float32" }),
        dx: fromHost(dxs.slice(i * D, (i + B) * D), [B, D], { dtype: "float32" }),
      });
      sizeOf.push(n);
    }
  }
  const common = { latent: 16, hidden: [32, 32], steps: 1 };
  const hgns = new Map(
    SIZES.concat([TEST_N]).map((n) => {
      const { senders, receivers } = chainEdges(n);
      return [
        n,
        hamiltonianGraphNetwork({
          n,
          d: 2,
          senders,
          receivers,
          nodeConstants: fixedFlags(n),
          edgeConstants: Array.from({ length: senders.length }, () => [REST]),
          absolute: true,
          fieldMask: freeMask(n),
          ...common,
        }),
      ];
    }),
  );
  const gnNet = encodeProcessDecode({
    input: { nodes: 5, edges: 4 },
    output: { nodes: 4 },
    ...common,
    activation: "softplus",
  });
  const gnFields = new Map(SIZES.concat([TEST_N]).map((n) => [n, gnField(gnNet, n)]));
  const models = [
    { name: "hgn", field: (n: number) => hgns.get(n)!.field, init: (k: JArray) => hgns.get(SIZES[0]!)!.init(k) },
    { name: "gn", field: (n: number) => gnFields.get(n)!, init: (k: JArray) => gnNet.init(k) },
  ];
  opts.log(
    `hgn-springs: ${batches.length} batches of states of ${SIZES.join("/")}-mass chains; ${cfg.epochs} epochs per model`,
  );
  const keys = splitKey(makeKey(opts.seed), 2);
  const total = 2 * cfg.epochs * batches.length;
  let offset = 0;
  const trained: Record<string, EPDParams> = {};
  const seconds: Record<string, number> = {};
  try {
    for (const [mi, m] of models.entries()) {
      const res = await trainBatches<EPDParams, Batch>({
        name: m.name,
        params: m.init(keys[mi]!) as EPDParams,
        batches,
        layoutKey: (i) => String(sizeOf[i]),
        lossFn: (p, b) => mse(m.field(b.x.shape[1]! / 4)(p, b.x), b.dx),
        optimizer: adam(),
        lr: cosineLr(3e-3),
        epochs: cfg.epochs,
        seed: opts.seed + mi,
        onProgress: opts.onProgress,
        offset,
        total,
      });
      offset += res.steps;
      trained[m.name] = res.params;
      seconds[m.name] = res.seconds;
      opts.log(
        `hgn-springs ${m.name}: trained in ${res.seconds.toFixed(1)} s, last epoch loss ${res.history[res.history.length - 1]?.trainLoss}`,
      );
    }
  } finally {
    for (const b of batches) tree.dispose(b);
  }

  // Long rollouts from fresh chains: truth by fine host RK4, models by RK4 at EVAL_DT.
  const c: Chain = chain(TEST_N, REST);
  const f = chainField(c);
  const D = 4 * TEST_N;
  const steps = Math.round(cfg.horizon / EVAL_DT);
  const evalRng = hostRng(opts.seed + 777);
  const x0 = new Float64Array(cfg.testChains * D);
  const truth = new Float64Array(cfg.testChains * (steps + 1) * D);
  for (let b = 0; b < cfg.testChains; b++) {
    const s0 = chainInitialState(c, evalRng, 0.2);
    x0.set(s0, b * D);
    const traj = rk4Host(f, s0, EVAL_DT / 10, steps * 10);
    for (let t = 0; t <= steps; t++) truth.set(traj.subarray(t * 10 * D, (t * 10 + 1) * D), (b * (steps + 1) + t) * D);
  }
  const energy = (states: Float64Array) =>
    Float64Array.from({ length: states.length / D }, (_, i) => chainEnergy(c, states.subarray(i * D, (i + 1) * D)));
  const trueE = energy(truth);
  const results: Record<string, Record<string, JsonValue>> = {};
  const energySeries: { name: string; x: Float64Array; y: Float64Array }[] = [
    {
      name: "truth",
      x: Float64Array.from({ length: steps + 1 }, (_, t) => t * EVAL_DT),
      y: trueE.subarray(0, steps + 1),
    },
  ];
  const errSeries: typeof energySeries = [];
  for (const m of models) {
    const bf = bindField(m.field(TEST_N), trained[m.name]!, { jit: true });
    let states: Float64Array;
    try {
      states = rollout(bf.field, fromHost(x0, [cfg.testChains, D], { dtype: "float32" }), {
        dt: EVAL_DT,
        steps,
        method: "rk4",
        onNonFinite: "record",
      }).states;
    } finally {
      bf.dispose();
    }
    const E = energy(states);
    let drift = 0;
    let err = 0;
    const errT = new Float64Array(steps + 1);
    for (let b = 0; b < cfg.testChains; b++)
      for (let t = 0; t <= steps; t++) {
        const i = b * (steps + 1) + t;
        drift += Math.abs(E[i]! - E[b * (steps + 1)]!);
        let se = 0;
        for (let j = 0; j < D; j++) se += (states[i * D + j]! - truth[i * D + j]!) ** 2;
        err += se / D;
        errT[t]! += se / D / cfg.testChains;
      }
    const n = cfg.testChains * (steps + 1);
    const fin = (v: number) => (Number.isFinite(v) ? v : null);
    results[m.name] = { energyDrift: fin(drift / n), rolloutMSE: fin(err / n), trainSeconds: seconds[m.name]! };
    energySeries.push({ name: m.name, x: energySeries[0]!.x, y: E.subarray(0, steps + 1) });
    errSeries.push({ name: m.name, x: energySeries[0]!.x, y: errT });
  }
  opts.log(
    `hgn-springs: energy drift hgn ${results.hgn!.energyDrift} vs gn ${results.gn!.energyDrift}; rollout MSE hgn ${results.hgn!.rolloutMSE} vs gn ${results.gn!.rolloutMSE}`,
  );
  output.write(
    "energy.svg",
    await linePlot({
      title: `hgn-springs: true energy along rollout 1 (${TEST_N} masses)`,
      series: energySeries,
      xLabel: "t (s)",
      yLabel: "energy",
    }),
  );
  output.write(
    "error-vs-time.svg",
    await linePlot({
      title: "hgn-springs: state MSE vs time (mean over rollouts)",
      series: errSeries,
      xLabel: "t (s)",
      yLabel: "MSE",
      logY: true,
    }),
  );
  return output.results({
    models: results,
    settings: {
      quick: opts.quick,
      seed: opts.seed,
      trainMasses: SIZES,
      testMasses: TEST_N,
      evalDt: EVAL_DT,
      integrator: "rk4",
      ...cfg,
    },
    paper: {
      source:
        "Sanchez-Gonzalez et al. 2019, Hamiltonian Graph Networks with ODE Integrators: qualitative — HGNs conserve energy better than non-Hamiltonian GNs; no table used",
    },
    seconds: (performance.now() - t0) / 1000,
  });
}
