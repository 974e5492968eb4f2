/**
 * Augerino (Benton, Finzi, Izmailov & Wilson 2020): learn *how much* invariance to build in.
 * The wrapped model averages the base model over transformations g(u) = exp(Σᵢ uᵢwᵢAᵢ),
 * u ~ U[−1, 1]^k, with learned widths wᵢ on generators Aᵢ; the loss adds −λ‖w‖, which rewards
 * wide invariance, so the widths grow while the data allow it and shrink when they do not.
 *
 * Two forms share the machinery:
 * - `augerino(model, repIn, …)`: vectors of a representation; the generators are dρ_in(Aᵢ) of
 *   a group's Lie algebra (textbook or learned) or given matrices, and with `repOut` the average is
 *   equivariant, (1/C) Σ_c ρ_out(g_c)⁻¹ f(ρ_in(g_c) x).
 * - `augerinoImage(model, size, …)`: square images under the affine generators (translations,
 *   rotation, scale, stretch, shear), by a bilinear warp that is differentiable in the widths.
 *
 * The u's are a fixed quadrature: C points of a Kronecker (golden-ratio) sequence on [−1, 1]^k
 * in antithetic pairs ±u. `fit` runs one jitted step with its constants baked in at trace time,
 * so points drawn inside the loss would be the same every step anyway; a spread, symmetric set is
 * a lower-variance estimate of the paper's E_u than C fresh draws. (Deviation from the paper:
 * fresh u per step.)
 */
import { numpy as np, tree, type Array as JArray } from "../jax.js";
import { ConfigError, ShapeError, fmtShape } from "../core/errors.js";
import { expm } from "../core/expm.js";
import { fromHost, placementOf, toFloat64 } from "../core/host.js";
import type { Params } from "../core/tree.js";
import type { Group } from "../groups/group.js";
import type { Module } from "../nn/module.js";
import type { Rep } from "../reps/rep.js";
import { mse, type Loss, type LossFn } from "../train/losses.js";
import { warpCopies } from "./warp.js";

/** Parameters of an Augerino model: the base model's and the k widths. */
export interface AugerinoParams<P extends Params = Params> {
  [k: string]: P | JArray;
  model: P;
  widths: JArray;
}

/** Options shared by the two forms. */
export interface AugerinoOptions {
  /** Transformed copies C averaged per input (default 8; even, for the antithetic pairs). */
  copies?: number;
  /** Initial widths: one number for all or one per generator (default 0.1). */
  init?: number | readonly number[];
  /** Squarings of the matrix exponential (default 6: exact enough for ‖Σuwdρ(A)‖₁ up to ~60). */
  squarings?: number;
}

/** An Augerino model: a Module over `{ model, widths }` plus what it was built with. */
export interface Augerino<P extends Params = Params> extends Module<AugerinoParams<P>> {
  /** Number k of generators. */
  readonly k: number;
  /** Names of the generators (for reports). */
  readonly names: readonly string[];
  /** The quadrature points u [C, k] (host, row-major). */
  readonly points: Float64Array;
  readonly copies: number;
  /**
   * The base model on every copy, before averaging: [C, B, out] (for the equivariant form already
   * mapped back by ρ_out(g_c)⁻¹); `apply` is its mean over copies. Consumes params and x.
   */
  applyCopies(params: AugerinoParams<P>, x: JArray): JArray;
}

/**
 * C points u [C, k] in [−1, 1]^k: C/2 points v_j = 2·frac(½ + (j + ½)α) − 1 of Roberts' Kronecker
 * sequence (α_i = φ_k^−(i+1), φ_k the root of x^(k+1) = x + 1) and their negatives −v_j; for k = 1
 * the midpoint rule ±(j + ½)/(C/2).
 */
