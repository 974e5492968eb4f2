/**
 * LieConv (Finzi, Stanton, Izmailov & Wilson 2020): convolution of point clouds over a Lie group.
 *
 * 1. `liftCloud`: points → group elements uᵢ (with orbit samples where the group does not act
 *    freely), and for every pair the log coordinates aᵢⱼ = [log(uᵢ⁻¹uⱼ), qᵢ, qⱼ] (q: orbit
 *    identifiers) and the distance dᵢⱼ² = |log(uᵢ⁻¹uⱼ)|² + α|qᵢ − qⱼ|² (masked points far away).
 *    aᵢⱼ is invariant to u ↦ g·u, so everything built on it is invariant.
 * 2. `lieConv` layers: query points by farthest-point (or seeded random) subsampling in that
 *    distance, the K nearest neighbours of each query (fixed K, so `jit` caches one shape), and
 *    out_i = W · (1/nᵢ) Σⱼ k(aᵢⱼ) ⊗ vⱼ (`aggregation: "mean"`, nᵢ the valid neighbours — the paper's
 *    Monte Carlo normalisation; `"sum"` drops it), the kernel k an MLP (swish) of aᵢⱼ or a
 *    B-spline basis on it (Bekkers 2019, `kernel: "bspline"`).
 * 3. `globalPool`: masked mean over the points.
 *
 * Shapes: points [B, N, d], values [B, N, c], mask [B, N] (1 valid, 0 padding; pad with finite
 * numbers). Every function consumes its array arguments (params trees included) unless it says
 * "borrowed".
 */
import { Array as JArrayClass, lax, numpy as np, tree, type Array as JArray } from "../../jax.js";
import { ConfigError, NonFiniteError, ShapeError, fmtShape } from "../../core/errors.js";
import { fromHost, placementOf } from "../../core/host.js";
import { hostRng, permutation, splitKey } from "../../core/rng.js";
import type { Params } from "../../core/tree.js";
import { activation, type ActivationName } from "../../nn/activations.js";
import { Linear, MLP, linearApply, type LinearParams, type MLPParams } from "../../nn/layers.js";
import { initWeight } from "../../nn/init.js";
import type { Module } from "../../nn/module.js";
import { repeatSamples, type LieConvGroup } from "./groups.js";

/** A batch of point clouds: points [B, N, d], values [B, N, c], optional mask [B, N] (default all valid). */
export interface PointCloud {
  points: JArray;
  values: JArray;
  mask?: JArray;
}

/** A lifted cloud: pair features [B, L, L, P], pair distances [B, L, L] (no gradient), values [B, L, C], mask [B, L]. */
export interface LiftedCloud {
  [k: string]: JArray;
  pairs: JArray;
  dist: JArray;
  values: JArray;
  mask: JArray;
}

/** Options of `liftCloud`. */
export interface LiftOptions {
  /** Orbit samples per point (default the group's: 1 where it acts freely, 4 for SE(2), SO(3), SE(3)). */
  samples?: number;
  /** Weight α of the orbit-identifier distance (default 1). */
  alpha?: number;
}

/** Distance added for masked (padding) points, so that they are never nearer than a valid one. */
const FAR = 1e8;

function isConcrete(x: JArray): boolean {
  return x instanceof JArrayClass;
}

function disposeCloud(c: PointCloud): void {
  c.points.dispose();
  c.values.dispose();
  c.mask?.dispose();
}

/**
 * Checks a cloud (shapes always; NaN/±Inf and 0/1 masks on concrete, untraced arrays) and returns
 * its mask (all ones when absent). On failure releases the cloud and throws a ShapeError,
 * NonFiniteError or ConfigError naming what was expected and what was given.
 */
