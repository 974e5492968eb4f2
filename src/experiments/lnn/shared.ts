/**
 * What the two Lagrangian NN experiments share: their configuration, the training wrapper
 * around `fit` (softplus MLPs, Adam with a one-cycle schedule, a checkpoint per model), the
 * rollout of a learned field from host initial states, and the statistics of rollouts against
 * the truth. The settings and the measurements behind them are in results/lnn.md.
 */
import { tree, type Array as JArray, type JsTree } from "../../jax.js";
import { fromHost } from "../../core/host.js";
import { mean, median } from "../../core/stats.js";
import { MLP, type MLPParams } from "../../nn/layers.js";
import { wrapAngle } from "../../physics/angles.js";
import type { ParamField } from "../../physics/fields.js";
import { rollout, type Rollout } from "../../physics/rollout.js";
import { fit, type EpochRecord } from "../../train/fit.js";
import { adam, oneCycle } from "../../train/optim.js";
import { stepProgress, type RunOutput } from "../output.js";
import { intListParam, intParam } from "../params.js";
import type { ExperimentOptions, ParamValue } from "../types.js";

/** A run's settings (quick or full; `epochs` and `hidden` can be set with --param). */
export interface LnnConfig {
  hidden: number[];
  nTrain: number;
  nVal: number;
  epochs: number;
  batch: number;
  /** Peak learning rate of the baseline (×3) and the HNN; final learning rate of every model. */
  maxLr: number;
  finalLr: number;
  /** LNN: velocities enter L divided by this (L = MLP([q, q̇/s]), exact by the chain rule). */
  lnnVelScale: number;
  /** LNN peak learning rate and gradient clipping by global norm (0: none). */
  lnnMaxLr: number;
  lnnClip: number;
  /** Rollouts: initial conditions, horizon, RK4 step and steps per record. */
  ics: number;
  tEnd: number;
  dt: number;
  every: number;
}

/** `cfg` with the parameters the user set (epochs, hidden; declared in ../index.ts). */
export function withParams(cfg: LnnConfig, params: Record<string, ParamValue>): LnnConfig {
  return {
    ...cfg,
    epochs: intParam(params, "epochs") ?? cfg.epochs,
    hidden: intListParam(params, "hidden") ?? cfg.hidden,
  };
}

/** One trained model: its parameters (owned by the caller), loss history and timing. */
export interface TrainedModel {
  name: string;
  params: MLPParams;
  history: EpochRecord[];
  valLoss: number;
  seconds: number;
  steps: number;
}

/** What to train: a softplus MLP of `sizes` under `lossFn` on host data [n, dIn] → [n, dOut]. */
export interface TrainSpec {
  name: string;
  sizes: number[];
  /** Initial parameters from a key (default: the MLP's own init). */
  init?: (key: JArray) => MLPParams;
  /** Peak learning rate (default cfg.maxLr). */
  maxLr?: number;
  /** Clip gradients to this global norm (default: no clipping). */
  clipNorm?: number;
  lossFn: (p: MLPParams, x: JArray, y: JArray) => JArray;
  x: Float64Array;
  y: Float64Array;
  xVal: Float64Array;
  yVal: Float64Array;
  dIn: number;
  dOut: number;
}

/**
 * Trains one model with Adam and a one-cycle schedule (peak `spec.maxLr`, from peak/25 to
 * cfg.finalLr), writes its checkpoint to `file`, and advances the shared progress `offset`.
 */
export async function trainModel(
  spec: TrainSpec,
  cfg: LnnConfig,
  key: JArray,
  opts: ExperimentOptions,
  out: RunOutput,
  file: string,
  offset: { done: number; total: number },
): Promise<TrainedModel> {
  const t0 = performance.now();
  const n = spec.x.length / spec.dIn;
  const nVal = spec.xVal.length / spec.dIn;
  const net = MLP(spec.sizes, { activation: "softplus" });
  const x = fromHost(spec.x, [n, spec.dIn], { what: `${spec.name}: x`, finite: true });
  const y = fromHost(spec.y, [n, spec.dOut], { what: `${spec.name}: y`, finite: true });
  const xv = fromHost(spec.xVal, [nVal, spec.dIn], { what: `${spec.name}: validation x`, finite: true });
  const yv = fromHost(spec.yVal, [nVal, spec.dOut], { what: `${spec.name}: validation y`, finite: true });
  const stepsPerEpoch = Math.ceil(n / cfg.batch);
  const totalSteps = cfg.epochs * stepsPerEpoch;
  const divFactor = 25;
  const maxLr = spec.maxLr ?? cfg.maxLr;
  const schedule = oneCycle({ maxLr, totalSteps, divFactor, finalDivFactor: maxLr / divFactor / cfg.finalLr });
  const res = await fit<MLPParams>({
    lossFn: spec.lossFn,
    params: spec.init ? spec.init(key) : net.init(key),
    data: { x, y },
    validation: { x: xv, y: yv },
    evalBatchSize: 2048,
    epochs: cfg.epochs,
    batchSize: cfg.batch,
    optimizer: adam(),
    schedule,
    ...(spec.clipNorm !== undefined ? { clipNorm: spec.clipNorm } : {}),
    seed: opts.seed,
    config: {
      experiment: spec.name,
      sizes: spec.sizes,
      activation: "softplus",
      loss: "l1",
      ...cfg,
      maxLr,
      clipNorm: spec.clipNorm ?? null,
      init: spec.init ? "custom" : "torch",
    },
    checkpoint: out.checkpoint(file, cfg.epochs),
    onProgress: stepProgress(opts.onProgress, {
      offset: offset.done,
      total: offset.total,
      metrics: (p) => ({ [spec.name]: p.trainLoss }),
    }),
  });
  offset.done += totalSteps;
  for (const a of [x, y, xv, yv]) a.dispose();
  tree.dispose(res.optState);
  if (res.stopReason !== "completed") opts.log(`${spec.name}: ${res.message}`);
  const last = res.history[res.history.length - 1];
  return {
    name: spec.name,
    params: res.params,
    history: res.history,
    valLoss: last?.valLoss ?? NaN,
    seconds: (performance.now() - t0) / 1000,
    steps: res.steps,
  };
}

