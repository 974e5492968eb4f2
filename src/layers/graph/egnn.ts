/**
 * E(n)-equivariant graph neural networks (Satorras, Hoogeboom & Welling 2021; layout of
 * vgsatorras/egnn's E_GCL / E_GCL_vel). One layer on node features h [N, H], coordinates
 * x [N, d] (and velocities v [N, d]) over edges s → r:
 *
 *   mₖ  = φₑ(h_r, h_s, ‖x_r − x_s‖², aₖ)                     (messages; aₖ edge attributes)
 *   x'ᵣ = x_r + C Σ_{k: rₖ = r} (x_r − x_s) φₓ(mₖ)           (C = 1/deg: "mean", or 1: "sum")
 *         [+ φᵥ(h_r) v_r  in the velocity variant]
 *   h'ᵣ = h_r + φₕ(h_r, Σ_{k: rₖ = r} mₖ)                     (recurrent update)
 *
 * Only distances enter the MLPs and coordinates change by combinations of differences, so the
 * layer commutes with rotations, reflections and translations of x (and rotations of v), and
 * with permutations of the nodes. `messagePassingGNN` is the paper's plain GNN baseline: the
 * same messages on node features that include absolute coordinates (not equivariant).
 */
import { Array as JArrayClass, numpy as np, tree, type Array as JArray } from "../../jax.js";
import { fmtShape, NonFiniteError, ShapeError } from "../../core/errors.js";
import { splitKey } from "../../core/rng.js";
import type { ActivationName } from "../../nn/activations.js";
import { Linear, MLP, type LinearParams, type MLPParams } from "../../nn/layers.js";
import type { GraphsTuple } from "./graphs.js";
import { graphSegments } from "./gn.js";
import { gatherRows, segmentMean, segmentSum } from "./segment.js";

/** The graph structure an EGNN runs on: senders, receivers and the layout of a GraphsTuple (borrowed). */
export type GraphStructure = Pick<GraphsTuple, "senders" | "receivers" | "nNode" | "nEdge" | "uniform">;

/** Options of `egnnLayer`. */
export interface EGNNLayerOptions {
  /** Node feature width H (in and out). */
  hidden: number;
  /** Edge attribute width (default 0). */
  edgeAttr?: number;
  /** Velocity variant (E_GCL_vel): adds φᵥ(h)·v to the coordinate update (default false). */
  velocity?: boolean;
  /** Coordinate aggregation: "mean" (C = 1/degree, the n-body model's) or "sum" (default "mean"). */
  coordsAgg?: "mean" | "sum";
  /** Activation (default "silu", as the paper). */
  activation?: ActivationName;
}

/** Parameters of one EGNN layer. */
export interface EGNNLayerParams {
  [k: string]: MLPParams;
  edge: MLPParams;
  coord: MLPParams;
  node: MLPParams;
  vel: MLPParams;
}

/** State of an EGNN layer's input and output. */
export interface EGNNState {
  /** Node features [N, H]. */
  h: JArray;
  /** Coordinates [N, d]. */
  x: JArray;
  /** Velocities [N, d] (velocity variant only; passed through unchanged). */
  v?: JArray;
}

/**
 * Width w rounded up to a multiple of 4. Measured: a float32 Wasm matmul whose inner or outer
 * size is not a multiple of 4 runs on the scalar path — the EGNN edge MLP on [E, 2H + 2] = 66
 * columns took 11 ms forward and 20 ms per backward matmul at E = 2000, H = 32, vs ~0.5 ms at
 * 64 — so edge inputs are padded with zero columns (which change nothing).
 */
export function simdWidth(w: number): number {
  return Math.ceil(w / 4) * 4;
}

/** Appends zero columns to reach `width` (consumes parts; the last part's placement is used). */
function padParts(parts: JArray[], width: number): JArray {
  const have = parts.reduce((s, p) => s + p.shape[1]!, 0);
  const rows = parts[0]!.shape[0]!;
  if (have < width) parts.push(np.zeros([rows, width - have], { dtype: parts[0]!.dtype, device: parts[0]!.device }));
  return np.concatenate(parts, -1);
}

/** Scales the last layer's weights (the repo initialises φₓ's output layer with gain 0.001). */
function scaleLast(p: MLPParams, s: number): MLPParams {
  const last = p.layers[p.layers.length - 1]!;
  last.w = last.w.mul(s);
  last.b = last.b.mul(0);
  return p;
}