export function checkCloud(who: string, group: LieConvGroup, c: PointCloud): JArray {
  const fail = (e: Error): never => {
    disposeCloud(c);
    throw e;
  };
  const ps = c.points.shape;
  const vs = c.values.shape;
  if (ps.length !== 3 || ps[2] !== group.d)
    fail(new ShapeError(`${who}: expected points [B, N, ${group.d}] for ${group.name}, got ${fmtShape(ps)}`));
  const [B, N] = ps as [number, number, number];
  if (vs.length !== 3 || vs[0] !== B || vs[1] !== N)
    fail(new ShapeError(`${who}: values must be [B, N, c] = [${B}, ${N}, c] like the points, got ${fmtShape(vs)}`));
  if (c.mask !== undefined && (c.mask.ndim !== 2 || c.mask.shape[0] !== B || c.mask.shape[1] !== N))
    fail(new ShapeError(`${who}: mask must be [B, N] = [${B}, ${N}] like the points, got ${fmtShape(c.mask.shape)}`));
  for (const [name, x] of [
    ["points", c.points],
    ["values", c.values],
    ["mask", c.mask],
  ] as const) {
    if (x === undefined || !isConcrete(x)) continue;
    const v = x.ref.dataSync() as ArrayLike<number>;
    for (let i = 0; i < v.length; i++) {
      if (!Number.isFinite(v[i]!))
        fail(
          new NonFiniteError(
            `${who}: ${name} must be finite (pad clouds with finite numbers and a mask), found ${v[i]} at flat index ${i} of shape ${fmtShape(x.shape)}`,
          ),
        );
      if (name === "mask" && v[i] !== 0 && v[i] !== 1)
        fail(new ConfigError(`${who}: mask entries must be 0 or 1, found ${v[i]} at flat index ${i}`));
    }
    if (name === "mask") {
      for (let b = 0; b < B; b++) {
        let n = 0;
        for (let i = 0; i < N; i++) n += v[b * N + i]!;
        if (n === 0) fail(new ConfigError(`${who}: cloud ${b} has no valid point (its mask is all 0)`));
      }
    }
  }
  return c.mask ?? np.ones([B, N], placementOf(c.points));
}

/**
 * Lifts a cloud (consumed) over `group`: elements with `samples` orbit samples per point, pair
 * features aᵢⱼ = [log(uᵢ⁻¹uⱼ), qᵢ, qⱼ] [B, L, L, P] (L = N·samples, P = `pairDim(group)`), distances,
 * values and mask repeated per sample.
 */
export function liftCloud(group: LieConvGroup, cloud: PointCloud, opts: LiftOptions = {}): LiftedCloud {
  const samples = opts.samples ?? group.defaultSamples;
  const alpha = opts.alpha ?? 1;
  const mask = checkCloud("liftCloud", group, cloud);
  const [B, N] = cloud.points.shape as [number, number];
  const L = N * samples;
  const el = group.lift(cloud.points, mask, samples);
  const parts: JArray[] = [];
  let dist: JArray | null = null;
  if (el.rot !== null || el.trans !== null) {
    let rotPair: JArray | null = null;
    let transPair: JArray | null = null;
    if (el.rot !== null) {
      const R = el.rot;
      const k = R.shape[3]!;
      const X = R.ref.transpose([0, 1, 3, 2]).reshape([B, L * k, k]); // rows (i, a), cols r: A_iᵀ
      const Y = R.ref.transpose([0, 2, 1, 3]).reshape([B, k, L * k]); // rows r, cols (j, c): A_j
      rotPair = np.matmul(X.ref, Y).reshape([B, L, k, L, k]).transpose([0, 1, 3, 2, 4]);
      if (group.scaled) {
        const col0 = R.ref.slice([], [], [], 0); // [B, L, k]
        const r2 = np.sum(col0.ref.mul(col0), -1).reshape([B, L, 1, 1, 1]);
        rotPair = rotPair.div(r2);
      }
      if (el.trans !== null) {
        const t = el.trans;
        const tj = np
          .matmul(X.ref, t.ref.transpose([0, 2, 1]))
          .reshape([B, L, k, L])
          .transpose([0, 1, 3, 2]); // A_iᵀ t_j
        const ti = np.sum(R.ref.mul(t.reshape([B, L, k, 1])), 2).reshape([B, L, 1, k]); // A_iᵀ t_i
        transPair = tj.sub(ti);
      }
      X.dispose();
      R.dispose();
    } else if (el.trans !== null) {
      const t = el.trans;
      const k = t.shape[2]!;
      transPair = t.ref.reshape([B, 1, L, k]).sub(t.reshape([B, L, 1, k]));
    }
    const log = group.logBlocks(rotPair, transPair); // [B, L, L, A]
    dist = np.sum(lax.stopGradient(log.ref.mul(log.ref)), -1);
    parts.push(log);
  }
  if (el.orbit !== null) {
    const q = el.orbit;
    const qd = q.shape[2]!;
    const qi = np.broadcastTo(q.ref.reshape([B, L, 1, qd]), [B, L, L, qd]);
    const qj = np.broadcastTo(q.reshape([B, 1, L, qd]), [B, L, L, qd]);
    const dq = lax.stopGradient(qi.ref.sub(qj.ref));
    const dqd = np.sum(dq.ref.mul(dq), -1).mul(alpha);
    dist = dist === null ? dqd : dist.add(dqd);
    parts.push(qi, qj);
  }
  const pairs = parts.length === 1 ? parts[0]! : np.concatenate(parts, -1);
  const maskL = repeatSamples(mask, samples);
  const far = maskL.ref.mul(-FAR).add(FAR).reshape([B, 1, L]);
  return {
    pairs,
    dist: lax.stopGradient(dist!.add(far)),
    values: repeatSamples(cloud.values, samples),
    mask: maskL,
  };
}

