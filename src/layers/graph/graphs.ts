/**
 * Graphs as data, in the spirit of jraph: a `GraphsTuple` holds one or many graphs as flat
 * arrays — node, edge and global features, the sender and receiver node of every edge, and the
 * node and edge count of every graph. Many graphs batch into one tuple by offsetting their node
 * indices (`batchGraphs`); padding to fixed totals (`padTo`) makes `jit` compile one program per
 * padded size.
 *
 * Layout: graph g owns a contiguous run of nodes (nNode[g] rows of `nodes`) and of edges
 * (nEdge[g] rows of `edges`), in graph order, and its edges connect its own nodes. When every
 * graph has the same node and edge count (and no padding), the tuple records it in the static
 * `uniform` field, and the segment operations run per graph block (far faster than a global
 * scatter; see ./segment.ts).
 */
import { Array as JArrayClass, numpy as np, type Array as JArray, type Device } from "../../jax.js";
import { getFloatDtype, type FloatDtype } from "../../core/engine.js";
import { checkFinite, fmtShape, NoetherError, NonFiniteError, ShapeError } from "../../core/errors.js";
import { fromHost } from "../../core/host.js";

/** Thrown when a graph's structure is inconsistent: bad sender/receiver indices, counts that do not match the arrays. */
export class GraphStructureError extends NoetherError {}

/**
 * One or many graphs as flat arrays (jraph's GraphsTuple). Features may be null (absent).
 * Indices are int32. Functions that take a GraphsTuple consume all of its arrays
 * (`refGraph(g)` keeps them alive for one more use, `disposeGraph(g)` releases them).
 */
export interface GraphsTuple {
  /** Node features [N, Fn], or null. */
  nodes: JArray | null;
  /** Edge features [E, Fe], or null. */
  edges: JArray | null;
  /** Sender (source) node of every edge, int32 [E], in [0, N). */
  senders: JArray;
  /** Receiver (target) node of every edge, int32 [E], in [0, N). */
  receivers: JArray;
  /** Global (per-graph) features [G, Fg], or null. */
  globals: JArray | null;
  /** Nodes per graph, int32 [G] (sum N). */
  nNode: JArray;
  /** Edges per graph, int32 [G] (sum E). */
  nEdge: JArray;
  /**
   * Static (not an array): every graph has exactly `nodes` nodes and `edges` edges. Set by
   * `batchGraphs` when it holds; segment operations then work per graph block.
   */
  uniform?: { nodes: number; edges: number };
}

/** Number of nodes N of a tuple (from its arrays' shapes; borrows). */
export function numNodes(g: GraphsTuple): number {
  if (g.nodes !== null) return g.nodes.shape[0]!;
  if (g.uniform) return g.uniform.nodes * g.nNode.shape[0]!;
  throw new GraphStructureError("numNodes: a tuple without node features and without a uniform layout has no static N");
}

/** Number of graphs G (borrows). */
export function numGraphs(g: GraphsTuple): number {
  return g.nNode.shape[0]!;
}

/** Number of edges E (borrows). */
export function numEdges(g: GraphsTuple): number {
  return g.senders.shape[0]!;
}

/** Every array of a tuple, nulls skipped (borrowed). */
function arraysOf(g: GraphsTuple): JArray[] {
  return [g.nodes, g.edges, g.senders, g.receivers, g.globals, g.nNode, g.nEdge].filter((a): a is JArray => a !== null);
}

/** The same tuple with every array's reference count raised by one (so a consuming call leaves `g` usable). */
export function refGraph(g: GraphsTuple): GraphsTuple {
  return {
    nodes: g.nodes?.ref ?? null,
    edges: g.edges?.ref ?? null,
    senders: g.senders.ref,
    receivers: g.receivers.ref,
    globals: g.globals?.ref ?? null,
    nNode: g.nNode.ref,
    nEdge: g.nEdge.ref,
    ...(g.uniform ? { uniform: { ...g.uniform } } : {}),
  };
}

/** Releases every array of a tuple. */
export function disposeGraph(g: GraphsTuple): void {
  for (const a of arraysOf(g)) a.dispose();
}

