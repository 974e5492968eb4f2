import { test } from "node:test";
import assert from "node:assert/strict";
import { numpy as np, tree, valueAndGrad, type Array as JArray } from "../src/jax.js";
import { initEngine, withDevice, type FloatDtype } from "../src/core/engine.js";
import { ShapeError } from "../src/core/errors.js";
import { fromHost } from "../src/core/host.js";
import { hostNormal, hostRng, makeKey } from "../src/core/rng.js";
import { P1, P4, P4M, spatialSourceIndex, type PlaneGroup } from "../src/groups/plane.js";
import { expandFilter, groupConv, laxConv, liftingConv, tapConv } from "../src/layers/gcnn/conv.js";
import {
  groupBatchNorm,
  groupPool,
  initBatchNorm,
  maxPool2,
  rotationPool,
  transformFeatures,
} from "../src/layers/gcnn/features.js";
import { gcnn } from "../src/layers/gcnn/model.js";
import { assertEquivariant, equivarianceError, type HarnessGroup } from "../src/testing/equivariance.js";
import { gradcheck } from "../src/testing/gradcheck.js";

await initEngine();

const elements = (g: PlaneGroup): HarnessGroup<number> => ({
  name: g.name,
  elements: () => Array.from({ length: g.order }, (_, i) => i),
});
const planarAct = (g: PlaneGroup) => (e: number, x: JArray) => transformFeatures(g, e, x, false);
const groupAct = (g: PlaneGroup) => (e: number, x: JArray) => transformFeatures(g, e, x, true);
const randn =
  (shape: number[], seed: number) =>
  ({ dtype }: { dtype: FloatDtype }) =>
    fromHost(
      hostNormal(
        shape.reduce((a, b) => a * b, 1),
        hostRng(seed),
      ),
      shape,
      { dtype },
    );

/** Parameters made on the evaluation device/dtype (the harness runs f there). */
function onDevice<T>(device: "cpu" | "wasm", dtype: FloatDtype, make: () => T): Promise<T> {
  return withDevice(device, () => {
    const p = make();
    return tree.map((a: JArray) => a.astype(dtype === "float64" ? np.float64 : np.float32), p as never) as T;
  });
}

test("spatial action: g = 1 of p4 is a 90° counter-clockwise rotation (numpy rot90), F a left-right flip", () => {
  const n = 4;
  const r = spatialSourceIndex(P4, 1, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) assert.equal(r[i * n + j], j * n + (n - 1 - i));
  const f = spatialSourceIndex(P4M, 4, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) assert.equal(f[i * n + j], i * n + (n - 1 - j));
  // group tables: every element has an inverse, p4m is non-abelian
  for (const g of [P4, P4M]) for (let e = 0; e < g.order; e++) assert.equal(g.mul[e * g.order + g.inv[e]!], 0);
  assert.notEqual(P4M.mul[1 * 8 + 4], P4M.mul[4 * 8 + 1]);
});

for (const group of [P4, P4M]) {
  test(`${group.name}: lifting + group conv rotate the maps and permute the group axis (float64, cpu, float precision)`, async () => {
    const lift = liftingConv(group, 2, 3);
    const gc = groupConv(group, 3, 2, { kernel: 2, bias: true });
    const [pl, pg] = await onDevice("cpu", "float64", () => [lift.init(makeKey(1)), gc.init(makeKey(2))] as const);
    const f = (x: JArray) => gc.apply(tree.ref(pg), lift.apply(tree.ref(pl), x));
    const rep = await assertEquivariant(f, {
      group: elements(group),
      actIn: planarAct(group),
      actOut: groupAct(group),
      input: randn([2, 2, 9, 9], 3),
    });
    assert.equal(rep.errors.length, group.order - 1);
    assert.ok(rep.maxError < 1e-13, `max error ${rep.maxError}`);
  });
}

test("p4: same padding, group batch norm, ReLU, 2×2 max-pool and rotation pooling stay equivariant (float64, cpu)", async () => {
  const lift = liftingConv(P4, 1, 3, { padding: "same" });
  const gc = groupConv(P4, 3, 3);
  const [pl, pg, bn] = await onDevice(
    "cpu",
    "float64",
    () => [lift.init(makeKey(4)), gc.init(makeKey(5)), initBatchNorm(3)] as const,
  );
  const f = (x: JArray) => {
    let h = lift.apply(tree.ref(pl), x); // [3, 4, B, 10, 10]
    h = np.maximum(groupBatchNorm(tree.ref(bn), h), 0);
    h = maxPool2(h); // 5×5
    h = gc.apply(tree.ref(pg), h); // 3×3
    return rotationPool(P4, h); // planar [3, B, 3, 3]
  };
  const rep = await assertEquivariant(f, {
    group: elements(P4),
    actIn: planarAct(P4),
    actOut: planarAct(P4),
    input: randn([1, 3, 10, 10], 6),
  });
  assert.ok(rep.maxError < 1e-13, `max error ${rep.maxError}`);
  // p4m rotation pooling keeps the flip axis: [C, 8, ...] → [C, 2, ...]
  const y = rotationPool(P4M, np.zeros([2, 8, 1, 3, 3]));
  assert.deepEqual(y.shape, [2, 2, 1, 3, 3]);
  y.dispose();
});