/** Pair-feature width of `group`: algebraDim + 2·orbitDim. */
export function pairDim(group: LieConvGroup): number {
  return group.algebraDim + 2 * group.orbitDim;
}

/**
 * Distances rounded to 1e-9 (consumed): orbit samples make exact ties structural (every point
 * lies at the same distances from its own samples), and a tie decided by rounding noise would
 * choose differently for g·x. Rounded, ties are exact and go to the lower index every time.
 */
function quantize(d: JArray): JArray {
  return np.round(d.mul(1e9));
}

/** Rows `idx` [B, m] (int32, consumed) of x [B, L, ...] along axis 1 (x consumed). */
function gatherRows(x: JArray, idx: JArray): JArray {
  const [B, m] = idx.shape as [number, number];
  const rest = x.shape.slice(2);
  const ix = idx.reshape([B, m, ...rest.map(() => 1)]);
  return np.takeAlongAxis(x, ix, 1);
}

/**
 * Farthest-point sampling of `m` of the L points by the distance matrix dist [B, L, L] (consumed;
 * no gradient), among valid points (mask [B, L], consumed): starts at the first valid point, then
 * repeatedly takes the point farthest from those chosen. Returns indices [B, m] int32.
 */
export function farthestPoints(dist: JArray, mask: JArray, m: number): JArray {
  const [B, L] = mask.shape as [number, number];
  if (!Number.isInteger(m) || m < 1 || m > L) {
    dist.dispose();
    mask.dispose();
    throw new ConfigError(`farthestPoints: expected 1 ≤ m ≤ ${L} query points, got ${m}`);
  }
  const valid = mask.greater(0);
  let cur = np.argmax(valid.ref.astype(np.int32), -1).astype(np.int32); // [B]
  const chosen: JArray[] = [cur.ref.reshape([B, 1])];
  let minD = np.takeAlongAxis(dist.ref, cur.reshape([B, 1, 1]), 1).reshape([B, L]);
  for (let s = 1; s < m; s++) {
    cur = np.argmax(np.where(valid.ref, quantize(minD.ref), -1), -1).astype(np.int32);
    chosen.push(cur.ref.reshape([B, 1]));
    const row = np.takeAlongAxis(dist.ref, cur.reshape([B, 1, 1]), 1).reshape([B, L]);
    minD = np.minimum(minD, row);
  }
  minD.dispose();
  valid.dispose();
  dist.dispose();
  return chosen.length === 1 ? chosen[0]! : np.concatenate(chosen, 1);
}

/** A seeded random subset of `m` of `L` indices (the same for every cloud of the batch), [B, m] int32 like `like` (borrowed). */
export function randomPoints(B: number, L: number, m: number, seed: number, like: JArray): JArray {
  const p = Array.from(permutation(L, hostRng(seed)).subarray(0, m)).sort((a, b) => a - b);
  const idx = new Int32Array(B * m);
  for (let b = 0; b < B; b++) idx.set(p, b * m);
  return fromHost(idx, [B, m], { dtype: "int32", device: like.device });
}

/** How a layer picks its query points. */
export type Subsample = "fps" | "random";

/** Options of one LieConv layer. */
export interface LieConvOptions {
  /** Neighbourhood size K (default 16; clouds need at least K lifted points). */
  nbhd?: number;
  /** Fraction of the points kept as query points (default 1: every point; then no subsampling). */
  keep?: number;
  /** Query selection when keep < 1 (default "fps"). */
  subsample?: Subsample;
  /** Seed of "random" subsampling (default 0). */
  seed?: number;
  /** "mean" (default; divide by the valid neighbours) or "sum". */
  aggregation?: "mean" | "sum";
  /** Kernel: "mlp" (default, swish MLP of the pair features) or "bspline" (cubic B-spline basis). */
  kernel?: "mlp" | "bspline";
  /** Hidden width of the kernel MLP (default 32). */
  kernelHidden?: number;
  /** Kernel output channels (the PointConv "mid" channels; default 16). */
  mid?: number;
  /** B-spline centres (default 64; seeded uniform in [−extent, extent]^P) and their extent (default 2) and width (default extent·2/centres^(1/P)·1.5). */
  centers?: number;
  extent?: number;
  width?: number;
}

