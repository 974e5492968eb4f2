/**
 * Graph networks (noether/graph): GraphsTuple batching, padding and checks; segment operations
 * against host references on both routes, with gradchecks; GN blocks permutation-equivariant
 * (globals invariant) and translation-invariant on relative features; EGNN E(3)-equivariant in
 * float64 while a plain GNN on absolute coordinates fails the same check; the HGN conserves its
 * own H; a training loop does not leak.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { jit, numpy as np, tree, type Array as JArray } from "../src/jax.js";
import { initEngine, withDevice } from "../src/core/engine.js";
import { NonFiniteError, ShapeError } from "../src/core/errors.js";
import { castTree, fromHost, toFloat64 } from "../src/core/host.js";
import { hostNormal, hostRng, makeKey } from "../src/core/rng.js";
import {
  batchGraphs,
  chainEdges,
  checkGraph,
  deepSets,
  disposeGraph,
  egnn,
  encodeProcessDecode,
  fullyConnected,
  gatherRows,
  gnBlock,
  GraphStructureError,
  hamiltonianGraphNetwork,
  interactionNetwork,
  makeTreeTrainStep,
  messagePassingGNN,
  nodeGraphIds,
  paddingMasks,
  refGraph,
  segmentMax,
  segmentMean,
  segmentSoftmax,
  segmentSum,
  type GraphsTuple,
  type HostGraph,
  type SegmentOptions,
} from "../src/layers/graph/index.js";
import { MLP } from "../src/nn/layers.js";
import { rk4Host } from "../src/physics/integrators.js";
import { equivarianceError, type HarnessGroup } from "../src/testing/equivariance.js";
import { gradcheck } from "../src/testing/gradcheck.js";
import { expectNoLeaks } from "../src/testing/leaks.js";
import { mse } from "../src/train/losses.js";
import { adam } from "../src/train/optim.js";

await initEngine();

const f64 = { dtype: "float64" as const, device: "cpu" as const };
const ints = (a: ArrayLike<number>, device: "cpu" | "wasm" = "cpu") =>
  fromHost(a, [a.length], { dtype: "int32", device });
const rowsOf = (flat: Float64Array, F: number): number[][] =>
  Array.from({ length: flat.length / F }, (_, i) => Array.from(flat.subarray(i * F, (i + 1) * F)));
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

/** Host references of the segment reductions: data [E, F], ids [E] → [n, F] (0 for empty segments). */
function hostSegment(kind: "sum" | "mean" | "max", data: Float64Array, ids: number[], n: number, F: number) {
  const out = new Float64Array(n * F).fill(kind === "max" ? -Infinity : 0);
  const count = new Float64Array(n);
  ids.forEach((s, e) => {
    if (s < 0 || s >= n) return;
    count[s]!++;
    for (let f = 0; f < F; f++) {
      const v = data[e * F + f]!;
      const i = s * F + f;
      out[i] = kind === "max" ? Math.max(out[i]!, v) : out[i]! + v;
    }
  });
  for (let s = 0; s < n; s++)
    for (let f = 0; f < F; f++) {
      if (count[s] === 0) out[s * F + f] = 0;
      else if (kind === "mean") out[s * F + f]! /= count[s]!;
    }
  return out;
}