test("p4m: equivariant in float32 on wasm within a loose tolerance", async () => {
  const lift = liftingConv(P4M, 1, 4);
  const gc = groupConv(P4M, 4, 4);
  const [pl, pg] = await onDevice("wasm", "float32", () => [lift.init(makeKey(7)), gc.init(makeKey(8))] as const);
  const f = (x: JArray) => groupPool(gc.apply(tree.ref(pg), lift.apply(tree.ref(pl), x)), "mean");
  const rep = await assertEquivariant(f, {
    group: elements(P4M),
    actIn: planarAct(P4M),
    actOut: planarAct(P4M),
    input: randn([1, 2, 12, 12], 9),
    dtype: "float32",
    device: "wasm",
    tol: 1e-5,
  });
  assert.ok(rep.maxError < 1e-5, `max error ${rep.maxError}`);
});

test("an ordinary (P1) convolution fails the same rotation test (the test has power)", async () => {
  const conv = groupConv(P1, 2, 3);
  const p = await onDevice("cpu", "float64", () => conv.init(makeKey(10)));
  const f = (x: JArray) => conv.apply(tree.ref(p), x.reshape([2, 1, 2, 9, 9]));
  const rep = await equivarianceError(f, {
    group: elements(P4),
    actIn: planarAct(P4),
    actOut: planarAct(P4),
    input: randn([2, 2, 9, 9], 11),
  });
  assert.ok(rep.maxError > 0.3, `P1 conv should not be rotation-equivariant, max error ${rep.maxError}`);
});

test("full networks: P4CNN and P4MCNN logits are invariant, Z2CNN's are not (float64, cpu)", async () => {
  const act = (g: PlaneGroup) => (e: number, x: JArray) => transformFeatures(g, e, x, false);
  const errs: Record<string, number> = {};
  for (const group of [P1, P4, P4M]) {
    const model = gcnn(group, { size: 12, depth: 1, channels: 2 });
    const p = await onDevice("cpu", "float64", () => model.init(makeKey(12)));
    const g = group === P1 ? P4 : group;
    const rep = await equivarianceError((x) => model.apply(tree.ref(p), x), {
      group: elements(g),
      actIn: act(g),
      actOut: (_e, y) => y,
      input: randn([2, 1, 12, 12], 13),
    });
    errs[group.name] = rep.maxError;
  }
  assert.ok(errs.p4! < 1e-12 && errs.p4m! < 1e-12, JSON.stringify(errs));
  assert.ok(errs.p1! > 1e-2, JSON.stringify(errs));
});

test("tap matmuls agree with lax.convGeneralDilated (float64, cpu)", async () => {
  await withDevice("cpu", () => {
    const taps = fromHost(hostNormal(9 * 4 * 3, hostRng(14)), [9, 4, 3], { dtype: "float64" });
    const x = fromHost(hostNormal(3 * 2 * 6 * 5, hostRng(15)), [3, 2, 6, 5], { dtype: "float64" });
    const a = tapConv(taps.ref, x.ref, 3);
    const b = laxConv(taps, x, 3);
    assert.deepEqual(a.shape, [4, 2, 4, 3]);
    const d = a.sub(b).dataSync();
    assert.ok(Math.max(...Array.from(d, Math.abs)) < 1e-12);
  });
});

test("gradcheck: filter expansion (one gather) and tap convolution are differentiable", async () => {
  const xh = hostNormal(4 * 2 * 5 * 5, hostRng(16));
  const rh = hostNormal(2 * 4 * 2 * 3 * 3, hostRng(17));
  const f = (w: JArray) => {
    const x = fromHost(xh, [4, 2, 5, 5], { dtype: "float64" }); // [C·G, B, H, W], C = 1
    const r = fromHost(rh, [2 * 4, 2, 3, 3], { dtype: "float64" });
    return np.sum(np.square(tapConv(expandFilter(P4, w, false), x, 3)).mul(r));
  };
  const rep = await gradcheck(
    f,
    { data: hostNormal(2 * 1 * 4 * 9, hostRng(18)), shape: [2, 1, 4, 3, 3] },
    { maxEntries: 24 },
  );
  assert.ok(rep.ok);
});

