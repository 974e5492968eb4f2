/**
 * Adversarial symmetry discovery, in the spirit of LieGAN (Yang, Walters, Dehmamy & Yu, ICML 2023,
 * "Generative Adversarial Symmetry Discovery"): learn k generators G [k, d, d] such that samples
 * moved by a random group element, g·x = exp(Σᵢ zᵢĜᵢ)x with zᵢ ~ N(0, σ²) drawn per sample, cannot
 * be told apart from the data by a discriminator. A symmetry of the data distribution is exactly a
 * transformation that leaves it unchanged, so at the equilibrium the span of the Ĝᵢ lies in the
 * Lie algebra of the distribution's symmetry group.
 *
 * The method, per step (batch B of data rows x, fresh z [B, k]):
 *   g·x = expm(Σᵢ zᵢĜᵢ) x,  Ĝᵢ = Gᵢ / ‖Gᵢ‖_F
 *   discriminator D: MLP [d (+ m), …hidden, 1] → logit
 *   D loss = ½ [softplus(−D(x)) + softplus(D(g·x))]      (binary cross-entropy, data = "real")
 *   G loss = softplus(−D(g·x))                            (non-saturating)
 *          + orthogonality · Σ_{i<j} |⟨Ĝᵢ, Ĝⱼ⟩|         (Ĝ unit-norm: the cosine of Gᵢ and Gⱼ)
 *          + sparsity · Σ |Ĝ entries|                    (L1)
 * Both gradients are taken at the same (G, D) and both Adam updates applied in one jitted step.
 * LieGAN's reference training loop does the same thing: its discriminator update uses the g·x
 * drawn before the generator update (`gx.detach()`), so both updates see the pre-step parameters.
 * Measured on the 2-core dev machine (loaded by other jobs; d = 2, hidden [32, 32], float32 Wasm,
 * CPU time per step over 350 steps, 3 runs each): one fused jit 5.6–7.2 ms at B = 256 and
 * 5.2–6.9 ms at B = 64, against 7.2–8.8 and 5.4–6.6 ms for two jits (one per player, the moved
 * batch passed from the first to the second). One jit is kept: as fast or faster, and one compilation.
 *
 * With invariant labels y [n, m] (LieGAN's supervised setting, y a scalar or any invariant
 * feature): the discriminator sees (x, y) against (g·x, y), so a generator must preserve the joint
 * distribution — the density of x and the labels. Equivariant labels (y transformed too) are not
 * implemented.
 *
 * Settings and defaults (LieGAN's defaults in brackets where they differ):
 * - Normalisation: in the forward pass, Ĝᵢ = Gᵢ/‖Gᵢ‖_F, always. The trivial answer G = 0
 *   (g·x = x) fools every discriminator; a penalty pulling ‖Gᵢ‖ towards 1 competes with the
 *   adversarial loss, which pulls non-symmetric directions towards 0, so the norm and the
 *   direction would settle at a weighting-dependent compromise. Normalising removes the scale
 *   from the problem: σ alone sets how far samples move and the loss only chooses directions.
 *   (LieGAN: optional `normalize_Li`, plus a regulariser pushing g·x away from x.)
 * - σ = 1 [1]; coefficients are drawn from N(0, σ²) truncated at ±4σ (redrawn), so that the
 *   number of squarings of `expm` can be fixed under jit: ‖Σ zᵢĜᵢ‖₁ ≤ √d · 4σ · k, and
 *   s = ⌈log₂ of that⌉ keeps the Taylor core's argument at norm ≤ 1.
 * - orthogonality = 1 [η = 1]; sparsity = 0 [μ = 0].
 * - Adam for both; generator lr 0.01 with β₁ = 0.5 [lr 1e-3, β₁ 0.5], discriminator lr 0.002
 *   [2e-4]; batch 256 [64]; discriminator hidden [32, 32] silu [512, 512 LeakyReLU(0.2)]. The
 *   larger rates and smaller network are for the step budget of a test (a few hundred to a few
 *   thousand steps, not LieGAN's 100 epochs); silu because jax-js has no leaky ReLU activation
 *   in the MLP and a smooth discriminator gives the generator smooth input gradients.
 *
 * What comes back: the span of the Ĝᵢ (readable basis, `canonicalBasis`), and as `spectrum` a
 * discriminator-free score per learned generator (training order): the unbiased MMD² (a sum of
 * Gaussian kernels, bandwidths 1, ½, ¼ and ⅛ of the median distance; labels ride along) between
 * one half of the data and the other half moved by exp(zĜᵢ), z ~ N(0, σ²), divided by the mean of
 * the same MMD² for 8 random unit-norm directions of gl(d). ≈ 0: the data cannot tell the
 * generator's action from the data (a symmetry); ≈ 1: as visible as a random linear map. Its
 * sampling noise is about ±0.1 (600 rows per half), so small negative values occur. k is an
 * input, so `chosenBy` is "given". `details` holds the raw generators (flat [k, d, d], training
 * order, unit norm), the mean losses over the last tenth of the steps (≈ ln 2 = 0.693 at the
 * equilibrium, where the discriminator cannot tell; the generator's plus its penalties), the
 * number of squarings and the run time.
 *
 * Asking for more generators than the data has symmetries does not give the true algebra plus
 * junk: the adversarial loss pulls every generator towards the symmetric directions and only the
 * orthogonality penalty holds them apart (a ring with k = 2 gave two generators 27° apart whose
 * span contains so(2), both scoring ≈ 0.1). Choose k from what is expected, or compare scores
 * across k.
 *
 * Departures from LieGAN: fixed σ (LieGAN can learn the coefficient distribution); no
 * incremental per-channel training; no invariant-label embedding table (labels enter as numbers);
 * the discriminator is far smaller; and only linear actions on vectors (g·x, no affine part).
 */
