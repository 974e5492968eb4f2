/**
 * Symmetry through the loss: the equivariance penalty
 *   P(θ) = w · (1/K) Σₖ mean_b ‖f_θ(ρ_in(gₖ)x_b) − ρ_out(gₖ) f_θ(x_b)‖²
 * over K group elements gₖ, for any group of the library (textbook or learned: `Group.sample`
 * is all it needs), as an extra term of `fit`'s loss (`penalizedLoss`).
 *
 * The elements are drawn once, when the penalty is built (or given), and stay fixed: `fit` runs
 * one jitted step whose constants are baked in at trace time, so elements drawn inside the loss
 * would not change from step to step anyway. K fixed elements are a Monte Carlo estimate of the
 * expectation over the group that does not move during training; raise `samples` for a closer one.
 */
import { tree, type Array as JArray } from "../jax.js";
import { ConfigError, ShapeError } from "../core/errors.js";
import { eye, maxAbsDiff } from "../core/matrix.js";
import { hostRng } from "../core/rng.js";
import type { Params } from "../core/tree.js";
import type { Group } from "../groups/group.js";
import type { Module } from "../nn/module.js";
import { repAction } from "../reps/action.js";
import type { Rep } from "../reps/rep.js";
import { mse, type Loss, type LossFn } from "../train/losses.js";

/** Options of `equivariancePenalty` / `invariancePenalty`. */
export interface PenaltyOptions {
  /** Number K of sampled group elements (default 8; ignored when `elements` is given). */
  samples?: number;
  /** Seed of the sampled elements (default 0). */
  seed?: number;
  /** The elements to use (each [d, d] of the group), instead of sampling. */
  elements?: readonly Float64Array[];
  /** The penalty weight w (default 1). */
  weight?: number;
}

/**
 * A penalty term: `(params, x, fx?) → 0-d` (consumes all; `fx` = f(x) when the caller has it
 * already, e.g. from the task loss). `sum` is the unweighted Σₖ of the per-element terms and
 * `scale` = w/K, so that `penalty(...) = sum(...)·scale`.
 */
export interface Penalty<P extends Params = Params> {
  (params: P, x: JArray, fx?: JArray): JArray;
  sum(params: P, x: JArray, fx?: JArray): JArray;
  readonly scale: number;
  /** The fixed group elements gₖ ([d, d] each). */
  readonly elements: readonly Float64Array[];
}

function pickElements(group: Group, opts: PenaltyOptions): Float64Array[] {
  if (opts.elements !== undefined) {
    if (opts.elements.length === 0) throw new ConfigError("penalty: elements is empty; give at least one");
    for (const [k, g] of opts.elements.entries())
      if (g.length !== group.d * group.d)
        throw new ShapeError(
          `penalty: element ${k} has ${g.length} values, expected a ${group.d}×${group.d} matrix of ${group.name}`,
        );
    return opts.elements.map((g) => Float64Array.from(g));
  }
  const K = opts.samples ?? 8;
  if (!(Number.isInteger(K) && K >= 1)) throw new ConfigError(`penalty: samples must be an integer ≥ 1, got ${K}`);
  const rng = hostRng(opts.seed ?? 0);
  return Array.from({ length: K }, () => group.sample(rng));
}