/** Parameters of one LieConv layer: the kernel (MLP, or the B-spline basis weights) and the output map. */
export interface LieConvParams {
  [k: string]: Params;
  kernel: MLPParams | { w: JArray };
  lin: LinearParams;
}

/** A LieConv layer: lifted cloud [B, L, …] with C channels → lifted cloud [B, m, …] with `outChannels`. */
export interface LieConvLayer {
  readonly inChannels: number;
  readonly outChannels: number;
  init(key: JArray): LieConvParams;
  /**
   * Convolves (consumes params and the cloud): returns the output cloud at the query points and
   * the query indices [B, m] (null when every point is a query point), for residual connections.
   */
  apply(params: LieConvParams, cloud: LiftedCloud): { out: LiftedCloud; queries: JArray | null };
}

/** Cubic B-spline B₃(t) (support |t| < 2), elementwise; consumes t. */
function bspline3(t: JArray): JArray {
  const a = np.abs(t);
  const inner = a.ref
    .mul(a.ref)
    .mul(a.ref)
    .mul(0.5)
    .sub(a.ref.mul(a.ref))
    .add(2 / 3);
  const o = np.maximum(a.ref.neg().add(2), 0);
  const outer = o.ref
    .mul(o.ref)
    .mul(o)
    .mul(1 / 6);
  return np.where(a.less(1), inner, outer);
}