test('impl "taps": the dense matmul where the kernel covers the map (lifting and group) agrees with tap matmuls, values and gradients (float64, cpu)', async () => {
  await withDevice("cpu", async () => {
    const cases = [
      {
        name: "lifting p4, dense",
        layer: (impl: "taps" | "taps-only") => liftingConv(P4, 2, 3, { impl }),
        x: [2, 3, 3, 3],
      },
      {
        name: "p4m head, dense",
        layer: (impl: "taps" | "taps-only") => groupConv(P4M, 2, 3, { kernel: 4, bias: true, impl }),
        x: [2, 8, 3, 4, 4],
      },
    ];
    for (const c of cases) {
      const fast = c.layer("taps");
      const ref = c.layer("taps-only");
      const p = fast.init(makeKey(21));
      for (const [k, v] of Object.entries(p)) p[k] = v.astype(np.float64);
      if (p.b !== undefined) p.b = fromHost(hostNormal(p.b.size, hostRng(23)), p.b.shape, { dtype: "float64" });
      const x = fromHost(
        hostNormal(
          c.x.reduce((a, b) => a * b, 1),
          hostRng(22),
        ),
        c.x,
        { dtype: "float64" },
      );
      const loss = (layer: typeof fast) => (pp: typeof p, xx: JArray) => np.sum(np.square(layer.apply(pp, xx)));
      const [va, ga] = valueAndGrad(loss(fast), { argnums: [0, 1] })(tree.ref(p), x.ref);
      const [vb, gb] = valueAndGrad(loss(ref), { argnums: [0, 1] })(p, x);
      const [a, b] = [va.item(), vb.item()];
      assert.ok(Math.abs(a - b) < 1e-9 * Math.abs(b), c.name);
      const la = tree.leaves(ga) as JArray[];
      const lb = tree.leaves(gb) as JArray[];
      assert.equal(la.length, lb.length);
      for (let i = 0; i < la.length; i++) {
        assert.deepEqual(la[i]!.shape, lb[i]!.shape);
        const d = la[i]!.sub(lb[i]!).dataSync();
        assert.ok(Math.max(...Array.from(d, Math.abs)) < 1e-10, `${c.name}: gradient ${i}`);
      }
    }
  });
});

test("bad input: wrong rank, channel count, group axis, non-square images, tiny maps → ShapeError", () => {
  const lift = liftingConv(P4, 2, 3);
  const gc = groupConv(P4, 3, 3);
  const pl = lift.init(makeKey(19));
  const pg = gc.init(makeKey(20));
  assert.throws(
    () => lift.apply(tree.ref(pl), np.zeros([3, 1, 8, 8])),
    (e: Error) => e instanceof ShapeError && /expected input \[2, B, H, W\]/.test(e.message),
  );
  assert.throws(() => lift.apply(tree.ref(pl), np.zeros([2, 8, 8])), ShapeError);
  assert.throws(
    () => lift.apply(tree.ref(pl), np.zeros([2, 1, 8, 7])),
    (e: Error) => e instanceof ShapeError && /square/.test(e.message),
  );
  assert.throws(
    () => gc.apply(tree.ref(pg), np.zeros([3, 8, 1, 8, 8])),
    (e: Error) => e instanceof ShapeError && /\[3, 4, B, H, W\]/.test(e.message),
  );
  assert.throws(
    () => gc.apply(tree.ref(pg), np.zeros([3, 4, 1, 2, 2])),
    (e: Error) => e instanceof ShapeError && /smaller than/.test(e.message),
  );
  assert.throws(() => maxPool2(np.zeros([1, 5, 5])), ShapeError);
  const model = gcnn(P4, { channels: 2 });
  const p = model.init(makeKey(21));
  assert.throws(
    () => model.apply(tree.ref(p), np.zeros([2, 1, 28, 27])),
    (e: Error) => e instanceof ShapeError && /non-square/.test(e.message),
  );
  assert.throws(
    () => model.apply(tree.ref(p), np.zeros([2, 3, 28, 28])),
    (e: Error) => e instanceof ShapeError && /\[B, 1, 28, 28\]/.test(e.message),
  );
  assert.throws(() => model.apply(tree.ref(p), np.zeros([2, 1, 20, 20])), ShapeError);
  tree.dispose([pl, pg, p]);
});
