/**
 * Graph network blocks (Battaglia et al. 2018): shared edge, node and global functions over a
 * GraphsTuple, so the map is permutation-equivariant on nodes and edges and the globals are
 * permutation-invariant; on relative edge features (e.g. position differences) it is
 * translation-invariant too.
 *
 *   e'ₖ = φᵉ(eₖ, v_sₖ, v_rₖ, u)             (edge update, per edge)
 *   ē'ᵢ = ρᵉ→ᵛ({e'ₖ : rₖ = i}),  v'ᵢ = φᵛ(ē'ᵢ, vᵢ, u)   (node update)
 *   u'  = φᵘ(ρᵉ→ᵘ(E'), ρᵛ→ᵘ(V'), u)         (global update)
 *
 * with ρ a segment sum, mean or max (./segment.ts). Built on it: the interaction network
 * (Battaglia et al. 2016), deep sets (Zaheer et al. 2017) and encode–process–decode (the
 * graph_nets physics demo). Parameters are plain trees; `apply` consumes params and the graph.
 */
import { numpy as np, tree, type Array as JArray } from "../../jax.js";
import { ConfigError, fmtShape, ShapeError } from "../../core/errors.js";
import { splitKey } from "../../core/rng.js";
import type { Params } from "../../core/tree.js";
import type { ActivationName } from "../../nn/activations.js";
import { MLP } from "../../nn/layers.js";
import type { Module } from "../../nn/module.js";
import { disposeGraph, edgeGraphIds, nodeGraphIds, numEdges, numGraphs, numNodes, type GraphsTuple } from "./graphs.js";
import { gatherRows, segmentReducer, type Aggregation, type SegmentOptions } from "./segment.js";

/** A model on graphs: `init(key) → params`, `apply(params, graph) → graph` (consumes both). */
export interface GraphModule<P extends Params = Params> {
  init(key: JArray): P;
  apply(params: P, graph: GraphsTuple): GraphsTuple;
}

/** Inputs of the edge function, concatenated in this order. */
export type EdgeInput = "edges" | "senders" | "receivers" | "globals";
/** Inputs of the node function, concatenated in this order ("received": aggregated incoming edges, "sent": outgoing). */
export type NodeInput = "received" | "sent" | "nodes" | "globals";
/** Inputs of the global function, concatenated in this order (aggregated edges, aggregated nodes, globals). */
export type GlobalInput = "edges" | "nodes" | "globals";

/** Configuration of `gnBlock`. A function left out keeps that feature as it was. */
export interface GNBlockOptions {
  /** φᵉ on the concatenated `edgeInputs` (inSize must match). */
  edge?: Module;
  /** φᵛ on the concatenated `nodeInputs`. */
  node?: Module;
  /** φᵘ on the concatenated `globalInputs`. */
  global?: Module;
  /** Default ["edges", "senders", "receivers", "globals"], skipping features the graph lacks. */
  edgeInputs?: EdgeInput[];
  /** Default ["received", "nodes", "globals"], skipping features the graph lacks. */
  nodeInputs?: NodeInput[];
  /** Default ["edges", "nodes", "globals"], skipping features the graph lacks. */
  globalInputs?: GlobalInput[];
  /** Aggregations (default "sum" each). */
  aggregate?: { edgesToNodes?: Aggregation; edgesToGlobals?: Aggregation; nodesToGlobals?: Aggregation };
}

/** Parameters of a GN block: one tree per function it has, under "edge", "node", "global". */
export type GNBlockParams = { [k: string]: Params };

/** The segment route for a graph: per-graph blocks when its layout is uniform. */
export function graphSegments(g: GraphsTuple): SegmentOptions {
  return g.uniform && numGraphs(g) > 0 ? { blocks: numGraphs(g) } : {};
}

/** Concatenates feature columns (consumes the parts; one part is returned as is). */
function cat(what: string, parts: JArray[], rows: number): JArray {
  for (const p of parts) {
    if (p.ndim !== 2 || p.shape[0] !== rows) {
      const shapes = parts.map((q) => fmtShape(q.shape)).join(", ");
      for (const q of parts) q.dispose();
      throw new ShapeError(`${what}: expected inputs [${rows}, F], got ${shapes}`);
    }
  }
  if (parts.length === 0) throw new ConfigError(`${what}: no inputs to concatenate`);
  return parts.length === 1 ? parts[0]! : np.concatenate(parts, -1);
}

/**
 * One GN block: edge → node → global updates (see the module doc), each optional, with
 * configurable inputs and aggregations.
 *
 * @example
 * const block = gnBlock({ edge: MLP([3 * 4, 16, 4]), node: MLP([2 * 4, 16, 4]), edgeInputs: ["edges", "senders", "receivers"], nodeInputs: ["received", "nodes"] });
 */
