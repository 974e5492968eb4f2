import { test } from "node:test";
import assert from "node:assert/strict";
import { numpy as np, tree, type Array as JArray } from "../src/jax.js";
import { initEngine, withDevice, type FloatDtype } from "../src/core/engine.js";
import { ConfigError, ShapeError } from "../src/core/errors.js";
import { fromHost, toFloat64 } from "../src/core/host.js";
import { hostNormal, hostRng, makeKey } from "../src/core/rng.js";
import { Lorentz, O, SO } from "../src/groups/index.js";
import {
  EMLP,
  EMLPBlock,
  EquivariantLinear,
  asScalarFn,
  chain,
  repAction,
  uniformRep,
  type RepModule,
} from "../src/layers/emlp/index.js";
import { hamiltonianField } from "../src/physics/fields.js";
import { Scalar, T, V } from "../src/reps/index.js";
import { assertEquivariant } from "../src/testing/equivariance.js";
import { smallReps } from "./support.js";
import { gradcheck, type HostTree } from "../src/testing/gradcheck.js";

await initEngine();

const randn =
  (rows: number, cols: number, seed: number) =>
  ({ dtype }: { dtype: FloatDtype }) =>
    fromHost(hostNormal(rows * cols, hostRng(seed)), [rows, cols], { dtype });

/** Parameters made on the evaluation device and cast to its dtype. */
function paramsOn<P>(device: "cpu" | "wasm", dtype: FloatDtype, make: () => P): Promise<P> {
  return withDevice(
    device,
    () => tree.map((a: JArray) => a.astype(dtype === "float64" ? np.float64 : np.float32), make() as never) as P,
  );
}

// Equivariance of every layer under every group, with the MLP control: test/equivariance.test.ts.

test("uniformRep follows EMLP's allocation: O(5), 384 channels → 134 scalars, 25 V, 5 V⊗V; Lorentz rank cap", () => {
  const r = uniformRep(384, O(5));
  assert.equal(r.size, 384);
  const counts = new Map<string, number>();
  for (const s of r.summands()) counts.set(s.structure, (counts.get(s.structure) ?? 0) + 1);
  assert.deepEqual(
    [...counts.entries()],
    [
      ["1", 134],
      ["V", 25],
      ["(V⊗V)", 5],
    ],
  );
  const l = uniformRep(100, Lorentz(), { maxRank: 1 });
  assert.equal(l.size, 100);
  assert.ok(l.summands().every((s) => s.size <= 4));
  const l2 = uniformRep(384, Lorentz(), { maxRank: 2 });
  assert.equal(l2.size, 384);
  assert.ok(l2.summands().some((s) => s.structure === "(V⊗V*)"));
});

test("gradients of the layers match finite differences (float64, cpu)", async () => {
  const G = SO(3);
  const { rin, hidden } = smallReps(G);
  const x = hostNormal(2 * rin.size, hostRng(7));
  for (const layer of [EquivariantLinear(rin, hidden), EMLPBlock(rin, hidden)] as RepModule[]) {
    const p0 = await paramsOn("cpu", "float64", () => layer.init(makeKey(5)));
    const host = tree.map(
      (a: JArray) => ({ data: toFloat64(a.ref), shape: a.shape }),
      p0 as never,
    ) as unknown as HostTree;
    tree.dispose(p0 as never);
    const rep = await gradcheck(
      (p) => {
        const y = layer.apply(p, fromHost(x, [2, rin.size], { dtype: "float64" }));
        return np.sum(np.sin(y));
      },
      host,
      { maxEntries: 24, rtol: 1e-5 },
    );
    assert.ok(rep.ok, layer.kind);
  }
});