test("batchGraphs: offsets, counts, uniform layout, padding with masks; empty graphs and isolated nodes are valid", () => {
  const a: HostGraph = {
    nodes: [[1], [2], [3]],
    edges: [[10], [20]],
    senders: [0, 1],
    receivers: [1, 2],
    globals: [5],
  };
  const empty: HostGraph = { nNode: 0, nodes: [], edges: [], senders: [], receivers: [], globals: [6] };
  const isolated: HostGraph = { nodes: [[4], [5]], edges: [[30]], senders: [1], receivers: [1], globals: [7] };
  const g = batchGraphs([a, empty, isolated], { dtype: "float64", device: "cpu" });
  assert.deepEqual(Array.from(g.senders.ref.dataSync()), [0, 1, 4]);
  assert.deepEqual(Array.from(g.receivers.ref.dataSync()), [1, 2, 4]);
  assert.deepEqual(Array.from(g.nNode.ref.dataSync()), [3, 0, 2]);
  assert.deepEqual(Array.from(g.nEdge.ref.dataSync()), [2, 0, 1]);
  assert.equal(g.uniform, undefined);
  checkGraph(g);
  assert.deepEqual(Array.from(nodeGraphIds(g).dataSync()), [0, 0, 0, 2, 2]);
  // A GN block runs on it: the empty graph's global sees zero aggregates, the isolated node zero messages.
  const block = gnBlock({
    edge: MLP([3, 1], { activation: "identity" }),
    node: MLP([2, 1], { activation: "identity" }),
    global: MLP([3, 1], { activation: "identity" }),
    edgeInputs: ["edges", "senders", "receivers"],
    nodeInputs: ["received", "nodes"],
  });
  const p = castTree(block.init(makeKey(0)), f64);
  const out = block.apply(p, refGraph(g));
  assert.deepEqual(out.nodes!.shape, [5, 1]);
  assert.deepEqual(out.globals!.shape, [3, 1]);
  assert.ok(toFloat64(out.globals!.ref).every(Number.isFinite));
  disposeGraph(out);
  disposeGraph(g);
  // Uniform batches are detected; padding makes fixed totals with masks.
  const u = batchGraphs([a, a], { dtype: "float64", device: "cpu" });
  assert.deepEqual(u.uniform, { nodes: 3, edges: 2 });
  checkGraph(u);
  disposeGraph(u);
  const padded = batchGraphs([a, isolated], {
    dtype: "float64",
    device: "cpu",
    padTo: { nodes: 8, edges: 6, graphs: 4 },
  });
  assert.equal(padded.uniform, undefined);
  assert.deepEqual(padded.nodes!.shape, [8, 1]);
  assert.deepEqual(Array.from(padded.nNode.ref.dataSync()), [3, 2, 3, 0]);
  assert.deepEqual(Array.from(padded.nEdge.ref.dataSync()), [2, 1, 3, 0]);
  checkGraph(padded);
  const masks = paddingMasks(padded, 2);
  assert.deepEqual(Array.from(masks.graphs), [1, 1, 0, 0]);
  assert.deepEqual(Array.from(masks.nodes), [1, 1, 1, 1, 1, 0, 0, 0]);
  assert.deepEqual(Array.from(masks.edges), [1, 1, 1, 0, 0, 0]);
  disposeGraph(padded);
  assert.throws(() => batchGraphs([a], { padTo: { nodes: 3, edges: 4, graphs: 2 } }), GraphStructureError);
});