/** Builds one LieConv layer for pair features of width `pairWidth` (see `pairDim`). */
export function lieConv(
  pairWidth: number,
  inChannels: number,
  outChannels: number,
  opts: LieConvOptions = {},
): LieConvLayer {
  const K = opts.nbhd ?? 16;
  const keep = opts.keep ?? 1;
  const sub = opts.subsample ?? "fps";
  const mean = (opts.aggregation ?? "mean") === "mean";
  const mid = opts.mid ?? 16;
  const kind = opts.kernel ?? "mlp";
  if (!(Number.isInteger(K) && K >= 1)) throw new ConfigError(`lieConv: nbhd must be a positive integer, got ${K}`);
  if (!(keep > 0 && keep <= 1)) throw new ConfigError(`lieConv: keep must be in (0, 1], got ${keep}`);
  const kernelNet = MLP([pairWidth, opts.kernelHidden ?? 32, opts.kernelHidden ?? 32, mid], { activation: "silu" });
  const nc = opts.centers ?? 64;
  const extent = opts.extent ?? 2;
  const width = opts.width ?? ((2 * extent) / Math.max(1, nc ** (1 / Math.max(1, pairWidth)))) * 1.5;
  const centres = (() => {
    const rng = hostRng(0xb5b1 + pairWidth);
    return Float64Array.from({ length: nc * pairWidth }, () => (2 * rng() - 1) * extent);
  })();
  const lin = Linear(mid * inChannels, outChannels);
  const kernel = (p: LieConvParams["kernel"], a: JArray): JArray => {
    if (kind === "mlp") return kernelNet.apply(p as MLPParams, a);
    const shape = a.shape;
    const P = shape[shape.length - 1]!;
    const c = fromHost(centres, [nc, P], placementOf(a));
    const t = a
      .reshape([...shape.slice(0, -1), 1, P])
      .sub(c)
      .div(width); // [..., nc, P]
    const b = bspline3(t);
    let basis = b.ref.slice(...(shape.slice(0, -1).map(() => []) as []), [], 0);
    for (let d = 1; d < P; d++) basis = basis.mul(b.ref.slice(...(shape.slice(0, -1).map(() => []) as []), [], d));
    b.dispose();
    const flat = basis.reshape([-1, nc]);
    return np.matmul(flat, (p as { w: JArray }).w).reshape([...shape.slice(0, -1), mid]);
  };
  return {
    inChannels,
    outChannels,
    init(key) {
      const [k1, k2] = splitKey(key, 2) as [JArray, JArray];
      const kp = kind === "mlp" ? kernelNet.init(k1) : { w: initWeight(k1, nc, mid, "glorot") };
      return { kernel: kp, lin: lin.init(k2) };
    },
    apply(params, cloud) {
      const { pairs, dist, values, mask } = cloud;
      const [B, L] = mask.shape as [number, number];
      const C = values.shape[2]!;
      const fail = (e: Error): never => {
        tree.dispose([params, cloud] as never);
        throw e;
      };
      if (C !== inChannels)
        fail(new ShapeError(`lieConv: expected values [B, L, ${inChannels}], got ${fmtShape(values.shape)}`));
      if (pairs.shape[3] !== pairWidth)
        fail(new ShapeError(`lieConv: expected pair features [B, L, L, ${pairWidth}], got ${fmtShape(pairs.shape)}`));
      if (L < K)
        fail(
          new ConfigError(
            `lieConv: the cloud has ${L} (lifted) points, fewer than the neighbourhood size ${K}; use a smaller nbhd or more points`,
          ),
        );
      const m = keep === 1 ? L : Math.max(K, Math.ceil(keep * L));
      if (m > L) fail(new ConfigError(`lieConv: ${m} query points of ${L}`));
      // Query points.
      let queries: JArray | null = null;
      let qPairs = pairs;
      let qDist = dist;
      let qMask = mask;
      if (m < L) {
        queries = sub === "fps" ? farthestPoints(dist.ref, mask.ref, m) : randomPoints(B, L, m, opts.seed ?? 0, mask);
        qPairs = gatherRows(pairs.ref, queries.ref);
        qDist = gatherRows(dist.ref, queries.ref);
        qMask = gatherRows(mask.ref, queries.ref);
      }
      // Neighbourhoods: the K nearest of the L points to each query (all of them when K = L).
      let nPairs: JArray;
      let nValues: JArray; // [B, m, K, C]
      let nMask: JArray; // [B, m, K]
      let keepPairs: JArray | null = null;
      let keepDist: JArray | null = null;
      if (K === L) {
        nPairs = qPairs.ref;
        nValues = np.broadcastTo(values.ref.reshape([B, 1, L, C]), [B, m, L, C]);
        nMask = np.broadcastTo(mask.ref.reshape([B, 1, L]), [B, m, L]);
      } else {
        const [nd, nbr] = lax.topK(quantize(qDist.ref).neg(), K, -1); // [B, m, K]
        nd.dispose();
        nPairs = np.takeAlongAxis(qPairs.ref, nbr.ref.reshape([B, m, K, 1]), 2);
        const flat = nbr.reshape([B, m * K]);
        nValues = np.takeAlongAxis(values.ref, flat.ref.reshape([B, m * K, 1]), 1).reshape([B, m, K, C]);
        nMask = np.takeAlongAxis(mask.ref, flat, 1).reshape([B, m, K]);
      }
      const w = nMask.mul(qMask.ref.reshape([B, m, 1])); // [B, m, K]
      const k = kernel(params.kernel, nPairs).mul(w.ref.reshape([B, m, K, 1])); // [B, m, K, mid]
      // Σⱼ k(aᵢⱼ) ⊗ vⱼ as one batched matmul [B·m, mid, K] @ [B·m, K, C].
      let conv = np.matmul(k.reshape([B * m, K, mid]).transpose([0, 2, 1]), nValues.reshape([B * m, K, C]));
      if (mean) conv = conv.div(np.maximum(np.sum(w, -1), 1).reshape([B * m, 1, 1]));
      else w.dispose();
      const out = linearApply(params.lin, conv.reshape([B * m, mid * C])).reshape([B, m, outChannels]);
      if (m < L) {
        keepPairs = gatherRows(qPairs.transpose([0, 2, 1, 3]), queries!.ref).transpose([0, 2, 1, 3]);
        keepDist = gatherRows(qDist.transpose([0, 2, 1]), queries!.ref).transpose([0, 2, 1]);
        pairs.dispose();
        dist.dispose();
        mask.dispose();
      } else {
        keepPairs = qPairs;
        keepDist = qDist;
      }
      values.dispose();
      return { out: { pairs: keepPairs, dist: keepDist, values: out, mask: qMask }, queries };
    },
  };
}

/** Masked mean over the points of values [B, L, C] (mask [B, L]); both consumed → [B, C]. */
export function globalPool(values: JArray, mask: JArray): JArray {
  const [B, L] = mask.shape as [number, number];
  const s = np.sum(values.mul(mask.ref.reshape([B, L, 1])), 1);
  return s.div(np.maximum(np.sum(mask, 1), 1e-6).reshape([B, 1]));
}

