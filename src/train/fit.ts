/**
 * The training loop: seeded minibatches, one jitted step per batch, per-epoch validation,
 * early stopping, non-finite detection, progress callbacks, checkpoint hooks and exact resume.
 *
 * Reproducibility: the shuffle of epoch e is a permutation drawn from `hostRng(epochSeed(seed, e))`,
 * and the learning rate of global step t from `schedule(t − 1)`; neither depends on a stream
 * consumed across epochs, so a run resumed from a checkpoint written at the end of an epoch
 * reproduces the uninterrupted run's loss curve exactly.
 *
 * Non-finite losses: the loss of step t is evaluated at the parameters before update t. When it
 * is NaN/±Inf, `fit` stops and returns the last *good* parameters — the ones at which the loss
 * was last finite (the inputs of step t − 1, i.e. after t − 2 updates; `result.steps` counts the
 * updates in the returned params) — with `stopReason: "non-finite"` and a message naming step t.
 * With `onNonFinite: "throw"` it throws a `TrainingNonFiniteError` carrying the same parameters.
 */
import { jit, numpy as np, tree, type Array as JArray } from "../jax.js";
import { ConfigError, NonFiniteError, ShapeError, fmtShape } from "../core/errors.js";
import { hostRng, permutation } from "../core/rng.js";
import type { Params } from "../core/tree.js";
import type { Module } from "../nn/module.js";
import type { CheckpointMeta, CheckpointState } from "./checkpoint.js";
import { lossByName, modelLoss, type Loss, type LossFn } from "./losses.js";
import { constant, type OptState, type Optimizer, type Schedule } from "./optim.js";
import { makeTrainStep } from "./step.js";
import { indexArray } from "../core/host.js";

/** One epoch of history (epoch is 1-based: the number of epochs completed). */
export interface EpochRecord {
  epoch: number;
  /** Mean training loss over the epoch's batches (weighted by batch size). */
  trainLoss: number;
  /** Loss on the validation set at the end of the epoch. */
  valLoss?: number;
  /** Validation metrics at the end of the epoch. */
  metrics?: Record<string, number>;
  /** Learning rate of the epoch's last step. */
  lr: number;
  /** Milliseconds since the start of this `fit` call. */
  elapsedMs: number;
}

/** What `onProgress` receives after every step (and once more at each epoch's end). */
export interface ProgressInfo {
  /** Current epoch, 1-based. */
  epoch: number;
  epochs: number;
  /** Global steps completed (1-based count, includes steps before a resume). */
  step: number;
  totalSteps: number;
  /** Step within the current epoch (1-based) and steps per epoch. */
  epochStep: number;
  stepsPerEpoch: number;
  /** Running mean training loss of the current epoch. */
  trainLoss: number;
  /** Loss of the step just taken. */
  stepLoss: number;
  /** Validation loss (at epoch end; afterwards the last epoch's value). */
  valLoss?: number;
  lr: number;
  elapsedMs: number;
  /** True on the call made at the end of an epoch (after validation). */
  epochEnd: boolean;
}

/** Stop when the monitored loss has not improved for `patience` epochs (Keras semantics). */
export interface EarlyStoppingOptions {
  /** Epochs without improvement before stopping. */
  patience: number;
  /** Improvement must exceed this (default 0). */
  minDelta?: number;
  /** Quantity to watch (default "valLoss" with validation data, else "trainLoss"). */
  monitor?: "valLoss" | "trainLoss";
  /** On stopping, return the best epoch's params and optimiser state (default true). */
  restoreBest?: boolean;
}