import { jit, numpy as np, tree, valueAndGrad, type Array as JArray } from "../jax.js";
import { ConfigError, NoetherError, NonFiniteError } from "../core/errors.js";
import { expm, expmHost } from "../core/expm.js";
import { fromHost, toFloat64 } from "../core/host.js";
import { hostNormal, hostRng, makeKey } from "../core/rng.js";
import type { Params } from "../core/tree.js";
import type { ActivationName } from "../nn/activations.js";
import { MLP, type MLPParams } from "../nn/layers.js";
import { adam, type StepScalars } from "../train/optim.js";
import { checkCount, makeDiscovery, type Discovery } from "./result.js";

/** Options of `discoverAdversarial`. */
export interface AdversarialOptions {
  /** Number of generators to learn, 1 ≤ k ≤ d². */
  k: number;
  /** Training steps (default 1500). */
  steps?: number;
  /** Standard deviation of the group coefficients zᵢ (default 1). */
  sigma?: number;
  /** Generator learning rate (Adam, β₁ = 0.5; default 0.01). */
  lr?: number;
  /** Discriminator learning rate (Adam; default 0.002). */
  lrDiscriminator?: number;
  /** Samples per step (default min(256, n)). */
  batch?: number;
  /** Discriminator hidden widths (default [32, 32]). */
  hidden?: number[];
  /** Discriminator activation (default "silu"). */
  activation?: ActivationName;
  /** Seed of the initial generators, the discriminator, the batches and the coefficients (default 0). */
  seed?: number;
  /** Invariant labels y, host [n, m] row-major; the discriminator then sees (x, y) against (g·x, y). */
  labels?: ArrayLike<number>;
  /** Weight of Σ_{i<j} |cos(Gᵢ, Gⱼ)| (default 1). */
  orthogonality?: number;
  /** Weight of the L1 norm of the unit-norm generators' entries (default 0). */
  sparsity?: number;
  /**
   * Called after every step with the two losses (before that step's update) and a reader of the
   * current unit-norm generators (flat [k, d, d]; read from the engine only when called).
   */
  onStep?: (step: number, losses: { discriminator: number; generator: number }, generators: () => Float64Array) => void;
  /**
   * Stops training at the next step; the result is built from the generators reached
   * (`details.steps` says how many steps ran). The loop yields to the event loop every ~50 ms so
   * that an abort (a stop button, a worker message) can arrive.
   */
  signal?: AbortSignal;
}

const MIN_SAMPLES = 32;
const TRUNCATE = 4;