test("bad graphs give typed errors naming expected and given: indices out of range or non-integer, counts inconsistent, NaN features", () => {
  const ok: HostGraph = {
    nodes: [
      [0, 0],
      [1, 0],
    ],
    senders: [0],
    receivers: [1],
  };
  assert.throws(
    () => batchGraphs([{ ...ok, senders: [2] }]),
    (e: Error) => e instanceof GraphStructureError && /sender 2 .*\[0, 2\)/.test(e.message),
  );
  assert.throws(
    () => batchGraphs([{ ...ok, receivers: [0.5] }]),
    (e: Error) => e instanceof GraphStructureError && /receiver 0.5/.test(e.message),
  );
  assert.throws(() => batchGraphs([{ ...ok, receivers: [-1] }]), GraphStructureError);
  assert.throws(
    () => batchGraphs([{ ...ok, nNode: 3 }]),
    (e: Error) => e instanceof GraphStructureError && /nNode 3 but 2 node rows/.test(e.message),
  );
  assert.throws(() => batchGraphs([{ ...ok, receivers: [1, 0] }]), /1 senders but 2 receivers/);
  assert.throws(
    () =>
      batchGraphs([
        {
          ...ok,
          nodes: [
            [0, Number.NaN],
            [1, 0],
          ],
        },
      ]),
    NonFiniteError,
  );
  assert.throws(() => batchGraphs([{ ...ok, nodes: [[0, 0], [1]] }]), ShapeError);
  // Tuples assembled from arrays: checkGraph catches what batchGraphs would have.
  const base = (): GraphsTuple => ({
    nodes: fromHost([0, 0, 1, 0, 2, 0], [3, 2], f64),
    edges: null,
    senders: ints([0, 1]),
    receivers: ints([1, 2]),
    globals: null,
    nNode: ints([3]),
    nEdge: ints([2]),
  });
  const bad = (patch: Partial<GraphsTuple>, re: RegExp, cls: new (...a: never[]) => Error = GraphStructureError) => {
    const g = { ...base(), ...patch };
    assert.throws(
      () => checkGraph(g),
      (e: Error) => e instanceof cls && re.test(e.message),
    );
  };
  bad({ senders: ints([0, 3]) }, /edge 1 \(graph 0\) has sender 3, expected a node of its graph in \[0, 3\)/);
  bad({ nNode: ints([4]) }, /nNode sums to 4, so nodes must be \[4, F\]; got \[3, 2\]/);
  bad({ nEdge: ints([3]) }, /nEdge sums to 3 but there are 2 senders/);
  bad({ senders: fromHost([0, 1], [2], f64) }, /senders must be an integer array/);
  bad(
    { nodes: fromHost([0, 0, Number.NaN, 0, 2, 0], [3, 2], f64) },
    /nodes must be finite, found NaN at row 1, feature 0/,
    NonFiniteError,
  );
  // An edge that crosses into another graph is refused.
  bad({ nNode: ints([2, 1]), nEdge: ints([2, 0]) }, /edge 1 \(graph 0\) has receiver 2/);
  // The segment ops refuse mismatched shapes.
  assert.throws(() => segmentSum(fromHost([1, 2, 3], [3], f64), ints([0, 1]), 2), ShapeError);
});

test("segment sum/mean/max/softmax and gathers match host references on the block and general routes (empty segments, ids out of range)", async () => {
  await withDevice("cpu", () => {
    const B = 3;
    const e = 5;
    const n = 4;
    const F = 2;
    const rng = hostRng(3);
    const data = hostNormal(B * e * F, rng);
    // Block-local ids; node 3 of every block gets nothing (an empty segment).
    const ids = Array.from({ length: B * e }, (_, k) => Math.floor(k / e) * n + [0, 1, 1, 2, 0][k % e]!);
    for (const kind of ["sum", "mean", "max"] as const) {
      const fn = { sum: segmentSum, mean: segmentMean, max: segmentMax }[kind];
      const want = hostSegment(kind, data, ids, B * n, F);
      for (const opts of [{}, { blocks: B }] as SegmentOptions[]) {
        const got = toFloat64(fn(fromHost(data, [B * e, F], f64), ints(ids), B * n, opts));
        assert.ok(maxDiff(got, want) < 1e-12, `${kind} ${JSON.stringify(opts)}`);
      }
    }
    // General route: ids outside [0, n) are dropped.
    const oob = [0, 5, 1, -1, 1];
    const want = hostSegment("sum", data.subarray(0, 5 * F), oob, 3, F);
    assert.ok(
      maxDiff(toFloat64(segmentSum(fromHost(data.subarray(0, 5 * F), [5, F], f64), ints(oob), 3)), want) < 1e-12,
    );
    // Softmax: per segment, exp / Σ exp.
    const logits = data.subarray(0, B * e);
    const sm = toFloat64(segmentSoftmax(fromHost(logits, [B * e], f64), ints(ids), B * n, { blocks: B }));
    const smG = toFloat64(segmentSoftmax(fromHost(logits, [B * e], f64), ints(ids), B * n));
    const den = new Map<number, number>();
    ids.forEach((s, k) => den.set(s, (den.get(s) ?? 0) + Math.exp(logits[k]!)));
    const smWant = ids.map((s, k) => Math.exp(logits[k]!) / den.get(s)!);
    assert.ok(maxDiff(sm, smWant) < 1e-12 && maxDiff(smG, smWant) < 1e-12);
    // Gathers.
    const x = hostNormal(B * n * F, rng);
    const gWant = ids.flatMap((s) => [x[s * F]!, x[s * F + 1]!]);
    for (const opts of [{}, { blocks: B }] as SegmentOptions[])
      assert.ok(maxDiff(toFloat64(gatherRows(fromHost(x, [B * n, F], f64), ints(ids), opts)), gWant) < 1e-12);
    // Empty edge sets.
    assert.deepEqual(toFloat64(segmentSum(np.zeros([0, 2], { dtype: np.float64 }), ints([]), 2)), new Float64Array(4));
  });
});