/** Options of `lieConvNet`. */
export interface LieConvNetOptions extends LieConvOptions, LiftOptions {
  /** Input channels c of the values. */
  inChannels: number;
  /** Outputs after the pooled head (e.g. classes, or 1 for a potential). */
  outSize: number;
  /** Hidden channels (default 32). */
  channels?: number;
  /** LieConv layers (default 2). */
  layers?: number;
  /** Activation between layers (default "silu", the paper's swish). */
  activation?: ActivationName;
  /** Per layer fraction of points kept (default `keep` for every layer). */
  keepPerLayer?: number[];
}

/** Parameters of `lieConvNet`. */
export interface LieConvNetParams {
  [k: string]: Params;
  inp: LinearParams;
  layers: LieConvParams[];
  head: LinearParams;
}

/** A LieConv network: cloud → [B, outSize] (invariant to the group). */
export interface LieConvNet extends Module<LieConvNetParams> {
  readonly group: LieConvGroup;
  /** Lifts (`liftCloud` with the net's options), convolves and pools: consumes params and the cloud. */
  apply(params: LieConvNetParams, x: PointCloud | JArray): JArray;
  /** The same from an already lifted cloud (consumed). */
  applyLifted(params: LieConvNetParams, lifted: LiftedCloud): JArray;
}

/**
 * A residual LieConv network (the paper's LieResNet without batch norm): a linear embedding of the
 * values, `layers` × [h ← h(at the queries) + LieConv(act(h))], a masked mean pool and a linear
 * head. `apply` also takes a packed array [B, N, d + c] (positions then values; all points valid).
 *
 * @example const net = lieConvNet(lieSO2(), { inChannels: 1, outSize: 10, nbhd: 16, keep: 0.5 });
 */
export function lieConvNet(group: LieConvGroup, opts: LieConvNetOptions): LieConvNet {
  const ch = opts.channels ?? 32;
  const nl = opts.layers ?? 2;
  const act = activation(opts.activation ?? "silu");
  const P = pairDim(group);
  const inp = Linear(opts.inChannels, ch);
  const convs = Array.from({ length: nl }, (_, i) =>
    lieConv(P, ch, ch, { ...opts, keep: opts.keepPerLayer?.[i] ?? opts.keep ?? 1, seed: (opts.seed ?? 0) + i }),
  );
  const head = Linear(ch, opts.outSize);
  const applyLifted = (params: LieConvNetParams, lifted: LiftedCloud): JArray => {
    let cur: LiftedCloud = { ...lifted, values: linearApply(params.inp, lifted.values) };
    params.layers.forEach((lp, i) => {
      const h = cur.values;
      const { out, queries } = convs[i]!.apply(lp, { ...cur, values: act(h.ref) });
      const skip = queries === null ? h : gatherRows(h, queries);
      cur = { ...out, values: out.values.add(skip) };
    });
    tree.dispose(cur.pairs);
    cur.dist.dispose();
    return linearApply(params.head, globalPool(act(cur.values), cur.mask));
  };
  return {
    group,
    inSize: opts.inChannels,
    outSize: opts.outSize,
    init(key) {
      const keys = splitKey(key, nl + 2);
      return {
        inp: inp.init(keys[0]!),
        layers: convs.map((c, i) => c.init(keys[i + 1]!)),
        head: head.init(keys[nl + 1]!),
      };
    },
    apply(params, x) {
      let cloud: PointCloud;
      if (x instanceof JArrayClass || !("points" in (x as object))) {
        const arr = x as JArray;
        const d = group.d;
        if (arr.ndim !== 3 || arr.shape[2]! !== d + opts.inChannels) {
          const s = arr.shape;
          arr.dispose();
          tree.dispose(params);
          throw new ShapeError(
            `lieConvNet: expected a packed cloud [B, N, ${d + opts.inChannels}], got ${fmtShape(s)}`,
          );
        }
        cloud = { points: arr.ref.slice([], [], [0, d]), values: arr.slice([], [], [d, d + opts.inChannels]) };
      } else cloud = x as PointCloud;
      let lifted: LiftedCloud;
      try {
        lifted = liftCloud(group, cloud, opts);
      } catch (e) {
        tree.dispose(params);
        throw e;
      }
      return applyLifted(params, lifted);
    },
    applyLifted,
  };
}
