/**
 * `lieconv-springs`: the spring dynamics of LieConv (Finzi et al. 2020, §5; data in src/data/springs.ts:
 * 6 particles in ℝ², masses 3·U(0,1)+0.1, kᵢ ~ U(0,5), Kᵢⱼ = kᵢkⱼ, q₀ ~ 0.4·N, p₀ ~ 0.6·N, dt 0.01)
 * trained on 5-step chunks: the loss is the MSE of the 5 states an RK4 integration (dt 0.01) of the
 * learned Hamiltonian field predicts from each chunk's first state. Models:
 * - `mlp`: an MLP Hamiltonian H(q, p, m, k) (field by autodiff; the paper's HFC);
 * - `trivial`, `t2`, `so2`: Hamiltonian LieConv, H = Σ|p|²/2m + V(q) with V a LieConv of the
 *   positions (values: mᵢ, kᵢ) over the trivial group, T(2) and SO(2).
 * Evaluation: rollouts from test initial states in float64 (params cast; Wasm), leapfrog for the
 * HLieConv models (separable H) and RK4 for the MLP, against the true trajectories. Reported:
 * `rolloutRelErr` = mean over systems and time of ‖ẑ − z‖/(‖ẑ‖ + ‖z‖) (the paper's relative
 * error), and the max relative changes over the rollout of the true energy of the predicted
 * states (`energyDrift`, |E(t) − E(0)|/|E(0)|), of the linear momentum
 * (`linearMomentumDrift`, ‖P(t) − P(0)‖ / Σᵢ‖pᵢ(0)‖) and of the angular momentum
 * (`angularMomentumDrift`, |L(t) − L(0)| / Σᵢ|qᵢ × pᵢ|(0)). By construction t2 keeps P and so2 keeps L
 * to rounding (the test in test/lieconv.test.ts checks it on untrained models).
 *
 * Quick form (about a minute on 2 cores; `--param steps, batch, systems, testSystems, rolloutSteps, chunk`
 * override it): 10 training systems × 50 steps (100 chunks), 24 Adam steps of
 * batch 20 per model (lr 3e-3), 12 channels, 1 layer, 3 test systems rolled out for 60 steps — enough
 * to show the conservation laws (exact by construction), not to fit the dynamics (the errors stay
 * near those of an untrained model; measured with 40 steps: rolloutRelErr 0.55–0.77 for every model,
 * P drift 6.5e-16 for t2, L drift 1.5e-15 for so2, 0.09–1.9 for the others). Full form (`--full`): the paper's
 * 3000 / 200 / 2000 systems of 500 steps, 100 epochs of batch 200, 384 channels and 4 layers — far
 * beyond a 2-core machine (not run here).
 */
import { jit, numpy as np, tree, type Array as JArray } from "../../jax.js";
import { initEngine } from "../../core/engine.js";
import { ConfigError } from "../../core/errors.js";
import { castTree, fromHost, toFloat64 } from "../../core/host.js";
import { makeKey, splitKey } from "../../core/rng.js";
import { springChunks, springEnergy, springsDataset, type SpringsDataset } from "../../data/springs.js";
import {
  angularMomentumHost,
  hLieConv,
  lieConvGroup,
  linearMomentumHost,
  rolloutHLieConv,
  type HLieConv,
  type LieConvNetParams,
  type ParticleSystem,
} from "../../layers/lieconv/index.js";
import { MLP, type MLPParams } from "../../nn/layers.js";
import { hamiltonianField } from "../../physics/fields.js";
import { rk4Step } from "../../physics/integrators.js";
import { linePlot, renderSvg } from "../../plot/index.js";
import { fit } from "../../train/fit.js";
import { adam } from "../../train/optim.js";
import { runOutput, stepProgress } from "../output.js";
import { intParam } from "../params.js";
import type { ExperimentOptions, ExperimentResults, JsonValue } from "../types.js";

const N = 6;
const D = 4 * N;
const DT = 0.01;

type ModelName = "mlp" | "trivial" | "t2" | "so2";
const MODELS: ModelName[] = ["mlp", "trivial", "t2", "so2"];
const GROUP: Record<Exclude<ModelName, "mlp">, string> = { trivial: "Trivial", t2: "T(2)", so2: "SO(2)" };