test("gradchecks (float64, cpu) of segment sum, mean, max, softmax and gather on both routes", async () => {
  const B = 2;
  const e = 4;
  const n = 3;
  const F = 2;
  const ids = [0, 1, 1, 2, 3, 3, 5, 3];
  const data = { data: hostNormal(B * e * F, hostRng(5)), shape: [B * e, F] };
  const w = hostNormal(B * n * F, hostRng(6));
  const we = hostNormal(B * e * F, hostRng(7));
  for (const opts of [{}, { blocks: B }] as SegmentOptions[]) {
    for (const [name, fn] of [
      ["sum", segmentSum],
      ["mean", segmentMean],
      ["max", segmentMax],
    ] as const) {
      const r = await gradcheck(
        (d: JArray) => np.sum(fn(d, ints(ids), B * n, opts).mul(fromHost(w, [B * n, F], f64))),
        data,
      );
      assert.ok(r.ok, `${name} ${JSON.stringify(opts)}`);
    }
    await gradcheck(
      (d: JArray) => np.sum(segmentSoftmax(d, ints(ids), B * n, opts).mul(fromHost(we, [B * e, F], f64))),
      data,
    );
    await gradcheck(
      (x: JArray) => np.sum(np.square(gatherRows(x, ints(ids), opts)).mul(fromHost(we, [B * e, F], f64))),
      { data: hostNormal(B * n * F, hostRng(8)), shape: [B * n, F] },
    );
  }
});

/** A random graph with node positions (first 2 node features) and other features. */
function randomGraph(seed: number, n: number, m: number): HostGraph {
  const rng = hostRng(seed);
  const s: number[] = [];
  const r: number[] = [];
  for (let k = 0; k < m; k++) {
    s.push(Math.floor(rng() * n));
    r.push(Math.floor(rng() * n));
  }
  return {
    nodes: rowsOf(hostNormal(n * 3, rng), 3),
    edges: rowsOf(hostNormal(m * 2, rng), 2),
    senders: s,
    receivers: r,
    globals: Array.from(hostNormal(2, rng)),
  };
}

/** The graph with nodes relabelled by perm (new node i is old node perm[i]) and edges reversed in order. */
function permuted(g: HostGraph, perm: number[]): HostGraph {
  const inv = new Array<number>(perm.length);
  perm.forEach((old, i) => (inv[old] = i));
  const order = Array.from({ length: g.senders.length }, (_, k) => g.senders.length - 1 - k);
  return {
    nodes: perm.map((old) => g.nodes![old]!),
    edges: order.map((k) => g.edges![k]!),
    senders: order.map((k) => inv[g.senders[k]!]!),
    receivers: order.map((k) => inv[g.receivers[k]!]!),
    globals: g.globals!,
  };
}