/** Number of rows of a structure's nodes (from nNode's static layout, or from x). */
function checkState(what: string, st: EGNNState, H: number, velocity: boolean): void {
  const N = st.h.shape[0];
  const bad =
    st.h.ndim !== 2 ||
    st.h.shape[1] !== H ||
    st.x.ndim !== 2 ||
    st.x.shape[0] !== N ||
    (velocity && (st.v === undefined || st.v.ndim !== 2 || st.v.shape[0] !== N || st.v.shape[1] !== st.x.shape[1]));
  if (bad) {
    const shapes = `h ${fmtShape(st.h.shape)}, x ${fmtShape(st.x.shape)}${st.v ? `, v ${fmtShape(st.v.shape)}` : ""}`;
    throw new ShapeError(`${what}: expected h [N, ${H}], x [N, d]${velocity ? ", v [N, d]" : ""}; got ${shapes}`);
  }
}

/**
 * One E(n)-equivariant layer (see the module doc). `apply(params, state, graph, edgeAttr?)`
 * consumes params, the state's arrays and edgeAttr [E, a]; borrows the graph structure.
 */
export function egnnLayer(o: EGNNLayerOptions) {
  const H = o.hidden;
  const a = o.edgeAttr ?? 0;
  const act = o.activation ?? "silu";
  const velocity = o.velocity ?? false;
  const edge = MLP([simdWidth(2 * H + 1 + a), H, H], { activation: act, outActivation: act });
  const coord = MLP([H, H, 1], { activation: act });
  const node = MLP([2 * H, H, H], { activation: act });
  const vel = MLP([H, H, 1], { activation: act });
  return {
    options: o,
    init(key: JArray): EGNNLayerParams {
      const [k1, k2, k3, k4] = splitKey(key, 4) as [JArray, JArray, JArray, JArray];
      return { edge: edge.init(k1), coord: scaleLast(coord.init(k2), 0.001), node: node.init(k3), vel: vel.init(k4) };
    },
    apply(p: EGNNLayerParams, st: EGNNState, g: GraphStructure, edgeAttr?: JArray): EGNNState {
      checkState("egnnLayer", st, H, velocity);
      const N = st.h.shape[0]!;
      const seg = graphSegments({ ...g, nodes: null, edges: null, globals: null });
      const xr = gatherRows(st.x.ref, g.receivers.ref, seg);
      const xs = gatherRows(st.x.ref, g.senders.ref, seg);
      const diff = xr.sub(xs); // [E, d]
      const radial = np.sum(np.square(diff.ref), 1, { keepdims: true }); // [E, 1]
      const hr = gatherRows(st.h.ref, g.receivers.ref, seg);
      const hs = gatherRows(st.h.ref, g.senders.ref, seg);
      const parts = [hr, hs, radial];
      if (a > 0) {
        if (edgeAttr === undefined || edgeAttr.ndim !== 2 || edgeAttr.shape[1] !== a)
          throw new ShapeError(
            `egnnLayer: expected edge attributes [E, ${a}], got ${edgeAttr ? fmtShape(edgeAttr.shape) : "none"}`,
          );
        parts.push(edgeAttr);
      } else edgeAttr?.dispose();
      const m = edge.apply(p.edge, padParts(parts, simdWidth(2 * H + 1 + a))); // [E, H]
      const trans = diff.mul(coord.apply(p.coord, m.ref)); // [E, d]
      const aggX = (o.coordsAgg ?? "mean") === "mean" ? segmentMean : segmentSum;
      let x = st.x.add(aggX(trans, g.receivers.ref, N, seg));
      if (velocity) x = x.add(vel.apply(p.vel, st.h.ref).mul(st.v!.ref));
      else tree.dispose(p.vel);
      const aggM = segmentSum(m, g.receivers.ref, N, seg);
      const h = st.h.ref.add(node.apply(p.node, np.concatenate([st.h, aggM], -1)));
      return velocity ? { h, x, v: st.v! } : { h, x };
    },
  };
}

/** Options of `egnn`: the n-body model (EGNN_vel) — embedding, `layers` EGNN layers. */
export interface EGNNOptions extends Omit<EGNNLayerOptions, "hidden"> {
  /** Input node feature width (e.g. 1: ‖v‖). */
  inNode: number;
  /** Hidden width (default 64). */
  hidden?: number;
  /** Layers (default 4). */
  layers?: number;
}

/** Parameters of `egnn`. */
export interface EGNNParams {
  [k: string]: LinearParams | EGNNLayerParams[];
  embed: LinearParams;
  layers: EGNNLayerParams[];
}

/**
 * The EGNN n-body model: h₀ = W·features, then `layers` EGNN layers; returns the final state
 * (coordinates x are the prediction). Eager calls throw a NonFiniteError on NaN/±Inf coordinates
 * or velocities (naming the node). `apply(params, features [N, inNode], x, v?, graph, edgeAttr?)`
 * consumes params, features, x, v and edgeAttr; borrows the graph.
 */