function positive(what: string, v: number): void {
  if (!(Number.isFinite(v) && v > 0))
    throw new ConfigError(`discoverAdversarial: ${what} must be a finite number > 0, got ${v}`);
}

function nonNegative(what: string, v: number): void {
  if (!(Number.isFinite(v) && v >= 0))
    throw new ConfigError(`discoverAdversarial: ${what} must be a finite number ≥ 0, got ${v}`);
}

function checkRows(what: string, a: ArrayLike<number>, n: number, width: number): void {
  if (a.length !== n * width)
    throw new ConfigError(`discoverAdversarial: ${what} has ${a.length} values, expected ${n}×${width} = ${n * width}`);
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]!))
      throw new NonFiniteError(
        `discoverAdversarial: ${what} row ${Math.floor(i / width)}, column ${i % width} is ${a[i]}`,
      );
  }
}

/** Ĝ = G / ‖G‖_F per generator, G [k, d, d] (consumes G). */
function unitGenerators(G: JArray): JArray {
  const norm = np.sqrt(np.sum(np.square(G.ref), [1, 2], { keepdims: true }));
  return G.div(norm);
}

/** g·x = expm(Σᵢ zᵢĜᵢ) x for x [B, d], z [B, k], Ĝ [k, d, d] (consumes all three). */
function act(Gu: JArray, z: JArray, x: JArray, squarings: number): JArray {
  const [k, d] = [Gu.shape[0]!, Gu.shape[1]!];
  const B = x.shape[0]!;
  const L = np.matmul(z, Gu.reshape([k, d * d])).reshape([B, d, d]);
  return np.matmul(expm(L, { squarings }), x.reshape([B, d, 1])).reshape([B, d]);
}

interface StepOut {
  dLoss: JArray;
  gLoss: JArray;
  G: JArray;
  D: MLPParams;
  gState: Params;
  dState: Params;
}

/**
 * The Lie algebra (k generators) under which the distribution of the samples x [n, d] (host,
 * row-major) is invariant, learned adversarially; with `labels` y [n, m], the joint distribution of
 * (x, y) for labels invariant under the group. See the module comment for the method and defaults.
 *
 * @example const r = await discoverAdversarial(ring, { n: 2000, d: 2 }, { k: 1 }); // ≈ so(2)
 */