export function gnBlock(o: GNBlockOptions): GraphModule<GNBlockParams> & { options: GNBlockOptions } {
  const agg = {
    edgesToNodes: segmentReducer(o.aggregate?.edgesToNodes ?? "sum"),
    edgesToGlobals: segmentReducer(o.aggregate?.edgesToGlobals ?? "sum"),
    nodesToGlobals: segmentReducer(o.aggregate?.nodesToGlobals ?? "sum"),
  };
  return {
    options: o,
    init(key) {
      const [ke, kn, kg] = splitKey(key, 3) as [JArray, JArray, JArray];
      const p: GNBlockParams = {};
      if (o.edge) p.edge = o.edge.init(ke);
      else ke.dispose();
      if (o.node) p.node = o.node.init(kn);
      else kn.dispose();
      if (o.global) p.global = o.global.init(kg);
      else kg.dispose();
      return p;
    },
    apply(params, g) {
      const N = g.nodes !== null ? numNodes(g) : (g.uniform?.nodes ?? 0) * numGraphs(g);
      const E = numEdges(g);
      const G = numGraphs(g);
      const seg = graphSegments(g);
      const release = () => {
        disposeGraph(g);
        tree.dispose(params as never);
      };
      try {
        let { nodes, edges, globals } = g;
        const eg = globals !== null || o.global ? edgeGraphIds(g) : null;
        const ng = globals !== null || o.global ? nodeGraphIds(g) : null;
        if (o.edge) {
          const want = o.edgeInputs ?? ["edges", "senders", "receivers", "globals"];
          const parts: JArray[] = [];
          for (const k of want) {
            if (k === "edges" && edges !== null) parts.push(edges.ref);
            if (k === "senders" && nodes !== null) parts.push(gatherRows(nodes.ref, g.senders.ref, seg));
            if (k === "receivers" && nodes !== null) parts.push(gatherRows(nodes.ref, g.receivers.ref, seg));
            if (k === "globals" && globals !== null) parts.push(gatherRows(globals.ref, eg!.ref, seg));
          }
          const out = o.edge.apply(params.edge as Params, cat("gnBlock edge inputs", parts, E));
          edges?.dispose();
          edges = out;
        }
        if (o.node) {
          const want = o.nodeInputs ?? ["received", "nodes", "globals"];
          const parts: JArray[] = [];
          for (const k of want) {
            if (k === "received" && edges !== null) parts.push(agg.edgesToNodes(edges.ref, g.receivers.ref, N, seg));
            if (k === "sent" && edges !== null) parts.push(agg.edgesToNodes(edges.ref, g.senders.ref, N, seg));
            if (k === "nodes" && nodes !== null) parts.push(nodes.ref);
            if (k === "globals" && globals !== null) parts.push(gatherRows(globals.ref, ng!.ref, seg));
          }
          const out = o.node.apply(params.node as Params, cat("gnBlock node inputs", parts, N));
          nodes?.dispose();
          nodes = out;
        }
        if (o.global) {
          const want = o.globalInputs ?? ["edges", "nodes", "globals"];
          const parts: JArray[] = [];
          for (const k of want) {
            if (k === "edges" && edges !== null) parts.push(agg.edgesToGlobals(edges.ref, eg!.ref, G, seg));
            if (k === "nodes" && nodes !== null) parts.push(agg.nodesToGlobals(nodes.ref, ng!.ref, G, seg));
            if (k === "globals" && globals !== null) parts.push(globals.ref);
          }
          const out = o.global.apply(params.global as Params, cat("gnBlock global inputs", parts, G));
          globals?.dispose();
          globals = out;
        }
        eg?.dispose();
        ng?.dispose();
        for (const k of ["edge", "node", "global"] as const) if (!o[k] && params[k]) tree.dispose(params[k] as never);
        return { ...g, nodes, edges, globals };
      } catch (e) {
        release();
        throw e;
      }
    },
  };
}

/** MLP sizes [in, ...hidden, out] with the given activation and a linear last layer. */
function mlp(inSize: number, hidden: number[], out: number, activation: ActivationName): Module {
  return MLP([inSize, ...hidden, out], { activation });
}

/**
 * Interaction network (Battaglia et al. 2016; jraph's InteractionNetwork): edges
 * e' = φᵉ(e, v_s, v_r), nodes v' = φᵛ(Σ incoming e', v); no globals.
 * `edge.inSize` = Fe + 2Fn, `node.inSize` = Fe' + Fn.
 */
export function interactionNetwork(o: {
  edge: Module;
  node: Module;
  aggregate?: Aggregation;
}): GraphModule<GNBlockParams> {
  return gnBlock({
    edge: o.edge,
    node: o.node,
    edgeInputs: ["edges", "senders", "receivers"],
    nodeInputs: ["received", "nodes"],
    aggregate: { edgesToNodes: o.aggregate ?? "sum" },
  });
}

/**
 * Deep sets (Zaheer et al. 2017) on the nodes of every graph: globals u = ρ(Σᵢ φ(vᵢ)) [G, out];
 * nodes become φ(vᵢ). Permutation-invariant globals, equivariant nodes; edges are ignored.
 */
