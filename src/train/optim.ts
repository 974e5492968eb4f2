/**
 * Optimisers, learning-rate schedules and gradient clipping.
 *
 * An optimiser is a pair of pure jax-js functions over plain trees, so a whole training step
 * (gradient + clipping + update) can run inside one `jit`:
 *
 *   init(params) → state                      (borrows params; state is a plain tree)
 *   hyper(lr, t) → { name: number }           (host side: per-step scalars for 1-based step t)
 *   update(grads, state, params, h) → [newParams, newState]   (consumes everything)
 *
 * `h` holds the per-step scalars of `hyper` as 0-d arrays (learning rate, Adam's bias
 * corrections): they are computed on the host in float64 and enter the jitted step as
 * arguments, never as JS numbers derived from traced values, so one compiled step serves every
 * step of a schedule. Formulas follow PyTorch's `torch.optim` (SGD with dampening 0, Adam,
 * AdamW) so results can be compared against it.
 */
import { numpy as np, tree, type Array as JArray } from "../jax.js";
import { ConfigError } from "../core/errors.js";
import type { Params } from "../core/tree.js";

/** Optimiser state: a plain tree of arrays (checkpointable with the params). */
export type OptState = Params;

/** Per-step scalars as 0-d arrays, keyed as returned by `Optimizer.hyper`. */
export type StepScalars = Record<string, JArray>;

/** A pure optimiser: see the module comment for the ownership of each function. */
export interface Optimizer<S extends OptState = OptState> {
  /** Short name ("sgd", "adam", "adamw"). */
  readonly name: string;
  /** The JSON-serialisable configuration this optimiser was built from. */
  readonly config: OptimizerConfig;
  /** Fresh state shaped like `params` (borrows `params`). */
  init(params: Params): S;
  /** Host-side per-step scalars for learning rate `lr` at 1-based step `t` (always includes `lr`). */
  hyper(lr: number, t: number): Record<string, number>;
  /** One update; consumes grads, state, params and the scalars `h`. */
  update(grads: Params, state: S, params: Params, h: StepScalars): [Params, S];
}

/** Options of `sgd`. */
export interface SGDOptions {
  /** Momentum coefficient μ (default 0: plain SGD, empty state). */
  momentum?: number;
  /** Nesterov momentum (requires momentum > 0). */
  nesterov?: boolean;
  /** L2 penalty added to the gradient: g ← g + wd·p (default 0). */
  weightDecay?: number;
}

/** Options of `adam` and `adamw`. */
export interface AdamOptions {
  /** β₁ (default 0.9). */
  b1?: number;
  /** β₂ (default 0.999). */
  b2?: number;
  /** ε added to √v̂ (default 1e-8). */
  eps?: number;
  /** Adam: L2 added to the gradient (g ← g + wd·p, default 0). AdamW: decoupled decay (default 0.01). */
  weightDecay?: number;
}

/** JSON description of an optimiser (what `makeOptimizer` accepts and `Optimizer.config` returns). */
export type OptimizerConfig =
  | ({ kind: "sgd" } & SGDOptions)
  | ({ kind: "adam" } & AdamOptions)
  | ({ kind: "adamw" } & AdamOptions);

function checkNonNeg(what: string, v: number): void {
  if (!(Number.isFinite(v) && v >= 0)) throw new ConfigError(`${what}: expected a finite number ≥ 0, got ${v}`);
}

function checkUnit(what: string, v: number): void {
  if (!(Number.isFinite(v) && v >= 0 && v < 1)) throw new ConfigError(`${what}: expected a number in [0, 1), got ${v}`);
}

/** Disposes every scalar in `h`. */
function disposeScalars(h: StepScalars): void {
  for (const k of Object.keys(h)) h[k]!.dispose();
}

/** Zeros shaped like each leaf of `params` (borrows). */
function zerosTree(params: Params): Params {
  return tree.map((p: JArray) => np.zerosLike(p.ref), params) as Params;
}

/**
 * SGD (PyTorch semantics, dampening 0): g ← g + wd·p; with momentum μ: b ← μ·b + g,
 * d = g + μ·b (Nesterov) or d = b; p ← p − lr·d. State `{}` or `{ momentum: tree }`.
 */
