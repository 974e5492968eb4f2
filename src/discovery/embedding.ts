/**
 * Embedding detection (after Krippendorf & Syvaeri 2020, "Detecting symmetries with neural
 * networks", Mach. Learn.: Sci. Technol., doi:10.1088/2632-2153/abbd2d): a classifier is trained to tell which level
 * set (bin) of a potential V a point lies in; its embedding — the last hidden layer's activations
 * e(x) ∈ ℝᵐ — then carries what the classes depend on and little else, so points of one orbit of
 * V's symmetry group share an embedding. The generators are read off the embedding.
 *
 * How they are read off here: by local linear fits. At each anchor sample xᵢ the embedding's
 * Jacobian J (m × d) is fitted by least squares over its K nearest neighbours in input space,
 *   e(xⱼ) − e(xᵢ) ≈ J (xⱼ − xᵢ),
 * (or, with `jacobian: "autodiff"`, taken exactly from the network by forward-mode autodiff). The
 * embedding is constant along the orbit through xᵢ, whose tangent is L xᵢ for a generator L, so
 * every row of J gives one constraint J_r · (L xᵢ) = 0, linear in the d² entries of L (as for ∇f
 * in ./invariant.ts). Stacked over anchors they form A [rows, d²]; the generators span its
 * nullspace, read from the eigen-decomposition of AᵀA in float64: the spectrum is the ascending
 * singular values relative to the largest (the "PCA": the number of small ones is the dimension of
 * the algebra), and the count is chosen at the spectral gap (`chooseCount`: values ≤ `tol` = 0.4,
 * a ratio ≥ `minGap` = 2 to the next). Each anchor's rows are scaled by 1/‖xᵢ‖ (the tangent Lxᵢ
 * grows with ‖xᵢ‖) but not by 1/‖J‖: anchors weigh by the embedding's sensitivity there, so those
 * inside a class, where the embedding is flat and the fit is mostly error, count less. Measured
 * over 3 seeds (SO(2), the ellipse and SO(3) below): worst angles 2.2°, 4.5°, 3.4° with this
 * weighting, 3.8°, 5.8°, 3.1° with every anchor normalised to unit ‖J‖.
 *
 * The embedding is not forced to be invariant, only the classes are: a classifier is free to
 * vary along orbits in units its output layer barely reads. With `readout: "logits"` the
 * embedding is taken as the output layer reads it, e ↦ eW_out (C values; the logits less their
 * bias), which is much closer to invariant: the smallest singular values drop from 0.1–0.3 to
 * 0.06–0.09 and the angles from a few degrees to tenths (SO(2): 0.2–0.4°, 3 seeds). That is the
 * LieGG construction (./invariant.ts) on the classifier's logits; the default stays the
 * embedding, as in the paper.
 *
 * Settings (defaults): classifier MLP [d, 32, 32, C] tanh (smooth, so the embedding has a
 * Jacobian), softmax cross-entropy, full-batch Adam, 400 steps at lr 0.01 in one jitted step
 * (`makeTrainStep`); 500 anchors (a seeded choice among the samples); K = 4d + 4 neighbours.
 * `levelSetLabels` bins potential values into C classes of equal count (8 in the tests; 16 was
 * no better). Both Jacobians are always computed at the anchors and each gives a nullspace: the
 * one asked for is returned, the other is a cross-check in `details` (count, angle, and the median
 * cosine between the two Jacobians).
 *
 * What the spectrum looked like (2000 points in the box [−1, 1]^d, 8 classes): a true
 * symmetry's values 0.11–0.31 and the next 0.37–0.70 (SO(2), SO(3), the ellipse; 3 seeds);
 * potentials without a linear symmetry (circles about (½, 0), the parabola x₁ + x₂²; 2 seeds)
 * start at 0.52–0.62, so nothing is found; x₁² − x₂² gives its (non-compact) boost; x₁² + 2x₂⁴
 * gave 0.40 (nothing) or 0.19 (an approximate elliptic rotation) depending on the seed — its
 * level sets are close to ellipses in the box.
 *
 * Faithful to the paper: the task (classify level sets of a potential), the network (a small
 * dense classifier), the object analysed (the embedding layer), the principle (points of one
 * orbit share an embedding), and a spectral count of the symmetry directions. Departures: the
 * paper identifies orbits by collecting points with nearby embeddings and analyses the tangent
 * directions of those point sets (a PCA over differences); here the same information is taken
 * from local Jacobian fits and turned into generators by one linear nullspace, which yields the
 * generators (not only the orbit dimension) and a spectrum with a clear gap. The paper also
 * treats discrete symmetries and the Calabi–Yau graph data; only continuous, linearly acting
 * groups are covered here.
 */