/** A copy of `g` with some fields replaced (the replaced arrays of `g` are released; the rest move over). */
export function replaceGraph(
  g: GraphsTuple,
  fields: Partial<Pick<GraphsTuple, "nodes" | "edges" | "globals">>,
): GraphsTuple {
  const out: GraphsTuple = { ...g };
  for (const k of ["nodes", "edges", "globals"] as const) {
    if (k in fields) {
      g[k]?.dispose();
      out[k] = fields[k] ?? null;
    }
  }
  return out;
}

/** One graph on the host, for `batchGraphs`: features as rows, edges as index lists. */
export interface HostGraph {
  /** Node feature rows [n][Fn] (or omit and give `nNode`). */
  nodes?: ArrayLike<number>[];
  /** Number of nodes (needed when `nodes` is omitted; must equal nodes.length otherwise). */
  nNode?: number;
  /** Edge feature rows [e][Fe], or omitted. */
  edges?: ArrayLike<number>[];
  /** Sender of every edge, local node indices in [0, n). */
  senders: ArrayLike<number>;
  /** Receiver of every edge, local node indices in [0, n). */
  receivers: ArrayLike<number>;
  /** Global features [Fg], or omitted. */
  globals?: ArrayLike<number>;
}

/** Options of `batchGraphs`. */
export interface BatchOptions {
  /** Feature dtype (default: the engine's float dtype). */
  dtype?: FloatDtype;
  device?: Device;
  /**
   * Pad to exactly these totals (jraph's pad_with_graphs): one padding graph takes the extra
   * nodes (zero features) and the extra edges (self-loops on its first node), further empty
   * graphs make up `graphs`. Needs nodes > N when edges > E, and graphs > G.
   */
  padTo?: { nodes: number; edges: number; graphs: number };
}

function isIndex(v: number, n: number): boolean {
  return Number.isInteger(v) && v >= 0 && v < n;
}

/** Feature width of a list of rows (all equal), or throws naming the first mismatch. */
function rowsWidth(what: string, rows: ArrayLike<number>[] | undefined, width: number | undefined): number | undefined {
  if (rows === undefined) return width;
  for (let i = 0; i < rows.length; i++) {
    const w = rows[i]!.length;
    if (width === undefined) width = w;
    else if (w !== width)
      throw new ShapeError(
        `batchGraphs: ${what} row ${i} has ${w} features, expected ${width} (as the rows before it)`,
      );
  }
  return width;
}

/**
 * Batches host graphs into one GraphsTuple (node indices offset per graph), checking each:
 * senders/receivers must be integers in [0, n), counts must match the rows given, features
 * finite. Empty graphs and isolated nodes are valid. Every graph must have the same kinds of
 * features (all with node rows or none, …).
 *
 * @example batchGraphs([{ nodes: [[0], [1]], senders: [0], receivers: [1] }, { nNode: 1, nodes: [[2]], senders: [], receivers: [] }])
 */