export function sgd(opts: SGDOptions = {}): Optimizer {
  const mu = opts.momentum ?? 0;
  const nesterov = opts.nesterov ?? false;
  const wd = opts.weightDecay ?? 0;
  checkUnit("sgd momentum", mu);
  checkNonNeg("sgd weightDecay", wd);
  if (nesterov && mu <= 0) throw new ConfigError("sgd: nesterov momentum requires momentum > 0");
  return {
    name: "sgd",
    config: { kind: "sgd", momentum: mu, nesterov, weightDecay: wd },
    init(params) {
      return (mu > 0 ? { momentum: zerosTree(params) } : {}) as OptState;
    },
    hyper(lr) {
      return { lr };
    },
    update(grads, state, params, h) {
      const lr = h.lr!;
      const st = state as { momentum?: Params };
      const g0 = wd > 0 ? (tree.map((g: JArray, p: JArray) => g.add(p.ref.mul(wd)), grads, params) as Params) : grads;
      let newState: OptState = {};
      let dir: Params = g0;
      if (mu > 0) {
        const buf = tree.map((b: JArray, g: JArray) => b.mul(mu).add(g), st.momentum as Params, tree.ref(g0)) as Params;
        dir = nesterov
          ? (tree.map((g: JArray, b: JArray) => g.add(b.mul(mu)), g0, tree.ref(buf)) as Params)
          : (tree.dispose(g0), tree.ref(buf));
        newState = { momentum: buf };
      } else {
        tree.dispose(state);
      }
      const newParams = tree.map((p: JArray, d: JArray) => p.sub(d.mul(lr.ref)), params, dir) as Params;
      disposeScalars(h);
      return [newParams, newState];
    },
  };
}

function adamCore(kind: "adam" | "adamw", opts: AdamOptions): Optimizer {
  const b1 = opts.b1 ?? 0.9;
  const b2 = opts.b2 ?? 0.999;
  const eps = opts.eps ?? 1e-8;
  const wd = opts.weightDecay ?? (kind === "adamw" ? 0.01 : 0);
  checkUnit(`${kind} b1`, b1);
  checkUnit(`${kind} b2`, b2);
  checkNonNeg(`${kind} eps`, eps);
  checkNonNeg(`${kind} weightDecay`, wd);
  const decoupled = kind === "adamw";
  return {
    name: kind,
    config: { kind, b1, b2, eps, weightDecay: wd },
    init(params) {
      return { mu: zerosTree(params), nu: zerosTree(params) };
    },
    hyper(lr, t) {
      if (!(Number.isInteger(t) && t >= 1)) throw new ConfigError(`${kind}: step t must be an integer ≥ 1, got ${t}`);
      // PyTorch: p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
      const h: Record<string, number> = {
        lr,
        stepSize: lr / (1 - b1 ** t),
        invSqrtBc2: 1 / Math.sqrt(1 - b2 ** t),
      };
      if (decoupled) h.decay = 1 - lr * wd;
      return h;
    },
    update(grads, state, params, h) {
      const st = state as { mu: Params; nu: Params };
      const g0 =
        !decoupled && wd > 0
          ? (tree.map((g: JArray, p: JArray) => g.add(p.ref.mul(wd)), grads, params) as Params)
          : grads;
      const mu = tree.map((m: JArray, g: JArray) => m.mul(b1).add(g.mul(1 - b1)), st.mu, tree.ref(g0)) as Params;
      const nu = tree.map((v: JArray, g: JArray) => v.mul(b2).add(np.square(g).mul(1 - b2)), st.nu, g0) as Params;
      const stepSize = h.stepSize!;
      const inv = h.invSqrtBc2!;
      const decay = h.decay;
      const newParams = tree.map(
        (p: JArray, m: JArray, v: JArray) => {
          const upd = m.mul(stepSize.ref).div(np.sqrt(v).mul(inv.ref).add(eps));
          return (decay !== undefined ? p.mul(decay.ref) : p).sub(upd);
        },
        params,
        tree.ref(mu),
        tree.ref(nu),
      ) as Params;
      disposeScalars(h);
      return [newParams, { mu, nu }];
    },
  };
}