interface Config {
  /** Steps per training chunk (the paper's 5). */
  chunk: number;
  train: number;
  test: number;
  trainSteps: number;
  evalSteps: number;
  optSteps: number;
  batch: number;
  channels: number;
  layers: number;
  mlpHidden: number;
}
const QUICK: Config = {
  chunk: 5,
  train: 10,
  test: 3,
  trainSteps: 50,
  evalSteps: 60,
  optSteps: 24,
  batch: 20,
  channels: 12,
  layers: 1,
  mlpHidden: 32,
};
const FULL: Config = {
  chunk: 5,
  train: 3000,
  test: 2000,
  trainSteps: 500,
  evalSteps: 500,
  optSteps: ((1500 * 100) / 200) * 10,
  batch: 200,
  channels: 384,
  layers: 4,
  mlpHidden: 256,
};

/** Per-row system features [m, k] per particle and inverse masses per coordinate, from packed xb [B, D + 2N] (consumed). */
function unpack(xb: JArray): { x0: JArray; sys: ParticleSystem } {
  const B = xb.shape[0]!;
  const x0 = xb.ref.slice([], [0, D]);
  const feats = xb.slice([], [D, D + 2 * N]).reshape([B, N, 2]);
  const m = feats.ref.slice([], [], [0, 1]); // [B, N, 1]
  const invMass = np.broadcastTo(np.reciprocal(m), [B, N, 2]).reshape([B, 2 * N]);
  return { x0, sys: { feats, invMass } };
}

/** Host rows [count, D + 2N]: state then (m, k) per particle. */
function packInputs(data: SpringsDataset, x0: Float64Array, system: ArrayLike<number>, count: number): Float32Array {
  const out = new Float32Array(count * (D + 2 * N));
  for (let c = 0; c < count; c++) {
    out.set(x0.subarray(c * D, (c + 1) * D), c * (D + 2 * N));
    const s = system[c]!;
    for (let i = 0; i < N; i++) {
      out[c * (D + 2 * N) + D + 2 * i] = data.masses[s * N + i]!;
      out[c * (D + 2 * N) + D + 2 * i + 1] = data.k[s * N + i]!;
    }
  }
  return out;
}

interface Model {
  name: ModelName;
  init(key: JArray): LieConvNetParams | MLPParams;
  /** dx/dt (params and x consumed, sys borrowed). */
  field(params: never, x: JArray, sys: ParticleSystem): JArray;
  hl?: HLieConv;
}

function makeModel(name: ModelName, cfg: Config): Model {
  if (name === "mlp") {
    const net = MLP([D + 2 * N, cfg.mlpHidden, cfg.mlpHidden, 1], { activation: "tanh" });
    return {
      name,
      init: (k) => net.init(k),
      field: (params: MLPParams, x: JArray, sys: ParticleSystem) => {
        const B = x.shape[0]!;
        const f = sys.feats.ref.reshape([B, 2 * N]);
        const H = (p: MLPParams, xx: JArray) => net.apply(p, np.concatenate([xx, f.ref], 1)).reshape([B]);
        const out = hamiltonianField(H)(params, x);
        f.dispose();
        return out;
      },
    } as Model;
  }
  const hl = hLieConv(lieConvGroup(GROUP[name]), {
    particles: N,
    features: 2,
    channels: cfg.channels,
    layers: cfg.layers,
  });
  return {
    name,
    hl,
    init: (k) => hl.init(k),
    field: ((p: LieConvNetParams, x: JArray, sys: ParticleSystem) => hl.field(p, x, sys)) as never,
  };
}

/** RK4 states after 1..chunk steps of dt from x0 [B, D] (consumed), concatenated [B, chunk·D]. */
function chunkPrediction(model: Model, params: unknown, x0: JArray, sys: ParticleSystem, chunk: number): JArray {
  const outs: JArray[] = [];
  let x = x0;
  for (let s = 0; s < chunk; s++) {
    x = rk4Step((xx) => model.field(tree.ref(params as never) as never, xx, sys), x, DT);
    outs.push(x.ref);
  }
  x.dispose();
  return np.concatenate(outs, 1);
}