export function batchGraphs(graphs: readonly HostGraph[], opts: BatchOptions = {}): GraphsTuple {
  const dtype = opts.dtype ?? getFloatDtype();
  const has = (k: "nodes" | "edges" | "globals") => {
    const n = graphs.filter((g) => g[k] !== undefined).length;
    if (n !== 0 && n !== graphs.length)
      throw new ShapeError(`batchGraphs: ${n} of ${graphs.length} graphs have ${k}; give ${k} to all graphs or none`);
    return n > 0;
  };
  const hasNodes = has("nodes");
  const hasEdges = has("edges");
  const hasGlobals = has("globals");
  let fn: number | undefined;
  let fe: number | undefined;
  let fg: number | undefined;
  const nNode: number[] = [];
  const nEdge: number[] = [];
  graphs.forEach((g, gi) => {
    const n = g.nodes?.length ?? g.nNode;
    if (n === undefined || !Number.isInteger(n) || n < 0)
      throw new GraphStructureError(
        `batchGraphs: graph ${gi} needs nodes or a non-negative integer nNode, got nNode ${g.nNode}`,
      );
    if (g.nodes !== undefined && g.nNode !== undefined && g.nNode !== g.nodes.length)
      throw new GraphStructureError(`batchGraphs: graph ${gi} has nNode ${g.nNode} but ${g.nodes.length} node rows`);
    const e = g.senders.length;
    if (g.receivers.length !== e)
      throw new GraphStructureError(`batchGraphs: graph ${gi} has ${e} senders but ${g.receivers.length} receivers`);
    if (g.edges !== undefined && g.edges.length !== e)
      throw new GraphStructureError(
        `batchGraphs: graph ${gi} has ${e} edges (senders) but ${g.edges.length} edge feature rows`,
      );
    for (const [what, idx] of [
      ["sender", g.senders],
      ["receiver", g.receivers],
    ] as const) {
      for (let k = 0; k < e; k++) {
        if (!isIndex(idx[k]!, n))
          throw new GraphStructureError(
            `batchGraphs: graph ${gi} edge ${k}: ${what} ${idx[k]} is not a node index (expected an integer in [0, ${n}))`,
          );
      }
    }
    fn = rowsWidth(`graph ${gi} nodes`, g.nodes, fn);
    fe = rowsWidth(`graph ${gi} edges`, g.edges, fe);
    if (g.globals !== undefined) fg = rowsWidth(`graph ${gi} globals`, [g.globals], fg);
    nNode.push(n);
    nEdge.push(e);
  });
  const N = nNode.reduce((a, b) => a + b, 0);
  const E = nEdge.reduce((a, b) => a + b, 0);
  const G = graphs.length;
  const pad = opts.padTo;
  let [Np, Ep, Gp] = [N, E, G];
  if (pad !== undefined) {
    [Np, Ep, Gp] = [pad.nodes, pad.edges, pad.graphs];
    if (!(Number.isInteger(Np) && Number.isInteger(Ep) && Number.isInteger(Gp)))
      throw new GraphStructureError(`batchGraphs: padTo must be integers, got ${JSON.stringify(pad)}`);
    if (Gp < G + 1 || Np < N || Ep < E || (Ep > E && Np <= N))
      throw new GraphStructureError(
        `batchGraphs: cannot pad ${G} graphs / ${N} nodes / ${E} edges to ${Gp} / ${Np} / ${Ep}: ` +
          "padding needs graphs > G, nodes ≥ N (> N when edges are padded) and edges ≥ E",
      );
  }
  const senders = new Int32Array(Ep);
  const receivers = new Int32Array(Ep);
  const nodes = hasNodes ? new Float64Array(Np * fn!) : null;
  const edges = hasEdges ? new Float64Array(Ep * fe!) : null;
  const globals = hasGlobals ? new Float64Array(Gp * fg!) : null;
  let no = 0;
  let eo = 0;
  graphs.forEach((g, gi) => {
    const n = nNode[gi]!;
    for (let k = 0; k < g.senders.length; k++) {
      senders[eo + k] = no + g.senders[k]!;
      receivers[eo + k] = no + g.receivers[k]!;
      if (edges) edges.set(g.edges![k]!, (eo + k) * fe!);
    }
    if (nodes) for (let i = 0; i < n; i++) nodes.set(g.nodes![i]!, (no + i) * fn!);
    if (globals) globals.set(g.globals!, gi * fg!);
    no += n;
    eo += g.senders.length;
  });
  if (pad !== undefined) {
    senders.fill(N, E);
    receivers.fill(N, E);
    nNode.push(Np - N, ...new Array<number>(Gp - G - 1).fill(0));
    nEdge.push(Ep - E, ...new Array<number>(Gp - G - 1).fill(0));
  }
  for (const [what, d] of [
    ["node features", nodes],
    ["edge features", edges],
    ["globals", globals],
  ] as const)
    if (d) checkFinite(`batchGraphs: ${what}`, d);
  const place = { dtype, ...(opts.device ? { device: opts.device } : {}) };
  const ints = { dtype: "int32" as const, ...(opts.device ? { device: opts.device } : {}) };
  const uniform =
    pad === undefined && G > 0 && nNode.every((n) => n === nNode[0]) && nEdge.every((e) => e === nEdge[0])
      ? { nodes: nNode[0]!, edges: nEdge[0]! }
      : undefined;
  return {
    nodes: nodes ? fromHost(nodes, [Np, fn!], place) : null,
    edges: edges ? fromHost(edges, [Ep, fe!], place) : null,
    senders: fromHost(senders, [Ep], ints),
    receivers: fromHost(receivers, [Ep], ints),
    globals: globals ? fromHost(globals, [Gp, fg!], place) : null,
    nNode: fromHost(nNode, [nNode.length], ints),
    nEdge: fromHost(nEdge, [nEdge.length], ints),
    ...(uniform ? { uniform } : {}),
  };
}