/**
 * Adam (Kingma & Ba; PyTorch semantics): g ← g + wd·p; m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
 * p ← p − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε). State `{ mu, nu }` shaped like params.
 */
export function adam(opts: AdamOptions = {}): Optimizer {
  return adamCore("adam", opts);
}

/**
 * AdamW (Loshchilov & Hutter; PyTorch semantics): p ← p·(1 − lr·wd), then the Adam step
 * without L2 in the gradient. Default weightDecay 0.01 as in PyTorch.
 */
export function adamw(opts: AdamOptions = {}): Optimizer {
  return adamCore("adamw", opts);
}

/** Builds an optimiser from its JSON description (e.g. read from a config file or checkpoint). */
export function makeOptimizer(config: OptimizerConfig): Optimizer {
  const { kind, ...rest } = config;
  switch (kind) {
    case "sgd":
      return sgd(rest as SGDOptions);
    case "adam":
      return adam(rest as AdamOptions);
    case "adamw":
      return adamw(rest as AdamOptions);
    default:
      throw new ConfigError(
        `makeOptimizer: unknown optimiser ${JSON.stringify(kind)}; expected "sgd", "adam" or "adamw"`,
      );
  }
}

// ---------------------------------------------------------------------------------------------
// Gradient clipping (pure; usable inside jit)

/** ‖g‖ = √(Σ over all leaves of Σ g²), a 0-d array (borrows `grads`). */
export function globalNorm(grads: Params): JArray {
  const leaves = tree.leaves(grads) as JArray[];
  if (leaves.length === 0) return np.array(0);
  let total: JArray | null = null;
  for (const g of leaves) {
    const s = np.sum(np.square(g.ref));
    total = total === null ? s : total.add(s);
  }
  return np.sqrt(total!);
}

/**
 * Clip by global norm (PyTorch `clip_grad_norm_`): g ← g · min(1, maxNorm / (‖g‖ + 1e-6)).
 * Consumes `grads`; returns `[clipped, normBeforeClipping]`.
 */
export function clipByGlobalNorm(grads: Params, maxNorm: number): [Params, JArray] {
  checkNonNeg("clipByGlobalNorm maxNorm", maxNorm);
  const norm = globalNorm(grads);
  const coef = np.minimum(np.reciprocal(norm.ref.add(1e-6)).mul(maxNorm), 1);
  const clipped = tree.map((g: JArray) => g.mul(coef.ref), grads) as Params;
  coef.dispose();
  return [clipped, norm];
}

/** Clip each gradient entry to [−maxValue, maxValue] (PyTorch `clip_grad_value_`). Consumes `grads`. */
export function clipByValue(grads: Params, maxValue: number): Params {
  checkNonNeg("clipByValue maxValue", maxValue);
  return tree.map((g: JArray) => np.clip(g, -maxValue, maxValue), grads) as Params;
}

// ---------------------------------------------------------------------------------------------
// Learning-rate schedules (host side: step → lr)

/** JSON description of a schedule (what `makeSchedule` accepts and `Schedule.config` returns). */
export type ScheduleConfig =
  | { kind: "constant"; lr: number }
  | { kind: "cosine"; lr: number; totalSteps: number; warmupSteps?: number; finalLr?: number }
  | {
      kind: "oneCycle";
      maxLr: number;
      totalSteps: number;
      pctStart?: number;
      divFactor?: number;
      finalDivFactor?: number;
    };

/** A learning-rate schedule: 0-based update index → lr, with the config that built it. */
export type Schedule = ((step: number) => number) & { readonly config: ScheduleConfig };

function withConfig(f: (step: number) => number, config: ScheduleConfig): Schedule {
  return Object.assign(f, { config });
}

function checkPos(what: string, v: number): void {
  if (!(Number.isFinite(v) && v > 0)) throw new ConfigError(`${what}: expected a finite number > 0, got ${v}`);
}

function checkSteps(what: string, v: number): void {
  if (!(Number.isInteger(v) && v >= 1)) throw new ConfigError(`${what}: expected an integer ≥ 1, got ${v}`);
}