export async function discoverAdversarial(
  x: ArrayLike<number>,
  shape: { n: number; d: number },
  opts: AdversarialOptions,
): Promise<Discovery> {
  const { n, d } = shape;
  if (!Number.isInteger(d) || d < 1)
    throw new ConfigError(`discoverAdversarial: d must be a positive integer, got ${d}`);
  if (!Number.isInteger(n) || n < MIN_SAMPLES)
    throw new NoetherError(
      `discoverAdversarial: expected at least ${MIN_SAMPLES} samples to learn a distribution's symmetry from, got ${n}`,
    );
  if (opts === undefined || opts.k === undefined)
    throw new ConfigError("discoverAdversarial: opts.k (the number of generators) is required");
  checkCount("discoverAdversarial", opts.k, d * d);
  if (opts.k < 1) throw new ConfigError(`discoverAdversarial: k must be an integer in [1, ${d * d}], got ${opts.k}`);
  const k = opts.k;
  checkRows("x", x, n, d);
  let m = 0;
  if (opts.labels !== undefined) {
    m = opts.labels.length / n;
    if (!Number.isInteger(m) || m < 1)
      throw new ConfigError(
        `discoverAdversarial: labels have ${opts.labels.length} values, not a whole number ≥ 1 per each of the ${n} samples`,
      );
    checkRows("labels", opts.labels, n, m);
  }
  const steps = opts.steps ?? 1500;
  if (!Number.isInteger(steps) || steps < 1)
    throw new ConfigError(`discoverAdversarial: steps must be an integer ≥ 1, got ${steps}`);
  const sigma = opts.sigma ?? 1;
  positive("sigma", sigma);
  const lrG = opts.lr ?? 0.01;
  const lrD = opts.lrDiscriminator ?? 0.002;
  positive("lr", lrG);
  positive("lrDiscriminator", lrD);
  const batch = opts.batch ?? Math.min(256, n);
  if (!Number.isInteger(batch) || batch < 1 || batch > n)
    throw new ConfigError(`discoverAdversarial: batch must be an integer in [1, ${n}], got ${batch}`);
  const hidden = opts.hidden ?? [32, 32];
  if (!hidden.every((h) => Number.isInteger(h) && h > 0))
    throw new ConfigError(`discoverAdversarial: hidden widths must be positive integers, got [${hidden.join(", ")}]`);
  const orth = opts.orthogonality ?? 1;
  const sparsity = opts.sparsity ?? 0;
  nonNegative("orthogonality", orth);
  nonNegative("sparsity", sparsity);
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(seed)) throw new ConfigError(`discoverAdversarial: seed must be an integer, got ${seed}`);

  const started = performance.now();
  const squarings = Math.max(0, Math.ceil(Math.log2(Math.sqrt(d) * TRUNCATE * sigma * k)));
  const disc = MLP([d + m, ...hidden, 1], { activation: opts.activation ?? "silu" });
  const rng = hostRng(seed * 7919 + 17);
  const G0 = hostNormal(k * d * d, rng);
  const gOpt = adam({ b1: 0.5 });
  const dOpt = adam();

  const discriminate = (D: MLPParams, xb: JArray, yb: JArray | null): JArray =>
    disc.apply(D, yb === null ? xb : np.concatenate([xb, yb], 1)).reshape([-1]);
  const withLabels = m > 0;
  const inner = jit(
    (
      G: JArray,
      D: MLPParams,
      gState: Params,
      dState: Params,
      xb: JArray,
      yb: JArray,
      z: JArray,
      hg: StepScalars,
      hd: StepScalars,
    ) => {
      if (!withLabels) yb.dispose();
      const y = withLabels ? yb : null;
      const gLossFn = (Gp: JArray): JArray => {
        const Gu = unitGenerators(Gp);
        let loss = np.mean(
          softplus(discriminate(tree.ref(D), act(Gu.ref, z.ref, xb.ref, squarings), y?.ref ?? null).mul(-1)),
        );
        if (orth > 0 && k > 1) {
          const flat = Gu.ref.reshape([k, d * d]);
          const cos = np.matmul(flat.ref, flat.transpose());
          loss = loss.add(
            np
              .sum(np.absolute(cos))
              .sub(k)
              .mul(orth / 2),
          );
        }
        if (sparsity > 0) loss = loss.add(np.sum(np.absolute(Gu.ref)).mul(sparsity));
        Gu.dispose();
        return loss;
      };
      const [gLoss, gGrad] = valueAndGrad(gLossFn)(G.ref);
      const fake = act(unitGenerators(G.ref), z, xb.ref, squarings);
      const dLossFn = (Dp: MLPParams): JArray => {
        const real = discriminate(tree.ref(Dp), xb.ref, y?.ref ?? null);
        const faked = discriminate(Dp, fake.ref, y?.ref ?? null);
        return np.mean(softplus(real.mul(-1)).add(softplus(faked))).mul(0.5);
      };
      const [dLoss, dGrad] = valueAndGrad(dLossFn)(tree.ref(D) as MLPParams);
      fake.dispose();
      xb.dispose();
      y?.dispose();
      const [Gn, gS] = gOpt.update({ G: gGrad } as Params, gState, { G } as Params, hg);
      const [Dn, dS] = dOpt.update(dGrad as Params, dState, D as Params, hd);
      return { dLoss, gLoss, G: (Gn as { G: JArray }).G, D: Dn as MLPParams, gState: gS, dState: dS };
    },
  );

  let G = fromHost(G0, [k, d, d]);
  let D = disc.init(makeKey(seed));
  const dtype = G.dtype;
  let gState = gOpt.init({ G } as Params);
  let dState = dOpt.init(D as Params);
  const xb = new Float64Array(batch * d);
  const yb = new Float64Array(batch * Math.max(m, 1));
  const z = new Float64Array(batch * k);
  const tail = Math.max(1, Math.floor(steps / 10));
  let dTail = 0;
  let gTail = 0;
  const scalars = (h: Record<string, number>): StepScalars =>
    Object.fromEntries(Object.entries(h).map(([key, v]) => [key, np.array(v, { dtype })]));
  let stepsRun = 0;
  let lastYield = performance.now();
  try {
    for (let s = 1; s <= steps; s++) {
      for (let b = 0; b < batch; b++) {
        const r = Math.floor(rng() * n);
        for (let j = 0; j < d; j++) xb[b * d + j] = x[r * d + j]!;
        for (let j = 0; j < m; j++) yb[b * m + j] = opts.labels![r * m + j]!;
      }
      drawCoefficients(z, sigma, rng);
      const out = inner(
        G,
        D,
        gState,
        dState,
        fromHost(xb, [batch, d]),
        fromHost(yb, [batch, Math.max(m, 1)]),
        fromHost(z, [batch, k]),
        scalars(gOpt.hyper(lrG, s)),
        scalars(dOpt.hyper(lrD, s)),
      ) as unknown as StepOut;
      ({ G, D, gState, dState } = out);
      const dl = toFloat64(out.dLoss)[0]!;
      const gl = toFloat64(out.gLoss)[0]!;
      if (!Number.isFinite(dl) || !Number.isFinite(gl)) {
        throw new NonFiniteError(
          `discoverAdversarial: the losses became non-finite at step ${s} (discriminator ${dl}, generator ${gl}); lower lr or sigma`,
        );
      }
      if (s > steps - tail) {
        dTail += dl / tail;
        gTail += gl / tail;
      }
      stepsRun = s;
      opts.onStep?.(s, { discriminator: dl, generator: gl }, () => unitRows(toFloat64(G.ref), k, d * d));
      if (performance.now() - lastYield > 50) {
        await new Promise((r) => setTimeout(r, 0));
        lastYield = performance.now();
      }
      if (opts.signal?.aborted) break;
    }
  } catch (err) {
    G.dispose();
    throw err;
  } finally {
    inner.dispose();
    tree.dispose([gState, dState, D] as Params);
  }
  const raw = toFloat64(G);
  for (let i = 0; i < k; i++)
    if (!(Math.hypot(...raw.subarray(i * d * d, (i + 1) * d * d)) > 0))
      throw new NoetherError(`discoverAdversarial: generator ${i} collapsed to zero`);
  unitRows(raw, k, d * d);
  const score = symmetryScores(x, opts.labels, n, d, m, raw, k, sigma, seed);
  return makeDiscovery("adversarial", { d, k, generators: Float64Array.from(raw) }, score.scores, "given", {
    samples: n,
    steps: stepsRun,
    sigma,
    lr: lrG,
    lrDiscriminator: lrD,
    batch,
    orthogonality: orth,
    sparsity,
    labelWidth: m,
    squarings,
    discriminatorLoss: dTail,
    generatorLoss: gTail,
    mmdBandwidth: score.bandwidth,
    mmdRandomDirections: score.reference,
    rawGenerators: Array.from(raw),
    seconds: (performance.now() - started) / 1000,
  });
}