/**
 * Checks a tuple built from arrays (borrows; reads the index arrays on the host, so call it on
 * concrete arrays, not under jit): shapes agree with one another and with nNode/nEdge; senders
 * and receivers are integers in range and stay within their own graph; features are finite
 * (NaN coordinates are rejected here); a declared `uniform` layout holds. Throws
 * GraphStructureError, ShapeError or NonFiniteError naming what was expected and what was given.
 */
export function checkGraph(g: GraphsTuple, what = "graph"): void {
  const concrete = arraysOf(g).every((a) => a instanceof JArrayClass);
  if (!concrete) return;
  for (const [k, a] of [
    ["senders", g.senders],
    ["receivers", g.receivers],
    ["nNode", g.nNode],
    ["nEdge", g.nEdge],
  ] as const) {
    if (a.ndim !== 1) throw new ShapeError(`${what}: ${k} must be 1-D, got shape ${fmtShape(a.shape)}`);
    if (a.dtype !== "int32" && a.dtype !== "uint32")
      throw new GraphStructureError(`${what}: ${k} must be an integer array (int32), got ${a.dtype}`);
  }
  const E = g.senders.shape[0]!;
  const G = g.nNode.shape[0]!;
  if (g.receivers.shape[0] !== E)
    throw new GraphStructureError(`${what}: ${E} senders but ${g.receivers.shape[0]} receivers`);
  if (g.nEdge.shape[0] !== G)
    throw new GraphStructureError(`${what}: nNode has ${G} graphs but nEdge ${g.nEdge.shape[0]}`);
  const nNode = Array.from(g.nNode.ref.dataSync() as ArrayLike<number>);
  const nEdge = Array.from(g.nEdge.ref.dataSync() as ArrayLike<number>);
  const N = nNode.reduce((a, b) => a + b, 0);
  const sumE = nEdge.reduce((a, b) => a + b, 0);
  if (nNode.some((n) => n < 0) || nEdge.some((e) => e < 0))
    throw new GraphStructureError(`${what}: nNode/nEdge must be non-negative, got [${nNode}] / [${nEdge}]`);
  if (g.nodes !== null && (g.nodes.ndim !== 2 || g.nodes.shape[0] !== N))
    throw new GraphStructureError(
      `${what}: nNode sums to ${N}, so nodes must be [${N}, F]; got ${fmtShape(g.nodes.shape)}`,
    );
  if (sumE !== E) throw new GraphStructureError(`${what}: nEdge sums to ${sumE} but there are ${E} senders`);
  if (g.edges !== null && (g.edges.ndim !== 2 || g.edges.shape[0] !== E))
    throw new GraphStructureError(`${what}: ${E} edges, so edges must be [${E}, F]; got ${fmtShape(g.edges.shape)}`);
  if (g.globals !== null && (g.globals.ndim !== 2 || g.globals.shape[0] !== G))
    throw new GraphStructureError(
      `${what}: ${G} graphs, so globals must be [${G}, F]; got ${fmtShape(g.globals.shape)}`,
    );
  const s = g.senders.ref.dataSync() as ArrayLike<number>;
  const r = g.receivers.ref.dataSync() as ArrayLike<number>;
  let e0 = 0;
  let n0 = 0;
  for (let gi = 0; gi < G; gi++) {
    for (let k = e0; k < e0 + nEdge[gi]!; k++) {
      for (const [name, idx] of [
        ["sender", s[k]!],
        ["receiver", r[k]!],
      ] as const) {
        if (!(idx >= n0 && idx < n0 + nNode[gi]!))
          throw new GraphStructureError(
            `${what}: edge ${k} (graph ${gi}) has ${name} ${idx}, expected a node of its graph in [${n0}, ${n0 + nNode[gi]!})`,
          );
      }
    }
    e0 += nEdge[gi]!;
    n0 += nNode[gi]!;
  }
  if (g.uniform && !(nNode.every((n) => n === g.uniform!.nodes) && nEdge.every((e) => e === g.uniform!.edges)))
    throw new GraphStructureError(
      `${what}: declared uniform ${g.uniform.nodes} nodes / ${g.uniform.edges} edges per graph, got nNode [${nNode}] / nEdge [${nEdge}]`,
    );
  for (const [k, a] of [
    ["nodes", g.nodes],
    ["edges", g.edges],
    ["globals", g.globals],
  ] as const) {
    if (a === null) continue;
    const d = a.ref.dataSync() as ArrayLike<number>;
    for (let i = 0; i < d.length; i++) {
      if (!Number.isFinite(d[i]!)) {
        const F = a.shape[1]!;
        throw new NonFiniteError(
          `${what}: ${k} must be finite, found ${d[i]} at row ${Math.floor(i / F)}, feature ${i % F}`,
        );
      }
    }
  }
}