/** Options of `fit`; data are borrowed, params/optState (or resume) consumed. */
export interface FitOptions<P extends Params = Params> {
  /** The model; its loss is `loss(model.apply(params, x), y)`. Give either model or lossFn. */
  model?: Pick<Module<P>, "apply">;
  /** Loss on predictions for `model` (default "mse"). */
  loss?: Loss | "mse" | "l1" | "huber";
  /** A loss on parameters, (params, x, y) → 0-d, used instead of model + loss. */
  lossFn?: LossFn<P>;
  /** Initial parameters (consumed). Not needed with `resume`. */
  params?: P;
  /** Initial optimiser state (consumed; default `optimizer.init(params)`). */
  optState?: OptState;
  /** Training data, x [N, ...] and y [N, ...] (borrowed). */
  data: { x: JArray; y: JArray };
  /** Validation data (borrowed), evaluated at the end of every epoch. */
  validation?: { x: JArray; y: JArray };
  /** Total epochs of the run (a resumed run continues up to this number). */
  epochs: number;
  batchSize: number;
  optimizer: Optimizer;
  /** Learning-rate schedule over global steps, or a constant lr (default 1e-3). */
  schedule?: Schedule | number;
  /** Shuffling seed (default 0). */
  seed?: number;
  /** Shuffle each epoch (default true). */
  shuffle?: boolean;
  /** Drop the last partial batch (default false; a partial batch compiles the step once more). */
  dropLast?: boolean;
  /** Gradient clipping by global norm / by value (see `makeTrainStep`). */
  clipNorm?: number;
  clipValue?: number;
  /** Validation batch size for evaluation (default: the whole set at once; losses must be means). */
  evalBatchSize?: number;
  earlyStopping?: EarlyStoppingOptions;
  /** Called after every step and at each epoch's end; keep it cheap. */
  onProgress?: (info: ProgressInfo) => void;
  /** Extra validation metrics, each (params, x, y) → 0-d (consumes its arguments). */
  metrics?: Record<string, LossFn<P>>;
  /** Called at the end of every `every`-th epoch (default 1) and the last one; the state is borrowed. */
  checkpoint?: { every?: number; save(state: CheckpointState): void | Promise<void> };
  /** Free-form configuration stored in checkpoint meta. */
  config?: unknown;
  /**
   * Continue from a checkpoint written by this loop (consumed): params, optState, step, epoch,
   * history. Give the same data, batchSize, seed, schedule and optimiser as the original run.
   * Early-stopping counters start afresh on resume.
   */
  resume?: CheckpointState;
  /** "stop" (default): return the last good params; "throw": throw TrainingNonFiniteError. */
  onNonFinite?: "stop" | "throw";
  /** Stops the run at the next step (stopReason "aborted"). */
  signal?: AbortSignal;
}

/** Why `fit` stopped. */
export type StopReason = "completed" | "early-stopping" | "non-finite" | "aborted";

/** What `fit` returns; the caller owns params and optState. */
export interface FitResult<P extends Params = Params> {
  params: P;
  optState: OptState;
  history: EpochRecord[];
  /** Optimiser updates contained in the returned params (global, including before a resume). */
  steps: number;
  /** Epochs completed. */
  epochs: number;
  stoppedEarly: boolean;
  stopReason: StopReason;
  /** Human-readable reason, e.g. "non-finite loss (NaN) at step 37 (epoch 3); …". */
  message: string;
  /** 1-based epoch of the best monitored value (with early stopping). */
  bestEpoch?: number;
  /** Where the loss went non-finite. */
  nonFinite?: { step: number; epoch: number; loss: number };
}

/** Thrown by `fit` with `onNonFinite: "throw"`; carries the last good params and state (owned by the catcher). */
export class TrainingNonFiniteError extends NonFiniteError {
  constructor(
    message: string,
    readonly step: number,
    readonly lastGoodParams: Params,
    readonly lastGoodOptState: OptState,
    readonly lastGoodStep: number,
    readonly history: EpochRecord[],
  ) {
    super(message);
  }
}