/** Scales each of the k rows (length w) of `g` to unit norm in place (zero rows stay zero); returns g. */
function unitRows(g: Float64Array, k: number, w: number): Float64Array {
  for (let i = 0; i < k; i++) {
    const row = g.subarray(i * w, (i + 1) * w);
    const nrm = Math.hypot(...row);
    if (nrm > 0) for (let j = 0; j < w; j++) row[j] = row[j]! / nrm;
  }
  return g;
}

/** softplus(v) = log(1 + eᵛ), written stably as max(v, 0) + log1p(e^{−|v|}) (consumes v). */
function softplus(v: JArray): JArray {
  return np.maximum(v.ref, 0).add(np.log1p(np.exp(np.absolute(v).mul(-1))));
}

/** Fills z with N(0, σ²) draws truncated (by redrawing) at ±4σ. */
function drawCoefficients(z: Float64Array, sigma: number, rng: () => number): void {
  for (let i = 0; i < z.length; i++) {
    let v = TRUNCATE + 1;
    while (Math.abs(v) > TRUNCATE) v = hostNormal(1, rng)[0]!;
    z[i] = v * sigma;
  }
}

/**
 * Per generator Ĝᵢ (unit-norm, flat [k, d, d]): MMD²(data half A, exp(zĜᵢ)·half B) / mean over 8
 * random unit directions R of MMD²(A, exp(zR)·B), z ~ N(0, σ²); labels (invariant) ride along
 * unchanged. Half-sizes are capped at 600 rows (a deterministic, seeded split).
 */