test("GN blocks (full, interaction network, deep sets, encode–process–decode): permuting nodes permutes outputs, globals unchanged; block and general routes agree", async () => {
  await withDevice("cpu", async () => {
    const g1 = randomGraph(1, 6, 10);
    const perm = [3, 0, 5, 1, 4, 2];
    const models: [string, { init(k: JArray): never; apply(p: never, g: GraphsTuple): GraphsTuple }][] = [];
    for (const aggregate of ["sum", "mean", "max"] as const) {
      models.push([
        `gnBlock ${aggregate}`,
        gnBlock({
          edge: MLP([2 + 3 + 3 + 2, 8, 4]),
          node: MLP([4 + 4 + 3 + 2, 8, 3]),
          global: MLP([4 + 3 + 2, 8, 2]),
          nodeInputs: ["received", "sent", "nodes", "globals"],
          aggregate: { edgesToNodes: aggregate, edgesToGlobals: aggregate, nodesToGlobals: aggregate },
        }) as never,
      ]);
    }
    models.push([
      "interactionNetwork",
      interactionNetwork({ edge: MLP([2 + 6, 8, 4]), node: MLP([4 + 3, 8, 3]) }) as never,
    ]);
    models.push(["deepSets", deepSets({ phi: MLP([3, 8, 4]), rho: MLP([4, 8, 2]) }) as never]);
    models.push([
      "encodeProcessDecode",
      encodeProcessDecode({
        input: { nodes: 3, edges: 2, globals: 2 },
        output: { nodes: 2, globals: 1 },
        steps: 2,
        activation: "tanh",
      }) as never,
    ]);
    for (const [name, model] of models) {
      const p = castTree(model.init(makeKey(1)), f64);
      const run = (h: HostGraph) => {
        const out = model.apply(tree.ref(p) as never, batchGraphs([h], f64));
        const res = {
          nodes: out.nodes ? toFloat64(out.nodes.ref) : null,
          globals: out.globals ? toFloat64(out.globals.ref) : null,
        };
        disposeGraph(out);
        return res;
      };
      const a = run(g1);
      const b = run(permuted(g1, perm));
      const Fn = a.nodes!.length / 6;
      const want = perm.flatMap((old) => Array.from(a.nodes!.subarray(old * Fn, (old + 1) * Fn)));
      assert.ok(maxDiff(b.nodes!, want) < 1e-12, `${name}: nodes permute`);
      if (a.globals) assert.ok(maxDiff(b.globals!, a.globals) < 1e-12, `${name}: globals unchanged`);
      // A non-trivial map: the permuted input really differs from the original.
      assert.ok(maxDiff(b.nodes!, a.nodes!) > 1e-3, `${name}: the check has power`);
      // Uniform batch of two copies (block route) = the general route on the same graphs.
      const two = model.apply(tree.ref(p) as never, batchGraphs([g1, permuted(g1, perm)], f64));
      assert.deepEqual(two.uniform, { nodes: 6, edges: 10 });
      const twoNodes = toFloat64(two.nodes!.ref);
      assert.ok(
        maxDiff(twoNodes.subarray(0, 6 * Fn), a.nodes!) < 1e-12 && maxDiff(twoNodes.subarray(6 * Fn), want) < 1e-12,
        name,
      );
      disposeGraph(two);
      tree.dispose(p);
    }
  });
});

/** Translations of the plane acting on node rows [x, y, …] (the first two features). */
const planeTranslations: HarnessGroup<number[]> = {
  name: "T(2)",
  sample: (rng) => [4 * rng() - 2, 4 * rng() - 2],
};

test("a GN on relative edge features (position differences) is translation-invariant; one on absolute positions is not (negative control)", async () => {
  const n = 5;
  const { senders, receivers } = fullyConnected(n);
  const graphOf = (x: JArray, relative: boolean): GraphsTuple => {
    const pos = x.ref.slice([], [0, 2]);
    const s = ints(senders);
    const r = ints(receivers);
    const edges = relative
      ? gatherRows(pos.ref, s.ref).sub(gatherRows(pos.ref, r.ref))
      : np.concatenate([gatherRows(pos.ref, s.ref), gatherRows(pos.ref, r.ref)], -1);
    pos.dispose();
    return {
      nodes: x.slice([], [2, 3]),
      edges,
      senders: s,
      receivers: r,
      globals: null,
      nNode: ints([n]),
      nEdge: ints([senders.length]),
      uniform: { nodes: n, edges: senders.length },
    };
  };
  for (const relative of [true, false]) {
    const block = gnBlock({
      edge: MLP([(relative ? 2 : 4) + 2, 8, 4]),
      node: MLP([4 + 1, 8, 2]),
      edgeInputs: ["edges", "senders", "receivers"],
      nodeInputs: ["received", "nodes"],
    });
    const p = await withDevice("cpu", () => castTree(block.init(makeKey(2)), f64));
    const report = await equivarianceError(
      (x) => {
        const out = block.apply(tree.ref(p), graphOf(x, relative));
        const y = out.nodes!;
        disposeGraph({ ...out, nodes: null });
        return y;
      },
      {
        group: planeTranslations,
        actIn: (t, x) => x.add(fromHost([t[0]!, t[1]!, 0], [1, 3], f64)),
        actOut: (_t, y) => y,
        input: () => fromHost(hostNormal(n * 3, hostRng(9)), [n, 3], f64),
        samples: 6,
      },
    );
    tree.dispose(p);
    if (relative) assert.ok(report.maxError < 1e-9, `relative: ${report.maxError}`);
    else assert.ok(report.maxError > 1e-3, `absolute (control) must fail: ${report.maxError}`);
  }
});