/**
 * RK4 rollout of a learned field from host states x0 [B·dim] (params borrowed): a record every
 * `every` steps of dt, `records` records after x0, each record's steps in one jit; a diverging
 * trajectory is recorded (NaN from there, `divergedAt`), not thrown.
 */
export function modelRollout<P extends JsTree<JArray>>(
  field: ParamField<P>,
  params: P,
  x0: Float64Array,
  dim: number,
  o: { dt: number; every: number; records: number },
): Rollout {
  return rollout({ field, params }, fromHost(x0, [x0.length / dim, dim], { what: "rollout x0" }), {
    dt: o.every * o.dt,
    steps: o.records,
    substeps: o.every,
    method: "rk4",
    onNonFinite: "record",
  });
}

/** Statistics of |E(x̂(t)) − E0| / scale over B trajectories × T records; diverged trajectories excluded. */
export interface EnergyStats {
  atEnd: number;
  mean: number;
  medianAtEnd: number;
  perTime: Float64Array;
}

/** Energy error statistics of energies E [B, T] against E0 [B], scaled per trajectory; only trajectories with ok[b]. */
export function energyStats(
  E: Float64Array,
  E0: ArrayLike<number>,
  B: number,
  T: number,
  scale: (b: number) => number,
  ok: boolean[],
): EnergyStats {
  const ends: number[] = [];
  const all: number[] = [];
  const perTime = new Float64Array(T);
  const live = ok.filter(Boolean).length;
  for (let b = 0; b < B; b++) {
    if (!ok[b]) continue;
    for (let k = 0; k < T; k++) {
      const e = Math.abs(E[b * T + k]! - E0[b]!) / scale(b);
      all.push(e);
      perTime[k] = perTime[k]! + e / live;
    }
    ends.push(Math.abs(E[b * T + T - 1]! - E0[b]!) / scale(b));
  }
  return { atEnd: mean(ends), mean: mean(all), medianAtEnd: median(ends), perTime };
}

/** Mean over trajectories and records (the first kMax) of the L2 state error (angle differences wrapped for the first nAngles coordinates). */
export function trajectoryStats(
  pred: Float64Array,
  truth: Float64Array,
  B: number,
  T: number,
  D: number,
  nAngles: number,
  ok: boolean[],
  kMax = T,
): number {
  const errs: number[] = [];
  for (let b = 0; b < B; b++) {
    if (!ok[b]) continue;
    for (let k = 0; k < Math.min(T, kMax); k++) {
      let s = 0;
      for (let j = 0; j < D; j++) {
        const i = (b * T + k) * D + j;
        const d = j < nAngles ? wrapAngle(pred[i]! - truth[i]!) : pred[i]! - truth[i]!;
        s += d * d;
      }
      errs.push(Math.sqrt(s));
    }
  }
  return mean(errs);
}

/** Coordinate j of trajectory b of states [B, T, D], the first kMax records (wrapped to [−π, π) with `wrap`). */
export function column(
  states: Float64Array,
  b: number,
  T: number,
  D: number,
  j: number,
  kMax = T,
  wrap = false,
): Float64Array {
  const n = Math.min(T, kMax);
  return Float64Array.from({ length: n }, (_, k) => {
    const v = states[(b * T + k) * D + j]!;
    return wrap ? wrapAngle(v) : v;
  });
}

/** Four significant digits (non-finite values unchanged), for the reported numbers. */
export function round(v: number): number {
  return Number.isFinite(v) ? Number(v.toPrecision(4)) : v;
}