function build<P extends Params>(
  name: string,
  model: Pick<Module<P>, "apply">,
  group: Group,
  repIn: Rep,
  repOut: Rep | null,
  opts: PenaltyOptions,
): Penalty<P> {
  if (repIn.G.d !== group.d)
    throw new ShapeError(
      `${name}: repIn ${repIn.structure} is a representation of a ${repIn.G.d}-dimensional group, but ${group.name} acts on ℝ^${group.d}`,
    );
  if (repOut !== null && repOut.G.d !== group.d)
    throw new ShapeError(
      `${name}: repOut ${repOut.structure} is a representation of a ${repOut.G.d}-dimensional group, but ${group.name} acts on ℝ^${group.d}`,
    );
  const weight = opts.weight ?? 1;
  if (!(Number.isFinite(weight) && weight >= 0))
    throw new ConfigError(`${name}: weight must be a finite number ≥ 0, got ${weight}`);
  const elements = pickElements(group, opts);
  const actIn = repAction(repIn);
  const actOut = repOut === null ? null : repAction(repOut);
  // Elements whose output action is the identity (all of them for a trivial repOut) skip it.
  const outIdentity = elements.map((g) => {
    if (repOut === null) return true;
    return maxAbsDiff(repOut.rho(g), eye(repOut.size)) === 0;
  });
  const sum = (params: P, x: JArray, fx?: JArray): JArray => {
    const f0 = fx ?? model.apply(tree.ref(params), x.ref);
    const nOut = f0.shape[f0.shape.length - 1] ?? 1;
    let total: JArray | null = null;
    elements.forEach((g, k) => {
      const fgx = model.apply(tree.ref(params), actIn(g, x.ref));
      const target = outIdentity[k] ? f0.ref : actOut!(g, f0.ref);
      const term = nOut === 1 ? mse(fgx, target) : mse(fgx, target).mul(nOut);
      total = total === null ? term : total.add(term);
    });
    x.dispose();
    tree.dispose(params);
    f0.dispose();
    return total!;
  };
  const scale = weight / elements.length;
  const penalty = ((params: P, x: JArray, fx?: JArray) => sum(params, x, fx).mul(scale)) as Penalty<P>;
  return Object.assign(penalty, { sum, scale, elements });
}

/**
 * The equivariance penalty w·E_g mean_b ‖f(ρ_in(g)x) − ρ_out(g)f(x)‖² over K fixed sampled
 * elements g of `group` (see the module comment); x [B, repIn.size], f(x) [B, repOut.size].
 * Zero (to float precision) for an exactly equivariant model, positive otherwise.
 * @example
 * const pen = equivariancePenalty(mlp, SO(3), V(G).times(5), T(2, 0, G), { samples: 8 });
 * fit({ lossFn: penalizedLoss(mlp, mse, pen), ... });
 */
export function equivariancePenalty<P extends Params>(
  model: Pick<Module<P>, "apply">,
  group: Group,
  repIn: Rep,
  repOut: Rep,
  opts: PenaltyOptions = {},
): Penalty<P> {
  return build("equivariancePenalty", model, group, repIn, repOut, opts);
}

/**
 * The invariance penalty w·E_g mean_b ‖f(ρ_in(g)x) − f(x)‖² (any output size): the equivariance
 * penalty with the trivial action on outputs.
 */
export function invariancePenalty<P extends Params>(
  model: Pick<Module<P>, "apply">,
  group: Group,
  repIn: Rep,
  opts: PenaltyOptions = {},
): Penalty<P> {
  return build("invariancePenalty", model, group, repIn, null, opts);
}

/**
 * `fit`'s lossFn for a task loss plus penalty terms: (params, x, y) ↦ loss(f(x), y) + Σ penalties,
 * f(x) computed once and shared with every penalty (consumes params, x, y).
 * @example fit({ lossFn: penalizedLoss(net, mse, invariancePenalty(net, O(5), V(G).times(2))), ... })
 */
export function penalizedLoss<P extends Params>(
  model: Pick<Module<P>, "apply">,
  loss: Loss = mse,
  ...penalties: Penalty<P>[]
): LossFn<P> {
  return (params, x, y) => {
    const fx = model.apply(tree.ref(params), x.ref);
    const sums = penalties.map((pen) => pen.sum(tree.ref(params), x.ref, fx.ref));
    tree.dispose(params);
    x.dispose();
    let out = loss(fx, y);
    sums.forEach((s, i) => {
      out = out.add(s.mul(penalties[i]!.scale));
    });
    return out;
  };
}