import { jvp, tree, type Array as JArray } from "../jax.js";
import { ConfigError, NoetherError, NonFiniteError } from "../core/errors.js";
import { fromHost, toFloat64 } from "../core/host.js";
import { jacobiEigh } from "../core/linalg.js";
import { solve } from "../core/matrix.js";
import { hostRng, makeKey, permutation } from "../core/rng.js";
import { activation, type ActivationName } from "../nn/activations.js";
import { MLP, linearApply, type MLPParams } from "../nn/layers.js";
import { softmaxCrossEntropy } from "../train/losses.js";
import { adam } from "../train/optim.js";
import { makeTrainStep, type TrainStepOutput } from "../train/step.js";
import { principalAnglesDeg } from "./algebra.js";
import { checkCount, chooseCount, makeDiscovery, type Discovery } from "./result.js";

/** Options of `embeddingFromSamples` (the host analysis of a sampled embedding). */
export interface EmbeddingAnalysisOptions {
  /** Number of generators (default: chosen from the spectrum). */
  k?: number;
  /** A direction can count as a symmetry when its singular value is at most tol × the largest (default 0.4). */
  tol?: number;
  /** The spectral gap (ratio of neighbouring singular values) that separates symmetries from the rest (default 2). */
  minGap?: number;
  /** Anchors at which the Jacobian is fitted (default min(n, 500)). */
  anchors?: number;
  /** Nearest neighbours per local fit (default 4d + 4). */
  neighbours?: number;
  /** Seed of the anchor choice (default 0). */
  seed?: number;
}

/** Options of `discoverEmbedding`. */
export interface EmbeddingOptions extends EmbeddingAnalysisOptions {
  /** Classifier hidden widths; the last is the embedding (default [32, 32]). */
  hidden?: number[];
  /** Hidden activation (default "tanh"). */
  activation?: ActivationName;
  /** Adam steps, full batch (default 400). */
  steps?: number;
  /** Learning rate (default 0.01). */
  lr?: number;
  /** The embedding's Jacobian by local least-squares fits ("local", default) or by autodiff. */
  jacobian?: "local" | "autodiff";
  /** What is analysed: the last hidden layer ("embedding", default) or it as the output layer reads it, eW_out ("logits"). */
  readout?: "embedding" | "logits";
  /** Called after every training step with the loss (before that step's update). */
  onStep?: (step: number, loss: number) => void;
}