function symmetryScores(
  x: ArrayLike<number>,
  labels: ArrayLike<number> | undefined,
  n: number,
  d: number,
  m: number,
  gens: Float64Array,
  k: number,
  sigma: number,
  seed: number,
): { scores: number[]; bandwidth: number; reference: number } {
  const rng = hostRng(seed * 104729 + 5);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const h = Math.min(600, Math.floor(n / 2));
  const w = d + m;
  const half = (from: number): Float64Array => {
    const out = new Float64Array(h * w);
    for (let r = 0; r < h; r++) {
      const src = order[from + r]!;
      for (let j = 0; j < d; j++) out[r * w + j] = x[src * d + j]!;
      for (let j = 0; j < m; j++) out[r * w + d + j] = labels![src * m + j]!;
    }
    return out;
  };
  const A = half(0);
  const B = half(h);
  // Bandwidth: the median distance between rows of A (a subsample of pairs).
  const dists: number[] = [];
  for (let i = 0; i < h; i++) for (let j = i + 1; j < h; j += 7) dists.push(sqDist(A, i, A, j, w));
  dists.sort((a, b) => a - b);
  const bw2 = Math.max(dists[Math.floor(dists.length / 2)] ?? 1, 1e-12);
  const gamma = 1 / (2 * bw2);
  const kAA = meanKernel(A, A, h, w, gamma, true);
  const coeffs = new Float64Array(h);
  drawCoefficients(coeffs, sigma, rng);
  const moved = (L: Float64Array): Float64Array => {
    const out = Float64Array.from(B);
    for (let r = 0; r < h; r++) {
      const g = expmHost(
        L.map((v) => v * coeffs[r]!),
        d,
      );
      for (let i = 0; i < d; i++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += g[i * d + j]! * B[r * w + j]!;
        out[r * w + i] = s;
      }
    }
    return out;
  };
  const mmd = (L: Float64Array): number => {
    const gB = moved(L);
    return kAA + meanKernel(gB, gB, h, w, gamma, true) - 2 * meanKernel(A, gB, h, w, gamma, false);
  };
  let reference = 0;
  const R = 8;
  for (let r = 0; r < R; r++) {
    const L = hostNormal(d * d, rng);
    const nrm = Math.hypot(...L);
    reference += mmd(L.map((v) => v / nrm)) / R;
  }
  const scores = Array.from({ length: k }, (_, i) => mmd(gens.subarray(i * d * d, (i + 1) * d * d)) / reference);
  return { scores, bandwidth: Math.sqrt(bw2), reference };
}

function sqDist(a: Float64Array, i: number, b: Float64Array, j: number, w: number): number {
  let s = 0;
  for (let c = 0; c < w; c++) s += (a[i * w + c]! - b[j * w + c]!) ** 2;
  return s;
}

/**
 * Mean over pairs (i ≠ j when `distinct`: the unbiased within-sample term) of the multi-scale
 * kernel ¼ Σ_{s ∈ 1, 4, 16, 64} exp(−sγ‖aᵢ − bⱼ‖²): bandwidths from the median distance down to
 * an eighth of it, so thin structure (a ring's width) is seen as well as the overall spread.
 */
function meanKernel(a: Float64Array, b: Float64Array, h: number, w: number, gamma: number, distinct: boolean): number {
  let s = 0;
  for (let i = 0; i < h; i++)
    for (let j = 0; j < h; j++) {
      if (distinct && i === j) continue;
      let d2 = 0;
      for (let c = 0; c < w; c++) {
        const t = a[i * w + c]! - b[j * w + c]!;
        d2 += t * t;
      }
      const e1 = Math.exp(-gamma * d2);
      const e4 = e1 * e1 * e1 * e1;
      const e16 = e4 * e4 * e4 * e4;
      s += e1 + e4 + e16 + e16 * e16 * e16 * e16;
    }
  return s / (4 * (distinct ? h * (h - 1) : h * h));
}