/**
 * Node → graph index, int32 [N] (borrows g). With a uniform layout a constant; otherwise from
 * nNode inside the computation (jit-safe): id[i] = #{g : Σ_{h≤g} nNode[h] ≤ i}.
 */
export function nodeGraphIds(g: GraphsTuple): JArray {
  return segmentIdsFromCounts(g.nNode, numNodes(g), g.uniform?.nodes);
}

/** Edge → graph index, int32 [E] (borrows g); see `nodeGraphIds`. */
export function edgeGraphIds(g: GraphsTuple): JArray {
  return segmentIdsFromCounts(g.nEdge, numEdges(g), g.uniform?.edges);
}

function segmentIdsFromCounts(counts: JArray, total: number, per: number | undefined): JArray {
  const G = counts.shape[0]!;
  const device = counts.device;
  if (per !== undefined && per > 0) {
    return np.arange(total, undefined, undefined, { dtype: np.int32, device }).div(per).astype(np.int32);
  }
  if (total === 0 || G === 0) return np.zeros([total], { dtype: np.int32, device });
  const ends = np.cumsum(counts.ref.astype(np.int32)); // [G]
  const i = np.arange(total, undefined, undefined, { dtype: np.int32, device }).reshape([total, 1]);
  return np.sum(np.greaterEqual(i, ends.reshape([1, G])).astype(np.int32), 1).astype(np.int32);
}

/**
 * Padding masks of a tuple padded by `batchGraphs({ padTo })`: the last graphs hold the padding,
 * so with `realGraphs` = the number of graphs before padding, returns host masks (1 real, 0 padding)
 * for graphs [G], nodes [N] and edges [E] (borrows g; reads nNode/nEdge).
 */
export function paddingMasks(
  g: GraphsTuple,
  realGraphs: number,
): { graphs: Float64Array; nodes: Float64Array; edges: Float64Array } {
  const nNode = Array.from(g.nNode.ref.dataSync() as ArrayLike<number>);
  const nEdge = Array.from(g.nEdge.ref.dataSync() as ArrayLike<number>);
  const realN = nNode.slice(0, realGraphs).reduce((a, b) => a + b, 0);
  const realE = nEdge.slice(0, realGraphs).reduce((a, b) => a + b, 0);
  const mask = (n: number, k: number) => Float64Array.from({ length: n }, (_, i) => (i < k ? 1 : 0));
  return {
    graphs: mask(nNode.length, realGraphs),
    nodes: mask(
      nNode.reduce((a, b) => a + b, 0),
      realN,
    ),
    edges: mask(
      nEdge.reduce((a, b) => a + b, 0),
      realE,
    ),
  };
}

/** Directed edges of the complete graph on n nodes without self-loops, (i, j) for i ≠ j in row-major order. */
export function fullyConnected(n: number): { senders: Int32Array; receivers: Int32Array } {
  const senders = new Int32Array(n * (n - 1));
  const receivers = new Int32Array(n * (n - 1));
  let k = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++)
      if (i !== j) {
        senders[k] = j;
        receivers[k] = i;
        k++;
      }
  return { senders, receivers };
}

/** Both directions of every link of a chain 0–1–…–(n−1): 2(n−1) edges (i → i+1, then i+1 → i). */
export function chainEdges(n: number): { senders: Int32Array; receivers: Int32Array } {
  const m = Math.max(0, n - 1);
  const senders = new Int32Array(2 * m);
  const receivers = new Int32Array(2 * m);
  for (let i = 0; i < m; i++) {
    senders[2 * i] = i;
    receivers[2 * i] = i + 1;
    senders[2 * i + 1] = i + 1;
    receivers[2 * i + 1] = i;
  }
  return { senders, receivers };
}

/** Throws a ShapeError unless `x` is [rows, *] (for feature arrays handed to graph functions; borrows). */
export function checkRows(what: string, x: JArray, rows: number): void {
  if (x.ndim !== 2 || x.shape[0] !== rows)
    throw new ShapeError(`${what}: expected [${rows}, F], got ${fmtShape(x.shape)}`);
}