export function egnn(o: EGNNOptions) {
  const H = o.hidden ?? 64;
  const L = o.layers ?? 4;
  const embed = Linear(o.inNode, H);
  const layer = egnnLayer({ ...o, hidden: H });
  return {
    options: o,
    init(key: JArray): EGNNParams {
      const keys = splitKey(key, L + 1);
      return { embed: embed.init(keys[0]!), layers: keys.slice(1).map((k) => layer.init(k)) };
    },
    apply(
      p: EGNNParams,
      features: JArray,
      x: JArray,
      v: JArray | undefined,
      g: GraphStructure,
      edgeAttr?: JArray,
    ): EGNNState {
      // Eager calls (concrete arrays; traced ones under jit/grad pass through) refuse NaN/±Inf coordinates.
      for (const [what, a] of [
        ["coordinates x", x],
        ["velocities v", v],
      ] as const) {
        if (!(a instanceof JArrayClass)) continue;
        const d = a.ref.dataSync() as ArrayLike<number>;
        for (let i = 0; i < d.length; i++) {
          if (!Number.isFinite(d[i]!)) {
            for (const b of [features, x, v, edgeAttr]) b?.dispose();
            tree.dispose(p);
            const F = a.shape[1] ?? 1;
            throw new NonFiniteError(
              `egnn: ${what} must be finite, found ${d[i]} at node ${Math.floor(i / F)}, axis ${i % F}`,
            );
          }
        }
      }
      let st: EGNNState = { h: embed.apply(p.embed, features), x, ...(v ? { v } : {}) };
      p.layers.forEach((lp, i) => {
        const last = i === L - 1;
        st = layer.apply(lp, st, g, edgeAttr === undefined ? undefined : last ? edgeAttr : edgeAttr.ref);
      });
      if (L === 0) edgeAttr?.dispose();
      return st;
    },
  };
}

/** Options of `messagePassingGNN`: the paper's GNN baseline (GCL layers, recurrent). */
export interface GNNOptions {
  /** Input node feature width (e.g. 6: position and velocity). */
  inNode: number;
  /** Output width per node (e.g. 3: the predicted position). */
  outNode: number;
  hidden?: number;
  layers?: number;
  edgeAttr?: number;
  activation?: ActivationName;
}

/** Parameters of `messagePassingGNN`. */
export interface GNNParams {
  [k: string]: LinearParams | MLPParams | { edge: MLPParams; node: MLPParams }[];
  embed: LinearParams;
  layers: { edge: MLPParams; node: MLPParams }[];
  decode: MLPParams;
}

/**
 * Plain message passing on node features (the paper's GNN): h₀ = W·features;
 * mₖ = φₑ(h_r, h_s, aₖ), h' = h + φₕ(h, Σ m); output φ_out(h) [N, outNode]. Permutation-equivariant,
 * but on absolute coordinates not E(n)-equivariant (the negative control of the EGNN tests).
 * `apply(params, features, graph, edgeAttr?)` consumes params, features and edgeAttr; borrows the graph.
 */
export function messagePassingGNN(o: GNNOptions) {
  const H = o.hidden ?? 64;
  const L = o.layers ?? 4;
  const a = o.edgeAttr ?? 0;
  const act = o.activation ?? "silu";
  const embed = Linear(o.inNode, H);
  const edge = MLP([simdWidth(2 * H + a), H, H], { activation: act, outActivation: act });
  const node = MLP([2 * H, H, H], { activation: act });
  const decode = MLP([H, H, o.outNode], { activation: act });
  return {
    options: o,
    init(key: JArray): GNNParams {
      const keys = splitKey(key, 2 * L + 2);
      return {
        embed: embed.init(keys[0]!),
        layers: Array.from({ length: L }, (_, i) => ({
          edge: edge.init(keys[1 + 2 * i]!),
          node: node.init(keys[2 + 2 * i]!),
        })),
        decode: decode.init(keys[2 * L + 1]!),
      };
    },
    apply(p: GNNParams, features: JArray, g: GraphStructure, edgeAttr?: JArray): JArray {
      const seg = graphSegments({ ...g, nodes: null, edges: null, globals: null });
      let h = embed.apply(p.embed, features);
      const N = h.shape[0]!;
      p.layers.forEach((lp, i) => {
        const parts = [gatherRows(h.ref, g.receivers.ref, seg), gatherRows(h.ref, g.senders.ref, seg)];
        if (a > 0) parts.push(i === L - 1 ? edgeAttr! : edgeAttr!.ref);
        const m = edge.apply(lp.edge, padParts(parts, simdWidth(2 * H + a)));
        const agg = segmentSum(m, g.receivers.ref, N, seg);
        h = h.ref.add(node.apply(lp.node, np.concatenate([h, agg], -1)));
      });
      if (a === 0 || L === 0) edgeAttr?.dispose();
      return decode.apply(p.decode, h);
    },
  };
}