export function quadraturePoints(copies: number, k: number): Float64Array {
  if (!(Number.isInteger(copies) && copies >= 2 && copies % 2 === 0))
    throw new ConfigError(`augerino: copies must be an even integer ≥ 2, got ${copies}`);
  let phi = 2;
  for (let i = 0; i < 60; i++) phi = (1 + phi) ** (1 / (k + 1));
  const half = copies / 2;
  const u = new Float64Array(copies * k);
  for (let j = 0; j < half; j++)
    for (let i = 0; i < k; i++) {
      const v = k === 1 ? (j + 0.5) / half : 2 * ((0.5 + (j + 0.5) / phi ** (i + 1)) % 1) - 1;
      u[j * k + i] = v;
      u[(half + j) * k + i] = -v;
    }
  return u;
}

function initWidths(init: AugerinoOptions["init"], k: number, what: string): Float64Array {
  const w = new Float64Array(k);
  if (init === undefined || typeof init === "number") w.fill(init ?? 0.1);
  else {
    if (init.length !== k)
      throw new ShapeError(`${what}: init has ${init.length} widths, expected one per generator (${k})`);
    w.set(init);
  }
  return w;
}

/**
 * Σᵢ uᵢwᵢGᵢ for every copy: [C, n, n] from widths [k] (traced), points u [C, k] and generators
 * G [k, n, n] (host); consumes `widths`.
 */
function algebraElements(widths: JArray, u: Float64Array, gens: Float64Array, C: number, k: number, n: number): JArray {
  const at = placementOf(widths);
  const uw = fromHost(u, [C, k], at).mul(widths.reshape([1, k]));
  return np.matmul(uw, fromHost(gens, [k, n * n], at)).reshape([C, n, n]);
}

/** The wrapped model's init plus the widths w0 [k] on the dtype and device of its first leaf. */
function initWithWidths<P extends Params>(
  model: Pick<Module<P>, "init">,
  key: JArray,
  w0: ArrayLike<number>,
): { model: P; widths: JArray } {
  const p = model.init(key);
  const leaf = tree.leaves(p)[0] as JArray | undefined;
  const at = leaf ? placementOf(leaf) : undefined;
  return { model: p, widths: fromHost(w0, [w0.length], at ? { dtype: at.dtype as never, device: at.device } : {}) };
}

/**
 * Augerino on vectors of `repIn`: f̄(x) = (1/C) Σ_c f(ρ_in(g_c)x), or with `repOut`
 * (1/C) Σ_c ρ_out(g_c)⁻¹ f(ρ_in(g_c)x); g_c = exp(Σᵢ u_ci wᵢ Aᵢ). Generators: `generators`
 * ([k, d, d] stack or list, acting on ℝ^d of repIn's group) or the Lie algebra of `group`
 * (default repIn.G). x [B, repIn.size] → [B, out]. `apply` consumes params and x.
 * @example const aug = augerino(MLP([10, 64, 1]), V(SO(5)).times(2)); // widths on so(5)'s 10 generators
 */