/** Random E(3) elements: an orthogonal Q (a reflection half the time) and a translation t. */
const E3: HarnessGroup<{ Q: number[]; t: number[] }> = {
  name: "E(3)",
  sample(rng) {
    const a = hostNormal(9, rng);
    const q: number[][] = [];
    for (let i = 0; i < 3; i++) {
      let v = [a[3 * i]!, a[3 * i + 1]!, a[3 * i + 2]!];
      for (const u of q) {
        const d = v[0]! * u[0]! + v[1]! * u[1]! + v[2]! * u[2]!;
        v = v.map((x, k) => x - d * u[k]!);
      }
      const nv = Math.hypot(...v);
      q.push(v.map((x) => x / nv));
    }
    if (rng() < 0.5) q[2] = q[2]!.map((x) => -x);
    return { Q: q.flat(), t: [2 * rng() - 1, 2 * rng() - 1, 2 * rng() - 1].map((x) => 3 * x) };
  },
};

/** (Q, t) on rows [x (3), v (3)]: x → Qx + t, v → Qv; with `velocity` false only x (rows [x (3)]). */
function actE3(g: { Q: number[]; t: number[] }, y: JArray, withVelocity: boolean): JArray {
  const d = toFloat64(y);
  const F = withVelocity ? 6 : 3;
  const out = new Float64Array(d.length);
  for (let i = 0; i < d.length / F; i++)
    for (let part = 0; part < F / 3; part++)
      for (let r = 0; r < 3; r++) {
        let s = part === 0 ? g.t[r]! : 0;
        for (let c = 0; c < 3; c++) s += g.Q[3 * r + c]! * d[i * F + part * 3 + c]!;
        out[i * F + part * 3 + r] = s;
      }
  return fromHost(out, [d.length / F, F], f64);
}