function checkSamples(what: string, x: ArrayLike<number>, n: number, d: number): void {
  if (!Number.isInteger(d) || d < 1) throw new ConfigError(`${what}: d must be a positive integer, got ${d}`);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${what}: n must be a positive integer, got ${n}`);
  if (x.length !== n * d) throw new ConfigError(`${what}: x has ${x.length} values, expected ${n}×${d} = ${n * d}`);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!))
      throw new NonFiniteError(`${what}: x row ${Math.floor(i / d)}, column ${i % d} is ${x[i]}`);
  }
}

function analysisSizes(
  what: string,
  n: number,
  d: number,
  opts: EmbeddingAnalysisOptions,
): { anchors: number; K: number } {
  checkCount(what, opts.k, d * d);
  const K = opts.neighbours ?? 4 * d + 4;
  if (!Number.isInteger(K) || K < d)
    throw new ConfigError(
      `${what}: neighbours must be an integer ≥ d = ${d} (a local fit of a d-column Jacobian), got ${K}`,
    );
  if (n < K + 1)
    throw new NoetherError(
      `${what}: ${n} samples cannot give ${K} neighbours per anchor; give at least ${K + 1} samples (or fewer neighbours)`,
    );
  const anchors = opts.anchors ?? Math.min(n, 500);
  if (!Number.isInteger(anchors) || anchors < 1 || anchors > n)
    throw new ConfigError(`${what}: anchors must be an integer in [1, ${n}], got ${anchors}`);
  if (opts.tol !== undefined && !(opts.tol > 0 && opts.tol < 1))
    throw new ConfigError(`${what}: tol must be in (0, 1), got ${opts.tol}`);
  if (opts.minGap !== undefined && !(opts.minGap >= 1))
    throw new ConfigError(`${what}: minGap must be a ratio ≥ 1, got ${opts.minGap}`);
  return { anchors, K };
}

/** The anchor rows: a seeded choice of `count` distinct samples. */
function chooseAnchors(n: number, count: number, seed: number): Int32Array {
  return permutation(n, hostRng(seed * 2654435761 + 11)).slice(0, count);
}

/** The K nearest samples to row i (excluding i), by squared distance. */
function nearest(x: ArrayLike<number>, n: number, d: number, i: number, K: number): Int32Array {
  const idx = new Int32Array(K).fill(-1);
  const dist = new Float64Array(K).fill(Infinity);
  for (let j = 0; j < n; j++) {
    if (j === i) continue;
    let s = 0;
    for (let c = 0; c < d; c++) s += (x[j * d + c]! - x[i * d + c]!) ** 2;
    if (s >= dist[K - 1]!) continue;
    let p = K - 1;
    while (p > 0 && dist[p - 1]! > s) {
      dist[p] = dist[p - 1]!;
      idx[p] = idx[p - 1]!;
      p--;
    }
    dist[p] = s;
    idx[p] = j;
  }
  return idx;
}

/**
 * Least-squares Jacobians of e at the anchors: Jᵀ = (ΔXᵀΔX)⁻¹ΔXᵀΔE over each anchor's K nearest
 * neighbours. Returns J [anchors, m, d] (NaN rows where the neighbours do not span ℝᵈ) and the
 * relative residual ‖ΔE − ΔX Jᵀ‖²/‖ΔE‖² per anchor.
 */
function localJacobians(
  x: ArrayLike<number>,
  e: ArrayLike<number>,
  n: number,
  d: number,
  m: number,
  anchors: Int32Array,
  K: number,
): { J: Float64Array; residual: Float64Array } {
  const J = new Float64Array(anchors.length * m * d);
  const residual = new Float64Array(anchors.length);
  const dx = new Float64Array(K * d);
  const de = new Float64Array(K * m);
  anchors.forEach((i, a) => {
    const nb = nearest(x, n, d, i, K);
    for (let t = 0; t < K; t++) {
      const j = nb[t]!;
      for (let c = 0; c < d; c++) dx[t * d + c] = x[j * d + c]! - x[i * d + c]!;
      for (let r = 0; r < m; r++) de[t * m + r] = e[j * m + r]! - e[i * m + r]!;
    }
    const xtx = new Float64Array(d * d);
    const xte = new Float64Array(d * m);
    for (let t = 0; t < K; t++)
      for (let c = 0; c < d; c++) {
        const v = dx[t * d + c]!;
        for (let c2 = 0; c2 < d; c2++) xtx[c * d + c2] = xtx[c * d + c2]! + v * dx[t * d + c2]!;
        for (let r = 0; r < m; r++) xte[c * m + r] = xte[c * m + r]! + v * de[t * m + r]!;
      }
    let jt: Float64Array; // Jᵀ [d, m]
    try {
      jt = solve(xtx, xte, d, m, "local Jacobian fit");
    } catch {
      J.fill(NaN, a * m * d, (a + 1) * m * d);
      residual[a] = NaN;
      return;
    }
    for (let r = 0; r < m; r++) for (let c = 0; c < d; c++) J[(a * m + r) * d + c] = jt[c * m + r]!;
    let res = 0;
    let tot = 0;
    for (let t = 0; t < K; t++)
      for (let r = 0; r < m; r++) {
        let p = 0;
        for (let c = 0; c < d; c++) p += dx[t * d + c]! * jt[c * m + r]!;
        res += (de[t * m + r]! - p) ** 2;
        tot += de[t * m + r]! ** 2;
      }
    residual[a] = tot > 0 ? res / tot : 0;
  });
  return { J, residual };
}

/** The nullspace discovery of the constraints J(xᵢ) L xᵢ = 0 over the anchors (see the module comment). */
function nullspace(
  x: ArrayLike<number>,
  d: number,
  m: number,
  anchors: Int32Array,
  J: Float64Array,
  opts: EmbeddingAnalysisOptions,
  details: Discovery["details"],
): Discovery {
  const D = d * d;
  const gram = new Float64Array(D * D);
  const P = new Float64Array(d * d);
  let used = 0;
  anchors.forEach((i, a) => {
    P.fill(0);
    let jn = 0;
    for (let r = 0; r < m; r++)
      for (let c = 0; c < d; c++) {
        const v = J[(a * m + r) * d + c]!;
        jn += v * v;
        for (let c2 = 0; c2 < d; c2++) P[c * d + c2] = P[c * d + c2]! + v * J[(a * m + r) * d + c2]!;
      }
    let xn = 0;
    for (let c = 0; c < d; c++) xn += x[i * d + c]! ** 2;
    const w = 1 / xn;
    if (!Number.isFinite(w) || !(jn > 1e-300)) return;
    used++;
    // Gram[(a,b),(c,e)] += w P[a,c] x_b x_e  (row of L_ab: J_ra x_b)
    for (let p = 0; p < d; p++)
      for (let b = 0; b < d; b++) {
        const xb = x[i * d + b]!;
        for (let q = 0; q < d; q++) {
          const f = w * P[p * d + q]! * xb;
          if (f === 0) continue;
          for (let e = 0; e < d; e++)
            gram[(p * d + b) * D + q * d + e] = gram[(p * d + b) * D + q * d + e]! + f * x[i * d + e]!;
        }
      }
  });
  if (used < D) {
    throw new NoetherError(
      `embedding discovery: only ${used} anchors have an informative Jacobian, too few to identify the ${D} entries of a ${d}×${d} generator; give more samples or anchors`,
    );
  }
  const { values, vectors } = jacobiEigh(gram, D);
  const top = Math.sqrt(Math.max(values[D - 1]!, 0));
  if (!(top > 0))
    throw new NoetherError(
      "embedding discovery: every constraint vanishes (the embedding is constant); nothing identifies the generators",
    );
  const spectrum = Array.from(values, (v) => Math.sqrt(Math.max(v, 0)) / top);
  const tol = opts.tol ?? 0.4;
  const minGap = opts.minGap ?? 2;
  const k = opts.k ?? chooseCount(spectrum, { tol, small: true, minGap });
  const gens = new Float64Array(k * D);
  for (let c = 0; c < k; c++) for (let r = 0; r < D; r++) gens[c * D + r] = vectors[r * D + c]!;
  return makeDiscovery("embedding", { d, k, generators: gens }, spectrum, opts.k === undefined ? "gap" : "given", {
    ...details,
    componentsFound: k,
    anchorsUsed: used,
    tol,
    minGap,
  });
}

function median(v: ArrayLike<number>): number {
  const s = Array.from(v)
    .filter((x) => Number.isFinite(x))
    .sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)]!;
}

/**
 * Generators from an embedding sampled at the points: x [n, d] and e(x) [n, m] (host, row-major).
 * Local least-squares Jacobians at the anchors, then the nullspace of J(xᵢ) L xᵢ = 0 (see the
 * module comment). Method "embedding"; details include `componentsFound` and `fitResidual` (the
 * median relative residual of the local fits).
 */
export function embeddingFromSamples(
  x: ArrayLike<number>,
  e: ArrayLike<number>,
  shape: { n: number; d: number; m: number },
  opts: EmbeddingAnalysisOptions = {},
): Discovery {
  const { n, d, m } = shape;
  checkSamples("embeddingFromSamples", x, n, d);
  if (!Number.isInteger(m) || m < 1)
    throw new ConfigError(`embeddingFromSamples: m (the embedding width) must be a positive integer, got ${m}`);
  if (e.length !== n * m)
    throw new ConfigError(`embeddingFromSamples: the embedding has ${e.length} values, expected ${n}×${m} = ${n * m}`);
  for (let i = 0; i < e.length; i++) {
    if (!Number.isFinite(e[i]!))
      throw new NonFiniteError(`embeddingFromSamples: embedding row ${Math.floor(i / m)}, column ${i % m} is ${e[i]}`);
  }
  const { anchors: count, K } = analysisSizes("embeddingFromSamples", n, d, opts);
  const anchors = chooseAnchors(n, count, opts.seed ?? 0);
  const { J, residual } = localJacobians(x, e, n, d, m, anchors, K);
  return nullspace(x, d, m, anchors, J, opts, {
    samples: n,
    embeddingWidth: m,
    anchors: count,
    neighbours: K,
    jacobian: "local",
    fitResidual: median(residual),
  });
}

/**
 * Class labels 0..C−1 from potential values [n]: C bins of equal count (by rank, ties broken by
 * index), so every level-set class has ⌊n/C⌋ or ⌈n/C⌉ samples.
 */
export function levelSetLabels(values: ArrayLike<number>, classes: number): Int32Array {
  const n = values.length;
  if (!Number.isInteger(classes) || classes < 2 || classes > n)
    throw new ConfigError(
      `levelSetLabels: classes must be an integer in [2, ${n}] (the number of values), got ${classes}`,
    );
  for (let i = 0; i < n; i++)
    if (!Number.isFinite(values[i]!)) throw new NonFiniteError(`levelSetLabels: value ${i} is ${values[i]}`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]! || a - b);
  const out = new Int32Array(n);
  order.forEach((i, r) => {
    out[i] = Math.floor((r * classes) / n);
  });
  return out;
}

/** The embedding of a classifier: the last hidden layer's activations (consumes params and x). */
function embed(params: MLPParams, x: JArray, act: (v: JArray) => JArray): JArray {
  const hidden = params.layers.slice(0, -1);
  tree.dispose(params.layers[params.layers.length - 1]!);
  let h = x;
  for (const lp of hidden) h = act(linearApply(lp, h));
  return h;
}

/**
 * Generators of the symmetry of a potential, from points x [n, d] (host, row-major) and the class
 * of the level set each lies in, labels [n] (integers 0..C−1, e.g. `levelSetLabels(V(x), 8)`):
 * trains the classifier, takes its embedding, and analyses it (see the module comment).
 * `details` include `componentsFound`, the training loss and accuracy, the median relative
 * residual of the local fits, and `jacobianCosine`: the median |cos| between the local-fit and
 * the autodiff Jacobians at the anchors (1: the fits see what the network computes).
 *
 * @example const r = await discoverEmbedding(x, levelSetLabels(V, 8), { n: 2000, d: 2 }); // so(2) for V = |x|²
 */
export async function discoverEmbedding(
  x: ArrayLike<number>,
  labels: ArrayLike<number>,
  shape: { n: number; d: number },
  opts: EmbeddingOptions = {},
): Promise<Discovery> {
  const { n, d } = shape;
  checkSamples("discoverEmbedding", x, n, d);
  if (labels.length !== n) throw new ConfigError(`discoverEmbedding: ${labels.length} labels for ${n} samples`);
  let C = 0;
  for (let i = 0; i < n; i++) {
    const c = labels[i]!;
    if (!Number.isInteger(c) || c < 0)
      throw new ConfigError(`discoverEmbedding: label ${i} is ${c}, expected a class index (integer ≥ 0)`);
    C = Math.max(C, c + 1);
  }
  if (C < 2)
    throw new NoetherError(
      `discoverEmbedding: every sample has class ${C - 1}; a level-set classifier needs at least 2 classes`,
    );
  const { anchors: count, K } = analysisSizes("discoverEmbedding", n, d, opts);
  const steps = opts.steps ?? 400;
  if (!Number.isInteger(steps) || steps < 1)
    throw new ConfigError(`discoverEmbedding: steps must be an integer ≥ 1, got ${steps}`);
  const lr = opts.lr ?? 0.01;
  if (!(Number.isFinite(lr) && lr > 0))
    throw new ConfigError(`discoverEmbedding: lr must be a finite number > 0, got ${lr}`);
  const hidden = opts.hidden ?? [32, 32];
  if (hidden.length < 1 || !hidden.every((h) => Number.isInteger(h) && h > 0))
    throw new ConfigError(
      `discoverEmbedding: hidden must be a non-empty list of positive integers, got [${hidden.join(", ")}]`,
    );
  const method = opts.jacobian ?? "local";
  if (method !== "local" && method !== "autodiff")
    throw new ConfigError(`discoverEmbedding: jacobian must be "local" or "autodiff", got ${JSON.stringify(method)}`);
  if (opts.readout !== undefined && opts.readout !== "embedding" && opts.readout !== "logits") {
    throw new ConfigError(
      `discoverEmbedding: readout must be "embedding" or "logits", got ${JSON.stringify(opts.readout)}`,
    );
  }
  const seed = opts.seed ?? 0;
  const actName = opts.activation ?? "tanh";
  const act = activation(actName);
  const m = hidden[hidden.length - 1]!;

  const started = performance.now();
  const net = MLP([d, ...hidden, C], { activation: actName });
  const onehot = new Float64Array(n * C);
  for (let i = 0; i < n; i++) onehot[i * C + labels[i]!] = 1;
  const X = fromHost(x, [n, d]);
  const Y = fromHost(onehot, [n, C]);
  const opt = adam();
  const step = makeTrainStep((p: MLPParams, xb: JArray, yb: JArray) => softmaxCrossEntropy(net.apply(p, xb), yb), opt);
  let params = net.init(makeKey(seed));
  let state = opt.init(params);
  let loss = NaN;
  try {
    for (let s = 1; s <= steps; s++) {
      const out: TrainStepOutput = step(params, state, X.ref, Y.ref, lr, s);
      params = out.params as MLPParams;
      state = out.optState;
      loss = toFloat64(out.loss)[0]!;
      if (!Number.isFinite(loss))
        throw new NonFiniteError(`discoverEmbedding: the classifier's loss became ${loss} at step ${s}; lower lr`);
      opts.onStep?.(s, loss);
    }
  } catch (err) {
    tree.dispose(params);
    X.dispose();
    throw err;
  } finally {
    step.dispose();
    tree.dispose(state);
    Y.dispose();
  }
  const logits = toFloat64(net.apply(tree.ref(params), X.ref));
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (logits[i * C + c]! > logits[i * C + best]!) best = c;
    if (best === labels[i]) correct++;
  }
  const readout = opts.readout ?? "embedding";
  const wOut = toFloat64(params.layers[params.layers.length - 1]!.w.ref); // [m, C]
  let e = toFloat64(embed(tree.ref(params), X, act));
  const anchors = chooseAnchors(n, count, seed);
  let exact = autodiffJacobians(params, x, d, m, anchors, act);
  let width = m;
  if (readout === "logits") {
    e = project(e, n, 1, m, wOut, C);
    exact = project(exact, anchors.length, d, m, wOut, C);
    width = C;
  }
  const local = localJacobians(x, e, n, d, width, anchors, K);
  const cosines = Array.from(anchors, (_, a) => {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let t = a * width * d; t < (a + 1) * width * d; t++) {
      dot += local.J[t]! * exact[t]!;
      na += local.J[t]! ** 2;
      nb += exact[t]! ** 2;
    }
    return Math.abs(dot) / Math.sqrt(na * nb);
  });
  const details = {
    samples: n,
    classes: C,
    embeddingWidth: width,
    readout,
    anchors: count,
    neighbours: K,
    jacobian: method,
    steps,
    trainLoss: loss,
    trainAccuracy: correct / n,
    fitResidual: median(local.residual),
    jacobianCosine: median(cosines),
  };
  const [mine, other] = method === "local" ? [local.J, exact] : [exact, local.J];
  const result = nullspace(x, d, width, anchors, mine, opts, details);
  // The cross-check: the same analysis with the other Jacobian, its count chosen from its own spectrum.
  let check: Discovery | undefined;
  try {
    check = nullspace(x, d, width, anchors, other, opts, details);
  } catch {
    check = undefined; // e.g. too few informative local fits: no cross-check, the result stands
  }
  result.details.crossCheckComponents = check?.basis.k ?? NaN;
  result.details.crossCheckAngleDeg =
    check !== undefined && check.basis.k === result.basis.k && result.basis.k > 0
      ? Math.max(...principalAnglesDeg(result.basis, check.basis))
      : NaN;
  result.details.seconds = (performance.now() - started) / 1000;
  return result;
}