test("feature-major EMLP path (batch-last layers, zero-padded contractions, permuted layouts) matches the batch-first layers, is equivariant and has correct gradients", async () => {
  const G = SO(3);
  const v = V(G);
  // Types not contiguous (V, 1, V, V⊗V, 1): every layer takes its permutation fallback; and
  // uniformRep hidden reps (contiguous, gates first): the gather-free path. Batch 8 pads the
  // contractions to multiples of 4 (batch 3 does not).
  const hiddens = [v.sum(Scalar(G), v, T(2, 0, G), Scalar(G)), uniformRep(40, G)];
  const rin = v.sum(Scalar(G)).sum(v);
  const rout = v.sum(Scalar(G));
  for (const [h, hidden] of hiddens.entries())
    for (const B of [8, 3]) {
      const net = EMLP(rin, rout, G, { channels: hidden, layers: 2 });
      const p = await paramsOn("cpu", "float64", () => net.init(makeKey(20 + h)));
      const xh = hostNormal(B * rin.size, hostRng(21 + B));
      const y = toFloat64(
        await withDevice("cpu", () => net.apply(tree.ref(p), fromHost(xh, [B, rin.size], { dtype: "float64" }))),
      );
      const yRef = toFloat64(
        await withDevice("cpu", () => {
          let a = fromHost(xh, [B, rin.size], { dtype: "float64" });
          net.layers.forEach((l, i) => {
            a = l.apply(tree.ref((p as unknown[])[i]) as never, a);
          });
          return a;
        }),
      );
      let err = 0;
      let scale = 0;
      for (let i = 0; i < y.length; i++) {
        err = Math.max(err, Math.abs(y[i]! - yRef[i]!));
        scale = Math.max(scale, Math.abs(yRef[i]!));
      }
      assert.ok(err <= 1e-10 * Math.max(1, scale), `hidden ${h} B=${B}: feature-major vs batch-first ${err}`);
      const eq = await assertEquivariant((x) => net.apply(tree.ref(p), x), {
        group: G,
        actIn: repAction(rin),
        actOut: repAction(rout),
        input: randn(B, rin.size, 30 + B),
        samples: 2,
      });
      assert.ok(eq.maxError < 1e-9, `hidden ${h} B=${B}: equivariance ${eq.maxError}`);
      if (B === 8) {
        const host = tree.map(
          (a: JArray) => ({ data: toFloat64(a.ref), shape: a.shape }),
          tree.ref(p) as never,
        ) as unknown as HostTree;
        const rep = await gradcheck(
          (pp) => np.sum(np.sin(net.apply(pp, fromHost(xh, [B, rin.size], { dtype: "float64" })))),
          host,
          { maxEntries: 24, rtol: 1e-5 },
        );
        assert.ok(rep.ok, `hidden ${h}: gradcheck`);
      }
      tree.dispose(p as never);
    }
});

test('"projected" and "basis" parametrizations: same function from the same key, the projected weight is a fixed point of the projection, unknown names rejected', async () => {
  const G = SO(3);
  const { rin, hidden } = smallReps(G);
  const proj = EquivariantLinear(rin, hidden, { dtype: "float64" });
  const coef = EquivariantLinear(rin, hidden, { parametrization: "basis", dtype: "float64" });
  const pp = await paramsOn("cpu", "float64", () => proj.init(makeKey(3)));
  const pc = await paramsOn("cpu", "float64", () => coef.init(makeKey(3)));
  // Projected params hold a full weight per block; basis params one coefficient per basis vector.
  const count = (p: { w: JArray[] }) => p.w.reduce((s, a) => s + a.size, 0);
  assert.equal(count(pc), proj.basis.rank);
  assert.ok(count(pp) > proj.basis.rank);
  const xh = hostNormal(4 * rin.size, hostRng(9));
  const y = async (l: RepModule, p: unknown) =>
    toFloat64(
      await withDevice("cpu", () => l.apply(tree.ref(p) as never, fromHost(xh, [4, rin.size], { dtype: "float64" }))),
    );
  const [yp, yc] = [await y(proj, pp), await y(coef, pc)];
  for (let i = 0; i < yp.length; i++) assert.ok(Math.abs(yp[i]! - yc[i]!) < 1e-12, `output ${i}: ${yp[i]} vs ${yc[i]}`);
  // The dense weight of the projected layer is the orthogonal projection of its raw entries:
  // projecting it again changes nothing, and it satisfies the constraint (checked by the harness above).
  const Wt = toFloat64(await withDevice("cpu", () => proj.weight(tree.ref(pp), { dtype: np.float64, device: "cpu" })));
  const W = new Float64Array(Wt.length);
  for (let i = 0; i < rin.size; i++)
    for (let o = 0; o < hidden.size; o++) W[o * rin.size + i] = Wt[i * hidden.size + o]!;
  const WW = proj.basis.project(W);
  for (let i = 0; i < W.length; i++) assert.ok(Math.abs(W[i]! - WW[i]!) < 1e-12);
  tree.dispose([pp, pc] as never);
  assert.throws(
    () => EquivariantLinear(rin, hidden, { parametrization: "dense" as never }),
    (e: unknown) => e instanceof ConfigError && /"projected" or "basis", got "dense"/.test((e as Error).message),
  );
});