export function deepSets(o: { phi: Module; rho: Module; aggregate?: Aggregation }): GraphModule<GNBlockParams> {
  return gnBlock({
    node: o.phi,
    global: o.rho,
    nodeInputs: ["nodes"],
    globalInputs: ["nodes"],
    aggregate: { nodesToGlobals: o.aggregate ?? "sum" },
  });
}

/** Feature sizes of an encode–process–decode model (0 or absent: that kind of feature is not used). */
export interface EPDOptions {
  /** Input feature sizes of the graphs it is applied to. */
  input: { nodes: number; edges: number; globals?: number };
  /** Output sizes of the decoder (absent/0: that output is not produced). */
  output: { nodes?: number; edges?: number; globals?: number };
  /** Latent size of every feature kind (default 16). */
  latent?: number;
  /** Hidden widths of every MLP (default [16, 16], the graph_nets demo's). */
  hidden?: number[];
  /** Message-passing steps of the shared core (default 1). */
  steps?: number;
  /** MLP activation (default "relu"; use a smooth one, e.g. "softplus", when differentiating twice). */
  activation?: ActivationName;
  /** Aggregations of the core (default sum). */
  aggregate?: GNBlockOptions["aggregate"];
}

/** Parameters of `encodeProcessDecode`. */
export interface EPDParams {
  [k: string]: GNBlockParams;
  encoder: GNBlockParams;
  core: GNBlockParams;
  decoder: GNBlockParams;
}

/**
 * Encode–process–decode (Battaglia et al. 2018; the graph_nets physics demo): independent MLP
 * encoders of edges, nodes and globals; a core GN block applied `steps` times with shared
 * weights to [encoded, latent] (a skip connection from the encoder); independent decoders.
 */
export function encodeProcessDecode(o: EPDOptions): GraphModule<EPDParams> & { options: EPDOptions } {
  const L = o.latent ?? 16;
  const hid = o.hidden ?? [16, 16];
  const act = o.activation ?? "relu";
  const steps = o.steps ?? 1;
  if (!(Number.isInteger(steps) && steps >= 1))
    throw new ConfigError(`encodeProcessDecode: steps must be a positive integer, got ${steps}`);
  const useG = (o.input.globals ?? 0) > 0;
  const encoder = gnBlock({
    edge: mlp(o.input.edges, hid, L, act),
    node: mlp(o.input.nodes, hid, L, act),
    ...(useG ? { global: mlp(o.input.globals!, hid, L, act) } : {}),
    edgeInputs: ["edges"],
    nodeInputs: ["nodes"],
    globalInputs: ["globals"],
  });
  // Core inputs: edges [e, e0] + senders + receivers (+ globals), each 2L wide.
  const g2 = useG ? 2 * L : 0;
  const core = gnBlock({
    edge: mlp(2 * L * 3 + g2, hid, L, act),
    node: mlp(L + 2 * L + g2, hid, L, act),
    ...(useG ? { global: mlp(L + L + 2 * L, hid, L, act) } : {}),
    ...(o.aggregate ? { aggregate: o.aggregate } : {}),
  });
  const decoder = gnBlock({
    ...((o.output.edges ?? 0) > 0 ? { edge: mlp(L, hid, o.output.edges!, act) } : {}),
    ...((o.output.nodes ?? 0) > 0 ? { node: mlp(L, hid, o.output.nodes!, act) } : {}),
    ...((o.output.globals ?? 0) > 0 ? { global: mlp(useG ? L : 2 * L, hid, o.output.globals!, act) } : {}),
    edgeInputs: ["edges"],
    nodeInputs: ["nodes"],
    globalInputs: useG ? ["globals"] : ["edges", "nodes"],
  });
  const joinFeat = (a: JArray | null, b: JArray | null): JArray | null =>
    a === null || b === null ? (a ?? b) : np.concatenate([a, b], -1);
  return {
    options: o,
    init(key) {
      const [k1, k2, k3] = splitKey(key, 3) as [JArray, JArray, JArray];
      return { encoder: encoder.init(k1), core: core.init(k2), decoder: decoder.init(k3) };
    },
    apply(params, g) {
      if (!useG && g.globals !== null) {
        g.globals.dispose();
        g = { ...g, globals: null };
      }
      const enc = encoder.apply(params.encoder, g);
      let latent: GraphsTuple = {
        ...enc,
        nodes: enc.nodes?.ref ?? null,
        edges: enc.edges?.ref ?? null,
        globals: enc.globals?.ref ?? null,
        senders: enc.senders.ref,
        receivers: enc.receivers.ref,
        nNode: enc.nNode.ref,
        nEdge: enc.nEdge.ref,
      };
      for (let s = 0; s < steps; s++) {
        const input: GraphsTuple = {
          ...latent,
          nodes: joinFeat(enc.nodes?.ref ?? null, latent.nodes),
          edges: joinFeat(enc.edges?.ref ?? null, latent.edges),
          globals: joinFeat(enc.globals?.ref ?? null, latent.globals),
        };
        latent = core.apply(s === steps - 1 ? params.core : (tree.ref(params.core) as GNBlockParams), input);
      }
      disposeGraph(enc);
      return decoder.apply(params.decoder, latent);
    },
  };
}