test("EGNN (velocity variant, 2 graphs × 5 particles) is E(3)-equivariant in float64 (< 1e-9) and permutation-equivariant; a plain GNN on absolute coordinates fails the same check", async () => {
  const n = 5;
  const G = 2;
  const { senders, receivers } = fullyConnected(n);
  const edgesPer = senders.length;
  const s = Array.from({ length: G * edgesPer }, (_, k) => Math.floor(k / edgesPer) * n + senders[k % edgesPer]!);
  const r = Array.from({ length: G * edgesPer }, (_, k) => Math.floor(k / edgesPer) * n + receivers[k % edgesPer]!);
  const charges = hostNormal(G * n, hostRng(4)).map((c) => Math.sign(c));
  const attr = s.map((si, k) => charges[si]! * charges[r[k]!]!);
  const structure = () => ({
    senders: ints(s),
    receivers: ints(r),
    nNode: ints([n, n]),
    nEdge: ints([edgesPer, edgesPer]),
    uniform: { nodes: n, edges: edgesPer },
  });
  const model = egnn({ inNode: 1, hidden: 8, layers: 2, edgeAttr: 1, velocity: true });
  const gnn = messagePassingGNN({ inNode: 6, outNode: 3, hidden: 8, layers: 2, edgeAttr: 1 });
  const pE = await withDevice("cpu", () => castTree(model.init(makeKey(3)), f64));
  const pG = await withDevice("cpu", () => castTree(gnn.init(makeKey(3)), f64));
  const input = () => fromHost(hostNormal(G * n * 6, hostRng(11)), [G * n, 6], f64);
  const runEgnn = (xv: JArray) => {
    const st = structure();
    const x = xv.ref.slice([], [0, 3]);
    const v = xv.slice([], [3, 6]);
    const speed = np.sqrt(np.sum(np.square(v.ref), 1, { keepdims: true }));
    const out = model.apply(tree.ref(pE), speed, x, v, st, fromHost(attr, [attr.length, 1], f64));
    out.h.dispose();
    out.v?.dispose();
    for (const a of [st.senders, st.receivers, st.nNode, st.nEdge]) a.dispose();
    return out.x;
  };
  const runGnn = (xv: JArray) => {
    const st = structure();
    const y = gnn.apply(tree.ref(pG), xv, st, fromHost(attr, [attr.length, 1], f64));
    for (const a of [st.senders, st.receivers, st.nNode, st.nEdge]) a.dispose();
    return y;
  };
  const opts = {
    group: E3,
    actIn: (g: { Q: number[]; t: number[] }, x: JArray) => actE3(g, x, true),
    actOut: (g: { Q: number[]; t: number[] }, y: JArray) => actE3(g, y, false),
    input,
    samples: 6,
  };
  const rep = await equivarianceError(runEgnn, opts);
  assert.ok(rep.maxError < 1e-9, `EGNN: ${rep.maxError}`);
  const control = await equivarianceError(runGnn, opts);
  assert.ok(control.maxError > 1e-3, `plain GNN on absolute coordinates must fail: ${control.maxError}`);
  // Permutations: relabel the particles of graph 0 (charges move with them).
  await withDevice("cpu", () => {
    const xv = toFloat64(input());
    const base = toFloat64(runEgnn(fromHost(xv, [G * n, 6], f64)));
    const perm = [2, 0, 4, 1, 3, 5, 6, 7, 8, 9];
    const inv = new Array<number>(G * n);
    perm.forEach((old, i) => (inv[old] = i));
    const ps = s.map((x) => inv[x]!);
    const pr = r.map((x) => inv[x]!);
    const st = {
      senders: ints(ps),
      receivers: ints(pr),
      nNode: ints([n, n]),
      nEdge: ints([edgesPer, edgesPer]),
      uniform: { nodes: n, edges: edgesPer },
    };
    const xp = fromHost(
      perm.flatMap((old) => Array.from(xv.subarray(old * 6, old * 6 + 6))),
      [G * n, 6],
      f64,
    );
    const x = xp.ref.slice([], [0, 3]);
    const v = xp.slice([], [3, 6]);
    const speed = np.sqrt(np.sum(np.square(v.ref), 1, { keepdims: true }));
    const out = model.apply(tree.ref(pE), speed, x, v, st, fromHost(attr, [attr.length, 1], f64));
    const got = toFloat64(out.x);
    out.h.dispose();
    out.v?.dispose();
    for (const a of [st.senders, st.receivers, st.nNode, st.nEdge]) a.dispose();
    const want = perm.flatMap((old) => Array.from(base.subarray(old * 3, old * 3 + 3)));
    assert.ok(maxDiff(got, want) < 1e-12);
  });
  // NaN coordinates are refused with a typed error naming the node.
  await withDevice("cpu", () => {
    const bad = toFloat64(input());
    bad[6 * 3 + 1] = Number.NaN;
    assert.throws(
      () => runEgnn(fromHost(bad, [G * n, 6], f64)),
      (e: Error) =>
        e instanceof NonFiniteError && /coordinates x must be finite, found NaN at node 3, axis 1/.test(e.message),
    );
  });
  tree.dispose([pE, pG]);
});