interface Eval {
  states: Float64Array;
  rolloutRelErr: number;
  energyDrift: number;
  linearMomentumDrift: number;
  angularMomentumDrift: number;
  /** Per time: mean relative error, and the energy, P_x and L of test system 0. */
  errT: Float64Array;
  energy0: Float64Array;
  lin0: Float64Array;
  ang0: Float64Array;
}

function evaluate(states: Float64Array, truth: Float64Array, data: SpringsDataset, B: number, T: number): Eval {
  let relSum = 0;
  const errT = new Float64Array(T);
  let eD = 0;
  let pD = 0;
  let lD = 0;
  const energy0 = new Float64Array(T);
  const lin0 = new Float64Array(T);
  const ang0 = new Float64Array(T);
  for (let b = 0; b < B; b++) {
    const m = data.masses.subarray(b * N, (b + 1) * N);
    const k = data.k.subarray(b * N, (b + 1) * N);
    const at = (arr: Float64Array, t: number) => arr.subarray((b * T + t) * D, (b * T + t + 1) * D);
    const s0 = at(states, 0);
    const E0 = springEnergy(s0, m, k, N);
    const P0 = linearMomentumHost(s0, N, 2);
    const L0 = angularMomentumHost(s0, N);
    let pScale = 0;
    let lScale = 0;
    for (let i = 0; i < N; i++) {
      pScale += Math.hypot(s0[2 * N + 2 * i]!, s0[2 * N + 2 * i + 1]!);
      lScale += Math.abs(s0[2 * i]! * s0[2 * N + 2 * i + 1]! - s0[2 * i + 1]! * s0[2 * N + 2 * i]!);
    }
    for (let t = 0; t < T; t++) {
      const z = at(states, t);
      const y = at(truth, t);
      let dn = 0;
      let zn = 0;
      let yn = 0;
      for (let i = 0; i < D; i++) {
        dn += (z[i]! - y[i]!) ** 2;
        zn += z[i]! ** 2;
        yn += y[i]! ** 2;
      }
      const rel = Math.sqrt(dn) / (Math.sqrt(zn) + Math.sqrt(yn));
      relSum += rel;
      errT[t] = errT[t]! + rel / B;
      const E = springEnergy(z, m, k, N);
      const P = linearMomentumHost(z, N, 2);
      const L = angularMomentumHost(z, N);
      eD = Math.max(eD, Math.abs(E - E0) / Math.abs(E0));
      pD = Math.max(pD, Math.hypot(P[0]! - P0[0]!, P[1]! - P0[1]!) / pScale);
      lD = Math.max(lD, Math.abs(L - L0) / lScale);
      if (b === 0) {
        energy0[t] = E;
        lin0[t] = P[0]!;
        ang0[t] = L;
      }
    }
  }
  return {
    states,
    rolloutRelErr: relSum / (B * T),
    energyDrift: eD,
    linearMomentumDrift: pD,
    angularMomentumDrift: lD,
    errT,
    energy0,
    lin0,
    ang0,
  };
}

/** float64 rollout of a trained model (Wasm; params cast, borrowed). */
function rolloutModel(
  model: Model,
  params: unknown,
  x0: Float64Array,
  data: SpringsDataset,
  B: number,
  steps: number,
): Float64Array {
  const pl = { dtype: "float64" as const, device: "wasm" as const };
  const p64 = castTree(tree.ref(params as never), pl);
  const rows = packInputs(
    data,
    x0,
    Int32Array.from({ length: B }, (_, i) => i),
    B,
  );
  const { x0: xs, sys } = unpack(fromHost(rows, [B, D + 2 * N], pl));
  try {
    if (model.hl)
      return rolloutHLieConv(model.hl, p64 as LieConvNetParams, xs, sys, { dt: DT, steps, method: "leapfrog" });
    const step = jit((p: MLPParams, x: JArray, feats: JArray, invMass: JArray) => {
      const out = rk4Step((xx) => model.field(tree.ref(p) as never, xx, { feats, invMass }), x, DT);
      tree.dispose([p, feats, invMass]);
      return out;
    });
    const T = steps + 1;
    const out = new Float64Array(B * T * D);
    let x = xs;
    const put = (h: Float64Array, t: number) => {
      for (let b = 0; b < B; b++) out.set(h.subarray(b * D, (b + 1) * D), (b * T + t) * D);
    };
    put(toFloat64(x.ref), 0);
    for (let t = 1; t < T; t++) {
      x = step(tree.ref(p64 as MLPParams), x, sys.feats.ref, sys.invMass.ref) as JArray;
      put(toFloat64(x.ref), t);
    }
    x.dispose();
    step.dispose();
    return out;
  } finally {
    tree.dispose([p64 as never, sys.feats, sys.invMass]);
  }
}