export function augerino<P extends Params>(
  model: Module<P>,
  repIn: Rep,
  opts: AugerinoOptions & {
    repOut?: Rep;
    group?: Group;
    generators?: Float64Array | readonly Float64Array[];
    names?: readonly string[];
  } = {},
): Augerino<P> {
  const G = opts.group ?? repIn.G;
  const d = G.d;
  let lie: Float64Array[];
  if (opts.generators !== undefined) {
    const list =
      opts.generators instanceof Float64Array
        ? Array.from({ length: opts.generators.length / (d * d) }, (_, i) =>
            (opts.generators as Float64Array).slice(i * d * d, (i + 1) * d * d),
          )
        : opts.generators.map((g) => Float64Array.from(g));
    for (const [i, g] of list.entries())
      if (g.length !== d * d)
        throw new ShapeError(`augerino: generator ${i} has ${g.length} values, expected ${d}×${d}`);
    lie = list;
  } else lie = Array.from({ length: G.D }, (_, i) => G.lieGenerator(i));
  const k = lie.length;
  if (k === 0) throw new ConfigError(`augerino: ${G.name} has no Lie algebra generators; give generators`);
  const C = opts.copies ?? 8;
  const u = quadraturePoints(C, k);
  const n = repIn.size;
  const dIn = new Float64Array(k * n * n);
  lie.forEach((A, i) => dIn.set(repIn.drho(A), i * n * n));
  const repOut = opts.repOut;
  const m = repOut?.size;
  const dOut = repOut === undefined ? null : new Float64Array(k * m! * m!);
  if (repOut !== undefined) lie.forEach((A, i) => dOut!.set(repOut.drho(A), i * m! * m!));
  const w0 = initWidths(opts.init, k, "augerino");
  const s = opts.squarings ?? 6;
  const names = opts.names ?? lie.map((_, i) => `A${i + 1}`);
  const self: Augerino<P> = {
    k,
    names,
    points: u,
    copies: C,
    inSize: n,
    ...(model.outSize !== undefined ? { outSize: model.outSize } : {}),
    init: (key) => initWithWidths(model, key, w0),
    apply(params, x) {
      return np.mean(self.applyCopies(params, x), 0);
    },
    applyCopies(params, x) {
      if (x.ndim !== 2 || x.shape[1] !== n) {
        const shape = x.shape;
        x.dispose();
        tree.dispose(params as never);
        throw new ShapeError(`augerino: expected x [B, ${n}] (the size of ${repIn.structure}), got ${fmtShape(shape)}`);
      }
      const B = x.shape[0]!;
      const R = expm(algebraElements(params.widths.ref, u, dIn, C, k, n), { squarings: s });
      // M[i, c·n + j] = R_c[j, i]: one 2-D matmul gives every copy, x_b ↦ R_c x_b.
      const M = R.transpose([2, 0, 1]).reshape([n, C * n]);
      const xs = np
        .matmul(x, M)
        .reshape([B, C, n])
        .transpose([1, 0, 2])
        .reshape([C * B, n]);
      const y = model.apply(params.model, xs);
      const out = y.shape[1]!;
      let y3 = y.reshape([C, B, out]);
      if (dOut !== null) {
        if (out !== m) {
          y3.dispose();
          params.widths.dispose();
          throw new ShapeError(`augerino: the model gives ${out} outputs, repOut ${repOut!.structure} has ${m}`);
        }
        // ρ_out(g_c)⁻¹ = exp(−Σ u w dρ_out(A)); y_c ↦ y_c ρ_out(g_c)⁻ᵀ, batched [C, B, m] @ [C, m, m].
        const Rinv = expm(algebraElements(params.widths.mul(-1), u, dOut, C, k, m!), { squarings: s });
        y3 = np.matmul(y3, Rinv.transpose([0, 2, 1]));
      } else params.widths.dispose();
      return y3;
    },
  };
  return self;
}

/** The affine generators of `augerinoImage`, on centred coordinates (x right, y up, both in [−1, 1]). */
export const AFFINE_GENERATORS = ["tx", "ty", "rotation", "scale", "stretch", "shear"] as const;
export type AffineGenerator = (typeof AFFINE_GENERATORS)[number];

/** The 3×3 homogeneous matrix of an affine generator. */
export function affineGenerator(name: AffineGenerator): Float64Array {
  const m = new Float64Array(9);
  const set = (i: number, j: number, v: number) => {
    m[i * 3 + j] = v;
  };
  if (name === "tx") set(0, 2, 1);
  else if (name === "ty") set(1, 2, 1);
  else if (name === "rotation") set(0, 1, -1), set(1, 0, 1);
  else if (name === "scale") set(0, 0, 1), set(1, 1, 1);
  else if (name === "stretch") set(0, 0, 1), set(1, 1, -1);
  else if (name === "shear") set(0, 1, 1), set(1, 0, 1);
  else
    throw new ConfigError(
      `augerinoImage: unknown generator ${JSON.stringify(name)}; expected one of ${AFFINE_GENERATORS.join(", ")}`,
    );
  return m;
}