test("HGN: its field is J∇H (finite differences), H is translation-invariant without absolute positions, and RK4 on its field conserves its H", async () => {
  const n = 3;
  const d = 2;
  const { senders, receivers } = chainEdges(n);
  const hgn = hamiltonianGraphNetwork({
    n,
    d,
    senders,
    receivers,
    nodeConstants: [[1], [2], [1]],
    hidden: [8],
    latent: 8,
  });
  await withDevice("cpu", async () => {
    const p = castTree(hgn.init(makeKey(4)), f64);
    const D = 2 * n * d;
    const x0 = hostNormal(D, hostRng(12)).map((v) => 0.5 * v);
    const jH = jit((pp: typeof p, x: JArray) => hgn.H(pp, x));
    const Hof = (x: ArrayLike<number>) => toFloat64(jH(tree.ref(p), fromHost(x, [1, D], f64)) as JArray)[0]!;
    const field = toFloat64(hgn.field(tree.ref(p), fromHost(x0, [1, D], f64)));
    const eps = 1e-6;
    const grad = Array.from({ length: D }, (_, i) => {
      const a = Float64Array.from(x0);
      const b = Float64Array.from(x0);
      a[i]! += eps;
      b[i]! -= eps;
      return (Hof(a) - Hof(b)) / (2 * eps);
    });
    const half = n * d;
    const want = [...grad.slice(half), ...grad.slice(0, half).map((g) => -g)];
    assert.ok(maxDiff(field, want) < 1e-6, `field vs J∇H: ${maxDiff(field, want)}`);
    // Translating every particle leaves H unchanged.
    const moved = Float64Array.from(x0);
    for (let i = 0; i < n; i++) {
      moved[i * d]! += 0.7;
      moved[i * d + 1]! -= 1.3;
    }
    assert.ok(Math.abs(Hof(moved) - Hof(x0)) < 1e-12);
    assert.ok(Math.abs(grad[0]!) > 1e-6, "H depends on the positions");
    // RK4 with the learned field (host loop over the device field) conserves the learned H.
    const jf = jit((pp: typeof p, x: JArray) => hgn.field(pp, x));
    const hostField = (_t: number, y: Float64Array, dy: Float64Array) =>
      dy.set(toFloat64(jf(tree.ref(p), fromHost(y, [1, D], f64)) as JArray));
    const steps = 40;
    const traj = rk4Host(hostField, x0, 0.02, steps);
    const end = traj.subarray(steps * D, (steps + 1) * D);
    const drift = Math.abs(Hof(end) - Hof(x0));
    assert.ok(drift < 1e-6 * Math.max(1, Math.abs(Hof(x0))), `H drift ${drift}`);
    assert.ok(maxDiff(end, x0) > 1e-3, "the state moved");
    jf.dispose();
    jH.dispose();
    tree.dispose(p);
  });
});

test("a jitted GN training step (makeTreeTrainStep) lowers the loss and does not leak", async () => {
  const graphs = [0, 1, 2, 3].map((k) => randomGraph(20 + k, 4, 6));
  const block = interactionNetwork({ edge: MLP([2 + 6, 8, 4]), node: MLP([4 + 3, 8, 1]) });
  const G = batchGraphs(graphs, { dtype: "float32" });
  const target = fromHost(hostNormal(16, hostRng(1)), [16, 1], { dtype: "float32" });
  const uniform = G.uniform!;
  type Batch = {
    nodes: JArray;
    edges: JArray;
    senders: JArray;
    receivers: JArray;
    nNode: JArray;
    nEdge: JArray;
    y: JArray;
  };
  const opt = adam();
  const step = makeTreeTrainStep<never, Batch>((p, b) => {
    const out = block.apply(p, {
      nodes: b.nodes,
      edges: b.edges,
      senders: b.senders,
      receivers: b.receivers,
      globals: null,
      nNode: b.nNode,
      nEdge: b.nEdge,
      uniform,
    });
    const y = out.nodes!;
    disposeGraph({ ...out, nodes: null });
    return mse(y, b.y);
  }, opt);
  let params = block.init(makeKey(5)) as never;
  let state = opt.init(params);
  let t = 0;
  const losses: number[] = [];
  const once = async () => {
    t++;
    const out = step(
      params,
      state,
      {
        nodes: G.nodes!.ref,
        edges: G.edges!.ref,
        senders: G.senders.ref,
        receivers: G.receivers.ref,
        nNode: G.nNode.ref,
        nEdge: G.nEdge.ref,
        y: target.ref,
      },
      1e-2,
      t,
    );
    params = out.params;
    state = out.optState;
    losses.push((await out.loss.data())[0]!);
  };
  await expectNoLeaks(once, { warmup: 3, iterations: 10 });
  for (let i = 0; i < 30; i++) await once();
  assert.ok(losses[losses.length - 1]! < 0.7 * losses[0]!, `loss ${losses[0]} → ${losses[losses.length - 1]}`);
  step.dispose();
  tree.dispose([params, state]);
  disposeGraph(G);
  target.dispose();
});