/** Runs the experiment (see the module comment). */
export async function run(opts: ExperimentOptions): Promise<ExperimentResults> {
  const t0 = performance.now();
  await initEngine();
  const base = opts.quick ? QUICK : FULL;
  const cfg: Config = {
    ...base,
    optSteps: intParam(opts.params, "steps") ?? base.optSteps,
    batch: intParam(opts.params, "batch") ?? base.batch,
    train: intParam(opts.params, "systems") ?? base.train,
    test: intParam(opts.params, "testSystems") ?? base.test,
    evalSteps: intParam(opts.params, "rolloutSteps") ?? base.evalSteps,
    chunk: intParam(opts.params, "chunk") ?? base.chunk,
  };
  const output = runOutput(opts.outDir);
  const train = springsDataset({ systems: cfg.train, steps: cfg.trainSteps, seed: opts.seed });
  const test = springsDataset({ systems: cfg.test, steps: cfg.evalSteps, seed: opts.seed + 7919 });
  const allChunks = springChunks(train, cfg.chunk);
  if (cfg.batch > allChunks.count)
    throw new ConfigError(
      `lieconv-springs: batch ${cfg.batch} is larger than the ${allChunks.count} training chunks (${cfg.train} systems × ${Math.floor(cfg.trainSteps / cfg.chunk)}); use more systems or a smaller batch`,
    );
  // Fewer Adam steps than one epoch: train on the first steps·batch chunks (one epoch of exactly `steps` steps).
  const used = Math.min(allChunks.count, cfg.optSteps * cfg.batch);
  const ch = { ...allChunks, count: used };
  const xTrain = fromHost(packInputs(train, ch.x0, ch.system, ch.count), [ch.count, D + 2 * N], { dtype: "float32" });
  const yTrain = fromHost(
    Float32Array.from(ch.targets.subarray(0, ch.count * cfg.chunk * D)),
    [ch.count, cfg.chunk * D],
    {
      dtype: "float32",
    },
  );
  const epochs = Math.max(1, Math.round((cfg.optSteps * cfg.batch) / ch.count));
  const stepsPerEpoch = Math.floor(ch.count / cfg.batch);
  opts.log(
    `lieconv-springs: ${cfg.train} training systems (${ch.count} chunks of ${cfg.chunk} steps), ${epochs} epochs of batch ${cfg.batch}; ${cfg.test} test rollouts of ${cfg.evalSteps} steps`,
  );
  const testX0 = new Float64Array(cfg.test * D);
  for (let b = 0; b < cfg.test; b++)
    testX0.set(test.states.subarray(b * test.points * D, b * test.points * D + D), b * D);
  const keys = splitKey(makeKey(opts.seed), MODELS.length);
  const results: Record<string, JsonValue> = {};
  const evals: Partial<Record<ModelName, Eval>> = {};
  const total = MODELS.length * epochs * stepsPerEpoch;
  try {
    for (const [mi, name] of MODELS.entries()) {
      const model = makeModel(name, cfg);
      const tm = performance.now();
      const res = await fit({
        lossFn: (p, xb, yb) => {
          const { x0, sys } = unpack(xb);
          const pred = chunkPrediction(model, p, x0, sys, cfg.chunk);
          tree.dispose([sys.feats, sys.invMass]);
          return np.mean(np.square(pred.sub(yb)));
        },
        params: model.init(keys[mi]!) as never,
        data: { x: xTrain, y: yTrain },
        epochs,
        batchSize: cfg.batch,
        dropLast: true,
        optimizer: adam(),
        schedule: 3e-3,
        seed: opts.seed,
        onProgress: stepProgress(opts.onProgress, {
          offset: mi * epochs * stepsPerEpoch,
          total,
          metrics: (p) => ({ [`${name} loss`]: p.stepLoss }),
        }),
      });
      const trainSeconds = (performance.now() - tm) / 1000;
      tree.dispose(res.optState);
      const states = rolloutModel(model, res.params, testX0, test, cfg.test, cfg.evalSteps);
      tree.dispose(res.params as never);
      const ev = evaluate(states, test.states, test, cfg.test, cfg.evalSteps + 1);
      evals[name] = ev;
      const finalLoss = res.history[res.history.length - 1]?.trainLoss ?? Number.NaN;
      results[name] = {
        rolloutRelErr: ev.rolloutRelErr,
        energyDrift: ev.energyDrift,
        linearMomentumDrift: ev.linearMomentumDrift,
        angularMomentumDrift: ev.angularMomentumDrift,
        trainLoss: finalLoss,
        trainSeconds,
      };
      opts.log(
        `lieconv-springs ${name}: loss ${finalLoss.toExponential(2)}, rollout rel. err ${ev.rolloutRelErr.toExponential(2)}, drift E ${ev.energyDrift.toExponential(1)} P ${ev.linearMomentumDrift.toExponential(1)} L ${ev.angularMomentumDrift.toExponential(1)} (${trainSeconds.toFixed(1)} s)`,
      );
    }
  } finally {
    tree.dispose([xTrain, yTrain]);
  }

  // Plots.
  const T = cfg.evalSteps + 1;
  const tAxis = Float64Array.from({ length: T }, (_, i) => i * DT);
  const pathValues: { x: number; y: number; i: number; series: string }[] = [];
  const addPaths = (label: string, s: Float64Array) => {
    for (let p = 0; p < N; p++)
      for (let t = 0; t < T; t++)
        pathValues.push({ x: s[t * D + 2 * p]!, y: s[t * D + 2 * p + 1]!, i: t, series: `${label} ${p}` });
  };
  addPaths("truth", test.states.subarray(0, T * D));
  if (evals.so2) addPaths("so2", evals.so2.states.subarray(0, T * D));
  output.write(
    "rollout.svg",
    await renderSvg({
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      title: "lieconv-springs: particle paths of test system 0 (truth vs HLieConv-SO(2))",
      width: 380,
      height: 380,
      background: "white",
      data: { values: pathValues },
      mark: { type: "line", strokeWidth: 1.2 },
      encoding: {
        x: { field: "x", type: "quantitative", scale: { zero: false } },
        y: { field: "y", type: "quantitative", scale: { zero: false } },
        color: { field: "series", type: "nominal", title: null },
        order: { field: "i", type: "quantitative" },
      },
    } as Parameters<typeof renderSvg>[0]),
  );
  const present = MODELS.filter((m) => evals[m]);
  for (const [file, what, get] of [
    ["energy.svg", "true energy of the predicted states", (e: Eval) => e.energy0],
    ["linear-momentum.svg", "linear momentum Pₓ", (e: Eval) => e.lin0],
    ["angular-momentum.svg", "angular momentum L", (e: Eval) => e.ang0],
  ] as const) {
    output.write(
      file,
      await linePlot({
        title: `lieconv-springs: ${what} along test rollout 0`,
        series: present.map((m) => ({ name: m, x: tAxis, y: get(evals[m]!) })),
        xLabel: "t",
        yLabel: what,
      }),
    );
  }
  output.write(
    "error.svg",
    await linePlot({
      title: "lieconv-springs: rollout relative error by group",
      series: present.map((m) => ({ name: m, x: tAxis, y: evals[m]!.errT })),
      xLabel: "t",
      yLabel: "‖ẑ − z‖ / (‖ẑ‖ + ‖z‖)",
      logY: true,
    }),
  );
  return output.results({
    models: results,
    config: { ...cfg, dt: DT, particles: N, quick: opts.quick, epochs },
    paper: {
      source:
        "Finzi et al. 2020 (LieConv), §5 spring dynamics: T(2)/SO(2) HLieConv conserve linear/angular momentum exactly; no drift numbers are stated in the text",
    },
    seconds: (performance.now() - t0) / 1000,
  });
}