/**
 * Rows of a stack [rows, m, cols] mapped through W [m, C]: out[r, c, j] = Σᵢ W[i, c] in[r, i, j]
 * (the embedding or its Jacobian as the output layer reads it).
 */
function project(v: Float64Array, rows: number, cols: number, m: number, w: Float64Array, C: number): Float64Array {
  const out = new Float64Array(rows * C * cols);
  for (let r = 0; r < rows; r++)
    for (let i = 0; i < m; i++)
      for (let c = 0; c < C; c++) {
        const f = w[i * C + c]!;
        for (let j = 0; j < cols; j++)
          out[(r * C + c) * cols + j] = out[(r * C + c) * cols + j]! + f * v[(r * m + i) * cols + j]!;
      }
  return out;
}

/** ∂e/∂x at the anchor rows by forward-mode autodiff, one jvp per input direction: J [anchors, m, d] (consumes params). */
function autodiffJacobians(
  params: MLPParams,
  x: ArrayLike<number>,
  d: number,
  m: number,
  anchors: Int32Array,
  act: (v: JArray) => JArray,
): Float64Array {
  const A = anchors.length;
  const xa = new Float64Array(A * d);
  anchors.forEach((i, a) => {
    for (let c = 0; c < d; c++) xa[a * d + c] = x[i * d + c]!;
  });
  const J = new Float64Array(A * m * d);
  try {
    for (let c = 0; c < d; c++) {
      const dir = new Float64Array(A * d);
      for (let a = 0; a < A; a++) dir[a * d + c] = 1;
      const [value, tangent] = jvp(
        (v: JArray) => embed(tree.ref(params), v, act),
        [fromHost(xa, [A, d])],
        [fromHost(dir, [A, d])],
      );
      value.dispose();
      const t = toFloat64(tangent);
      for (let a = 0; a < A; a++) for (let r = 0; r < m; r++) J[(a * m + r) * d + c] = t[a * m + r]!;
    }
  } finally {
    tree.dispose(params);
  }
  return J;
}