/** The shuffling seed of epoch `epoch` (0-based) of a run seeded with `seed`. */
export function epochSeed(seed: number, epoch: number): number {
  let h = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(epoch + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h >>> 0;
}

/** The row order of epoch `epoch` (0-based) for `n` examples: a seeded permutation, or 0..n−1. */
export function epochOrder(n: number, seed: number, epoch: number, shuffle = true): Int32Array {
  if (!shuffle) return Int32Array.from({ length: n }, (_, i) => i);
  return permutation(n, hostRng(epochSeed(seed, epoch)));
}

const yieldToEventLoop = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

function resolveLossFn<P extends Params>(opts: FitOptions<P>): LossFn<P> {
  if (opts.lossFn !== undefined && opts.model !== undefined)
    throw new ConfigError("fit: give either model (+ loss) or lossFn, not both");
  if (opts.lossFn !== undefined) return opts.lossFn;
  if (opts.model === undefined) throw new ConfigError("fit: give a model (+ loss) or a lossFn");
  const loss = typeof opts.loss === "string" ? lossByName(opts.loss) : (opts.loss ?? lossByName("mse"));
  return modelLoss(opts.model, loss);
}

function checkData(what: string, d: { x: JArray; y: JArray }): number {
  const n = d.x.shape[0];
  if (d.x.ndim === 0 || d.y.ndim === 0 || n !== d.y.shape[0]) {
    throw new ShapeError(
      `fit: ${what} x ${fmtShape(d.x.shape)} and y ${fmtShape(d.y.shape)} must have the same leading (example) axis`,
    );
  }
  if (n === 0) throw new ShapeError(`fit: ${what} is empty`);
  // One scan of the host copy: a NaN in the data would surface later as a non-finite loss that
  // blames the parameters; name the example (row) and the position within it instead.
  for (const [name, a] of [
    ["x", d.x],
    ["y", d.y],
  ] as const) {
    if (a.dtype !== "float32" && a.dtype !== "float64") continue;
    const v = a.ref.dataSync() as Float32Array | Float64Array;
    const per = v.length / n!;
    for (let i = 0; i < v.length; i++) {
      if (!Number.isFinite(v[i]!))
        throw new NonFiniteError(
          `fit: ${what} ${name} holds ${v[i]} at row ${Math.floor(i / per)}, column ${i % per} (of ${fmtShape(a.shape)}); clean or drop that example`,
        );
    }
  }
  return n!;
}

/** fit's option checks (before anything is allocated); throws on the first bad option. */
function checkFitOptions<P extends Params>(opts: FitOptions<P>) {
  const { epochs, batchSize } = opts;
  const seed = opts.seed ?? 0;
  if (!(Number.isInteger(epochs) && epochs >= 0))
    throw new ConfigError(`fit: epochs must be an integer ≥ 0, got ${epochs}`);
  if (!(Number.isInteger(batchSize) && batchSize >= 1))
    throw new ConfigError(`fit: batchSize must be an integer ≥ 1, got ${batchSize}`);
  if (!Number.isInteger(seed)) throw new ConfigError(`fit: seed must be an integer, got ${seed}`);
  const schedule: Schedule =
    typeof opts.schedule === "number" ? constant(opts.schedule) : (opts.schedule ?? constant(1e-3));
  const lossFn = resolveLossFn(opts);
  const n = checkData("data", opts.data);
  const nVal = opts.validation !== undefined ? checkData("validation", opts.validation) : 0;
  const es = opts.earlyStopping;
  const monitor = es?.monitor ?? (opts.validation !== undefined ? "valLoss" : "trainLoss");
  if (es !== undefined) {
    if (!(Number.isInteger(es.patience) && es.patience >= 1))
      throw new ConfigError(`fit: earlyStopping.patience must be an integer ≥ 1, got ${es.patience}`);
    if (monitor === "valLoss" && opts.validation === undefined)
      throw new ConfigError("fit: earlyStopping monitors valLoss but no validation data was given");
  }
  const effBatch = Math.min(batchSize, n);
  const stepsPerEpoch = opts.dropLast ? Math.floor(n / effBatch) : Math.ceil(n / effBatch);
  const totalSteps = epochs * stepsPerEpoch;
  const every = opts.checkpoint?.every ?? 1;
  if (!(Number.isInteger(every) && every >= 1))
    throw new ConfigError(`fit: checkpoint.every must be an integer ≥ 1, got ${every}`);
  if (opts.resume !== undefined) {
    if (opts.params !== undefined || opts.optState !== undefined)
      throw new ConfigError("fit: give either resume or params/optState, not both");
  } else if (opts.params === undefined) throw new ConfigError("fit: params are required (or resume from a checkpoint)");
  return { schedule, lossFn, n, nVal, es, monitor, effBatch, stepsPerEpoch, totalSteps, every };
}

/**
 * Trains `params` with minibatch steps of `optimizer` under `schedule`; see `FitOptions`.
 * Consumes params/optState (or resume); returns the final (or best / last good) params.
 * @example
 * const { params, history } = await fit({ model: net, params: net.init(key), data: { x, y },
 *   epochs: 20, batchSize: 64, optimizer: adam(), schedule: 1e-3, seed: 0 });
 */
export async function fit<P extends Params = Params>(opts: FitOptions<P>): Promise<FitResult<P>> {
  const t0 = performance.now();
  const elapsed = (): number => performance.now() - t0;
  const { epochs, batchSize, optimizer } = opts;
  const seed = opts.seed ?? 0;
  const shuffle = opts.shuffle ?? true;
  // Everything that can reject the call is checked first; a rejected call releases what fit
  // would have consumed (params/optState or resume), as a completed one does.
  let checked: ReturnType<typeof checkFitOptions<P>>;
  try {
    checked = checkFitOptions(opts);
  } catch (e) {
    const owned = [opts.params, opts.optState, opts.resume?.params, opts.resume?.optState];
    tree.dispose(owned.filter((o) => o !== undefined) as never);
    throw e;
  }
  const { schedule, lossFn, n, nVal, es, monitor, effBatch, stepsPerEpoch, totalSteps, every } = checked;

  // Starting state
  let params: Params;
  let optState: OptState;
  let stepCount: number;
  let startEpoch: number;
  const history: EpochRecord[] = [];
  if (opts.resume !== undefined) {
    const r = opts.resume;
    params = r.params;
    optState = r.optState;
    stepCount = r.meta.step;
    startEpoch = r.meta.epoch;
    const h = r.meta.history;
    if (globalThis.Array.isArray(h)) history.push(...(h as EpochRecord[]));
  } else {
    params = opts.params!;
    optState = opts.optState ?? optimizer.init(params);
    stepCount = 0;
    startEpoch = 0;
  }

  const step = makeTrainStep(lossFn, optimizer, { clipNorm: opts.clipNorm, clipValue: opts.clipValue });
  const evalFns = new Map<string, ReturnType<typeof jit>>();
  if (opts.validation !== undefined) {
    evalFns.set(
      "loss",
      jit((p: Params, x: JArray, y: JArray) => lossFn(p as P, x, y)),
    );
    for (const [name, m] of Object.entries(opts.metrics ?? {}))
      evalFns.set(
        name,
        jit((p: Params, x: JArray, y: JArray) => m(p as P, x, y)),
      );
  }
  const evaluate = (name: string, d: { x: JArray; y: JArray }, size: number): number => {
    const f = evalFns.get(name)!;
    const chunk = Math.min(opts.evalBatchSize ?? size, size);
    let total = 0;
    for (let s = 0; s < size; s += chunk) {
      const e = Math.min(size, s + chunk);
      const [xs, ys] = chunk === size ? [d.x.ref, d.y.ref] : [d.x.ref.slice([s, e]), d.y.ref.slice([s, e])];
      total += (f(tree.ref(params), xs, ys) as JArray).item() * (e - s);
    }
    return total / size;
  };

  // Early-stopping state
  let best = Infinity;
  let bestEpoch: number | undefined;
  let wait = 0;
  let bestState: { params: Params; optState: OptState; steps: number } | null = null;

  // The inputs of the most recent step whose loss was finite.
  let good: { params: Params; optState: OptState; steps: number } | null = null;
  let stopReason: StopReason = "completed";
  let message = "";
  let nonFinite: FitResult["nonFinite"];
  let lastVal: number | undefined;
  let lastYield = performance.now();
  let epochsDone = startEpoch;

  const finish = (): FitResult<P> => {
    step.dispose();
    for (const f of evalFns.values()) f.dispose();
    if (good !== null) tree.dispose([good.params, good.optState]);
    if (bestState !== null) tree.dispose([bestState.params, bestState.optState]);
    const r: FitResult<P> = {
      params: params as P,
      optState,
      history,
      steps: stepCount,
      epochs: epochsDone,
      stoppedEarly: stopReason !== "completed",
      stopReason,
      message: message || `completed ${epochsDone} epochs (${stepCount} steps)`,
    };
    if (bestEpoch !== undefined) r.bestEpoch = bestEpoch;
    if (nonFinite !== undefined) r.nonFinite = nonFinite;
    return r;
  };

  try {
    epochLoop: for (let epoch = startEpoch; epoch < epochs; epoch++) {
      const order = epochOrder(n, seed, epoch, shuffle);
      let lossSum = 0;
      let seen = 0;
      let lr = 0;
      for (let k = 0; k < stepsPerEpoch; k++) {
        if (opts.signal?.aborted) {
          stopReason = "aborted";
          message = `aborted at step ${stepCount} (epoch ${epoch + 1})`;
          break epochLoop;
        }
        const idx = order.subarray(k * effBatch, Math.min(n, (k + 1) * effBatch));
        const idxArr = indexArray(idx);
        const xb = np.take(opts.data.x.ref, idxArr.ref, 0);
        const yb = np.take(opts.data.y.ref, idxArr, 0);
        const t = stepCount + 1;
        lr = schedule(t - 1);
        const cand = { params: tree.ref(params), optState: tree.ref(optState), steps: stepCount };
        const out = step(params, optState, xb, yb, lr, t);
        out.gradNorm?.dispose();
        const l = out.loss.item();
        if (!Number.isFinite(l)) {
          tree.dispose([out.params, out.optState]);
          const kept = good ?? cand;
          if (good !== null) tree.dispose([cand.params, cand.optState]);
          good = null;
          params = kept.params;
          optState = kept.optState;
          stepCount = kept.steps;
          stopReason = "non-finite";
          nonFinite = { step: t, epoch: epoch + 1, loss: l };
          message =
            `non-finite loss (${l}) at step ${t} (epoch ${epoch + 1}); ` +
            (kept === cand
              ? "the initial parameters already give it, returned unchanged"
              : `returned the last good parameters (after ${kept.steps} steps, whose loss was finite)`);
          if (opts.onNonFinite === "throw") {
            const err = new TrainingNonFiniteError(message, t, params, optState, stepCount, history);
            step.dispose();
            for (const f of evalFns.values()) f.dispose();
            if (bestState !== null) tree.dispose([bestState.params, bestState.optState]);
            throw err;
          }
          break epochLoop;
        }
        if (good !== null) tree.dispose([good.params, good.optState]);
        good = cand;
        params = out.params;
        optState = out.optState;
        stepCount = t;
        lossSum += l * idx.length;
        seen += idx.length;
        opts.onProgress?.({
          epoch: epoch + 1,
          epochs,
          step: t,
          totalSteps,
          epochStep: k + 1,
          stepsPerEpoch,
          trainLoss: lossSum / seen,
          stepLoss: l,
          ...(lastVal !== undefined ? { valLoss: lastVal } : {}),
          lr,
          elapsedMs: elapsed(),
          epochEnd: false,
        });
        if (performance.now() - lastYield > 100) {
          await yieldToEventLoop();
          lastYield = performance.now();
        }
      }

      // End of epoch: validation, metrics, history, early stopping, checkpoint.
      const rec: EpochRecord = { epoch: epoch + 1, trainLoss: seen > 0 ? lossSum / seen : NaN, lr, elapsedMs: 0 };
      if (opts.validation !== undefined) {
        rec.valLoss = lastVal = evaluate("loss", opts.validation, nVal);
        if (opts.metrics !== undefined) {
          rec.metrics = {};
          for (const name of Object.keys(opts.metrics)) rec.metrics[name] = evaluate(name, opts.validation, nVal);
        }
      }
      rec.elapsedMs = elapsed();
      history.push(rec);
      epochsDone = epoch + 1;
      opts.onProgress?.({
        epoch: epoch + 1,
        epochs,
        step: stepCount,
        totalSteps,
        epochStep: stepsPerEpoch,
        stepsPerEpoch,
        trainLoss: rec.trainLoss,
        stepLoss: NaN,
        ...(rec.valLoss !== undefined ? { valLoss: rec.valLoss } : {}),
        lr,
        elapsedMs: rec.elapsedMs,
        epochEnd: true,
      });

      let stop = false;
      if (es !== undefined) {
        const v = monitor === "valLoss" ? rec.valLoss! : rec.trainLoss;
        if (v < best - (es.minDelta ?? 0)) {
          best = v;
          bestEpoch = epoch + 1;
          wait = 0;
          if (es.restoreBest ?? true) {
            if (bestState !== null) tree.dispose([bestState.params, bestState.optState]);
            bestState = { params: tree.ref(params), optState: tree.ref(optState), steps: stepCount };
          }
        } else if (++wait >= es.patience) {
          stop = true;
        }
      }

      if (opts.checkpoint !== undefined && ((epoch + 1) % every === 0 || epoch + 1 === epochs || stop)) {
        const meta: CheckpointMeta = {
          step: stepCount,
          epoch: epoch + 1,
          seed,
          epochs,
          batchSize,
          optimizer: optimizer.config,
          schedule: schedule.config,
          history: history.slice(),
        };
        if (opts.config !== undefined) meta.config = opts.config;
        await opts.checkpoint.save({ params, optState, meta });
      }

      if (stop) {
        stopReason = "early-stopping";
        message = `early stopping after epoch ${epoch + 1}: ${monitor} did not improve for ${es!.patience} epochs (best ${best} at epoch ${bestEpoch})`;
        if (bestState !== null) {
          tree.dispose([params, optState]);
          ({ params, optState, steps: stepCount } = bestState);
          bestState = null;
          message += `; restored the parameters of epoch ${bestEpoch}`;
        }
        break;
      }
      await yieldToEventLoop();
      lastYield = performance.now();
    }
  } catch (e) {
    if (e instanceof TrainingNonFiniteError) throw e;
    step.dispose();
    for (const f of evalFns.values()) f.dispose();
    if (good !== null) tree.dispose([good.params, good.optState]);
    if (bestState !== null) tree.dispose([bestState.params, bestState.optState]);
    throw e;
  }
  return finish();
}