/**
 * Augerino on square images x [B, size·size] (row-major, flattened): the base model sees the C
 * warped copies [C·B, size·size] (output pixel p samples the input at g_c·p, bilinear, zero
 * outside) and its outputs are averaged. Generators: a subset of AFFINE_GENERATORS (default all six).
 * `apply` consumes params and x.
 * @example const aug = augerinoImage(MLP([784, 128, 10]), 28, { generators: ["rotation"], init: 0.2 });
 */
export function augerinoImage<P extends Params>(
  model: Module<P>,
  size: number,
  opts: AugerinoOptions & { generators?: readonly AffineGenerator[] } = {},
): Augerino<P> {
  const names = opts.generators ?? AFFINE_GENERATORS;
  const k = names.length;
  if (k === 0) throw new ConfigError("augerinoImage: give at least one generator");
  const gens = new Float64Array(k * 9);
  names.forEach((g, i) => gens.set(affineGenerator(g), i * 9));
  const C = opts.copies ?? 8;
  const u = quadraturePoints(C, k);
  const w0 = initWidths(opts.init, k, "augerinoImage");
  const s = opts.squarings ?? 6;
  const n2 = size * size;
  const self: Augerino<P> = {
    k,
    names: [...names],
    points: u,
    copies: C,
    inSize: n2,
    ...(model.outSize !== undefined ? { outSize: model.outSize } : {}),
    init: (key) => initWithWidths(model, key, w0),
    apply(params, x) {
      return np.mean(self.applyCopies(params, x), 0);
    },
    applyCopies(params, x) {
      if (x.ndim !== 2 || x.shape[1] !== n2) {
        const shape = x.shape;
        x.dispose();
        tree.dispose(params as never);
        throw new ShapeError(`augerinoImage: expected x [B, ${n2}] (${size}×${size} images), got ${fmtShape(shape)}`);
      }
      const B = x.shape[0]!;
      const T = expm(algebraElements(params.widths, u, gens, C, k, 3), { squarings: s });
      const xs = warpCopies(x, T, size).reshape([C * B, n2]);
      const y = model.apply(params.model, xs);
      return y.reshape([C, B, y.shape[1]!]);
    },
  };
  return self;
}

/** The widths |wᵢ| (host numbers; borrows params). */
export function augerinoWidths(params: { widths: JArray }): number[] {
  return Array.from(toFloat64(params.widths.ref), Math.abs);
}

/**
 * Augerino's training objective: the expected loss over the transformations,
 * (1/C) Σ_c loss(f(g_c·x), y), minus λ‖w‖ (the paper's regulariser rewarding wide invariance,
 * λ ~ 0.01–0.1; the norm, not its square, whose pull vanishes at w = 0 and leaves w = 0 a
 * stationary point the widths fall into: measured on rotated MNIST, every width went to 0). The expected loss (not the loss of the average) is what makes a width costly on
 * data that are not invariant: it adds the spread of the predictions over the copies, which a
 * model cannot undo by rescaling (the average of a linear f over rotations of width w is
 * sin(w)/w · f, which a model compensates). Predictions use the average (`apply`). Consumes params, x, y.
 */
export function augerinoLoss<P extends Params>(
  aug: Augerino<P>,
  loss: Loss = mse,
  lambda = 0.01,
): LossFn<AugerinoParams<P>> {
  if (!(Number.isFinite(lambda) && lambda >= 0))
    throw new ConfigError(`augerinoLoss: lambda must be ≥ 0, got ${lambda}`);
  return (params, x, y) => {
    const reg = np.sqrt(np.sum(np.square(params.widths.ref)).add(1e-12)).mul(lambda);
    const yc = aug.applyCopies(params, x);
    const [C, B, out] = yc.shape as [number, number, number];
    const target = np.ones([C, 1, 1], { dtype: y.dtype, device: y.device }).mul(y.reshape([1, B, -1]));
    return loss(yc.reshape([C * B, out]), target.reshape([C * B, -1])).sub(reg);
  };
}
