/**
 * Losses. Each takes `pred` and `target` of the same shape, consumes both, and returns a 0-d
 * array: regression losses the mean over all entries, `softmaxCrossEntropy` the mean over the batch.
 */
import { nn, numpy as np, type Array as JArray } from "../jax.js";
import { ConfigError, ShapeError, fmtShape } from "../core/errors.js";
import type { Params } from "../core/tree.js";
import type { Module } from "../nn/module.js";

/** A loss on predictions: (pred, target) → 0-d array; consumes both. */
export type Loss = (pred: JArray, target: JArray) => JArray;

/** A loss on parameters: (params, x, y) → 0-d array; consumes all three. */
export type LossFn<P extends Params = Params> = (params: P, x: JArray, y: JArray) => JArray;

/** Throws a ShapeError (releasing both) unless pred and target have the same shape. */
function sameShape(name: string, pred: JArray, target: JArray): void {
  if (pred.shape.length !== target.shape.length || pred.shape.some((d, i) => d !== target.shape[i])) {
    const [a, b] = [pred.shape, target.shape];
    pred.dispose();
    target.dispose();
    throw new ShapeError(`${name}: prediction shape ${fmtShape(a)} differs from target shape ${fmtShape(b)}`);
  }
}

function diff(name: string, pred: JArray, target: JArray): JArray {
  sameShape(name, pred, target);
  return pred.sub(target);
}

/** Mean squared error: mean((pred − target)²). */
export function mse(pred: JArray, target: JArray): JArray {
  return np.mean(np.square(diff("mse", pred, target)));
}

/** Mean absolute error: mean(|pred − target|). */
export function l1(pred: JArray, target: JArray): JArray {
  return np.mean(np.absolute(diff("l1", pred, target)));
}

/** Huber loss (PyTorch `HuberLoss`): mean of ½d² where |d| < δ, else δ(|d| − ½δ); d = pred − target. */
export function huber(delta = 1): Loss {
  if (!(Number.isFinite(delta) && delta > 0)) throw new ConfigError(`huber: delta must be > 0, got ${delta}`);
  return (pred, target) => {
    const a = np.absolute(diff("huber", pred, target));
    const quad = np.square(a.ref).mul(0.5);
    const lin = a.ref.sub(0.5 * delta).mul(delta);
    return np.mean(np.where(a.less(delta), quad, lin));
  };
}

/**
 * L1 with a logarithmic tail: per entry |e| for |e| ≤ cap, cap·(1 + ln(|e|/cap)) above, so an
 * entry's gradient is sign(e)·min(1, cap/|e|). Rare huge errors (e.g. an LNN's training states
 * where ∂²L/∂q̇² is near singular, q̈ ∝ M⁻¹) then cannot dominate a step, while a start with every
 * error above `cap` still trains (a hard cap, min(|e|, cap), has zero gradient there).
 */
export function cappedL1(pred: JArray, target: JArray, cap: number): JArray {
  if (!(Number.isFinite(cap) && cap > 0)) {
    pred.dispose();
    target.dispose();
    throw new ConfigError(`cappedL1: cap must be a finite number > 0, got ${cap}`);
  }
  const a = np.absolute(diff("cappedL1", pred, target));
  const big = np.maximum(a.ref, cap);
  return np.mean(np.minimum(a, cap).add(np.log(big.mul(1 / cap)).mul(cap)));
}

/** Mean softmax cross-entropy of logits [B, K] against one-hot (or soft) targets [B, K]. */
export function softmaxCrossEntropy(logits: JArray, target: JArray): JArray {
  sameShape("softmaxCrossEntropy", logits, target);
  const B = logits.shape[0]!;
  return np.sum(nn.logSoftmax(logits, -1).mul(target)).mul(-1 / B);
}

/** Loss by name: "mse" | "l1" | "huber" (δ = 1). */
export function lossByName(name: "mse" | "l1" | "huber"): Loss {
  if (name === "mse") return mse;
  if (name === "l1") return l1;
  if (name === "huber") return huber(1);
  throw new TypeError(`unknown loss ${JSON.stringify(name)}; expected "mse", "l1" or "huber"`);
}

/** (params, x, y) ↦ loss(model.apply(params, x), y). */
export function modelLoss<P extends Params>(model: Pick<Module<P>, "apply">, loss: Loss = mse): LossFn<P> {
  return (params, x, y) => loss(model.apply(params, x), y);
}