test("EMLP as the Hamiltonian of a Hamiltonian network: the field J∇H is SO(3)-equivariant on (q, p)", async () => {
  const G = SO(3);
  const v = V(G);
  const rin = v.sum(v);
  const net = EMLP(rin, Scalar(G), G, {
    channels: Scalar(G)
      .times(4)
      .sum(v.times(2), T(2, 0, G)),
    layers: 1,
  });
  const field = hamiltonianField(asScalarFn(net));
  const p = await paramsOn("cpu", "float64", () => net.init(makeKey(11)));
  const rep = await assertEquivariant((x) => field(tree.ref(p), x), {
    group: G,
    actIn: repAction(rin),
    actOut: repAction(rin),
    input: randn(3, 6, 12),
    samples: 3,
  });
  assert.ok(rep.maxError < 1e-9);
  tree.dispose(p);
});

test("bad input: wrong feature count → ShapeError; neighbours checked at build time; empty Hom → clear error", () => {
  const G = O(3);
  const v = V(G);
  const lin = EquivariantLinear(v.times(2), v);
  const p = lin.init(makeKey(1));
  assert.throws(
    () => lin.apply(tree.ref(p), np.zeros([4, 5])),
    (e: unknown) => e instanceof ShapeError && /does not match repIn \(2V\) of size 6/.test((e as Error).message),
  );
  tree.dispose(p);
  const net = EMLP(v.times(2), Scalar(G), G, { channels: 20, layers: 1 });
  const pn = net.init(makeKey(2));
  assert.throws(() => net.apply(pn, np.zeros([2, 7])), ShapeError);
  assert.throws(
    () => chain(EquivariantLinear(v, v.times(3).sum(T(2, 0, G))), EquivariantLinear(v.times(2), v)),
    (e: unknown) =>
      e instanceof ConfigError &&
      /layer 2 \(EquivariantLinear\) expects repIn \(2V\) \(size 6\) but layer 1 \(EquivariantLinear\) gives \(3V⊕\(V⊗V\)\)/.test(
        (e as Error).message,
      ),
  );
  assert.throws(() => EquivariantLinear(v, Scalar(G)), /no equivariant map from V to 1/);
  assert.throws(() => EMLP(v, Scalar(SO(3)), G), /not of O\(3\)/);
});

test("emlp-o5-invariant runs end to end (tiny: 16 channels, 4 steps per model): the documented JSON fields, EMLP exact and the MLPs not", async () => {
  const { mkdtempSync, existsSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { o5Task } = await import("../src/experiments/emlp.js");
  const outDir = mkdtempSync(join(tmpdir(), "noether-emlp-"));
  try {
    const r = await o5Task.run({
      quick: true,
      seed: 0,
      outDir,
      onProgress: () => {},
      log: () => {},
      params: { channels: 16, maxSteps: 4 },
    });
    assert.equal(r.task, "emlp-o5-invariant");
    const rows = r.results as {
      model: string;
      group: string;
      trainSize: number;
      testMSE: number;
      finalTestMSE: number;
      valMSE: number;
      selectedStep: number;
      steps: number;
      equivarianceError: number;
    }[];
    assert.deepEqual(
      rows.map((x) => x.model),
      ["mlp", "mlp-aug", "emlp"],
    );
    for (const row of rows) {
      assert.equal(row.group, "O(5)");
      assert.equal(row.trainSize, 1000);
      assert.ok(Number.isFinite(row.testMSE) && row.testMSE > 0, `${row.model} testMSE ${row.testMSE}`);
      // Selection on the validation set: a step of the run, the final iterate's test MSE beside it.
      assert.equal(row.steps, 4);
      assert.ok(
        Number.isInteger(row.selectedStep) && row.selectedStep >= 1 && row.selectedStep <= row.steps,
        `${row.model} selectedStep ${row.selectedStep}`,
      );
      assert.ok(Number.isFinite(row.valMSE) && row.valMSE > 0, `${row.model} valMSE ${row.valMSE}`);
      if (row.selectedStep === row.steps) assert.equal(row.testMSE, row.finalTestMSE);
    }
    // The paper's numbers at the sizes of the run (quick: N = 1000 only).
    assert.deepEqual(r.paper, {
      source: (r.paper as { source: string }).source,
      emlpGroup: "O(5)",
      trainSizes: [1000],
      testMSE: { mlp: [0.0892], "mlp-aug": [0.0633], emlp: [0.017] },
    });
    assert.ok(rows[2]!.equivarianceError < 1e-4, `emlp ${rows[2]!.equivarianceError}`);
    assert.ok(rows[0]!.equivarianceError > 1e-3, `mlp ${rows[0]!.equivarianceError}`);
    for (const f of ["results.json", "test-mse.svg", "checkpoint.safetensors"])
      assert.ok(existsSync(join(outDir, f)), f);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});