/** lr(step) = lr. */
export function constant(lr: number): Schedule {
  checkNonNeg("constant lr", lr);
  return withConfig(() => lr, { kind: "constant", lr });
}

/**
 * Linear warmup then cosine decay: lr·(s+1)/W for s < W; then
 * final + (lr − final)·(1 + cos(π·min(1, (s−W)/(T−W))))/2 (T = totalSteps, W = warmupSteps).
 */
export function cosine(opts: { lr: number; totalSteps: number; warmupSteps?: number; finalLr?: number }): Schedule {
  const { lr, totalSteps } = opts;
  const warmup = opts.warmupSteps ?? 0;
  const finalLr = opts.finalLr ?? 0;
  checkNonNeg("cosine lr", lr);
  checkNonNeg("cosine finalLr", finalLr);
  checkSteps("cosine totalSteps", totalSteps);
  if (!(Number.isInteger(warmup) && warmup >= 0 && warmup < totalSteps)) {
    throw new ConfigError(`cosine warmupSteps: expected an integer in [0, totalSteps=${totalSteps}), got ${warmup}`);
  }
  return withConfig(
    (s) => {
      if (s < warmup) return (lr * (s + 1)) / warmup;
      const p = Math.min(1, Math.max(0, (s - warmup) / (totalSteps - warmup)));
      return finalLr + ((lr - finalLr) * (1 + Math.cos(Math.PI * p))) / 2;
    },
    { kind: "cosine", lr, totalSteps, warmupSteps: warmup, finalLr },
  );
}

/**
 * One-cycle policy, PyTorch `OneCycleLR` (two phases, cos annealing, no momentum cycling):
 * initial = maxLr/divFactor, min = initial/finalDivFactor; phase 1 anneals initial → maxLr over
 * steps [0, pctStart·T − 1], phase 2 maxLr → min over [pctStart·T − 1, T − 1], with
 * cos-anneal(a, b, p) = b + (a − b)(1 + cos πp)/2. Steps past T − 1 stay at min.
 */
export function oneCycle(opts: {
  maxLr: number;
  totalSteps: number;
  pctStart?: number;
  divFactor?: number;
  finalDivFactor?: number;
}): Schedule {
  const { maxLr, totalSteps } = opts;
  const pctStart = opts.pctStart ?? 0.3;
  const divFactor = opts.divFactor ?? 25;
  const finalDivFactor = opts.finalDivFactor ?? 1e4;
  checkPos("oneCycle maxLr", maxLr);
  checkSteps("oneCycle totalSteps", totalSteps);
  checkPos("oneCycle divFactor", divFactor);
  checkPos("oneCycle finalDivFactor", finalDivFactor);
  if (!(pctStart > 0 && pctStart < 1))
    throw new ConfigError(`oneCycle pctStart: expected a number in (0, 1), got ${pctStart}`);
  const initial = maxLr / divFactor;
  const minLr = initial / finalDivFactor;
  const end1 = pctStart * totalSteps - 1;
  const end2 = totalSteps - 1;
  if (!(end1 > 0 && end1 < end2)) {
    throw new ConfigError(
      `oneCycle: pctStart·totalSteps − 1 = ${end1} must lie in (0, totalSteps − 1 = ${end2}); use more steps or another pctStart`,
    );
  }
  const anneal = (a: number, b: number, p: number): number => b + ((a - b) / 2) * (Math.cos(Math.PI * p) + 1);
  return withConfig(
    (s) => {
      if (s <= end1) return anneal(initial, maxLr, s / end1);
      if (s >= end2) return minLr;
      return anneal(maxLr, minLr, (s - end1) / (end2 - end1));
    },
    { kind: "oneCycle", maxLr, totalSteps, pctStart, divFactor, finalDivFactor },
  );
}

/** Builds a schedule from its JSON description. */
export function makeSchedule(config: ScheduleConfig): Schedule {
  switch (config.kind) {
    case "constant":
      return constant(config.lr);
    case "cosine":
      return cosine(config);
    case "oneCycle":
      return oneCycle(config);
    default:
      throw new ConfigError(
        `makeSchedule: unknown schedule ${JSON.stringify((config as { kind?: unknown }).kind)}; expected "constant", "cosine" or "oneCycle"`,
      );
  }
}
