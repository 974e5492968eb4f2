import { test } from "node:test";
import assert from "node:assert/strict";
import { lax, numpy as np, tree, type Array as JArray } from "../src/jax.js";
import { initEngine, withDevice } from "../src/core/engine.js";
import { fromHost } from "../src/core/host.js";
import { hostNormal, hostRng, makeKey } from "../src/core/rng.js";
import { MLP } from "../src/nn/layers.js";
import {
  assertEquivariant,
  EquivarianceError,
  equivarianceError,
  type HarnessGroup,
} from "../src/testing/equivariance.js";
import { gradcheck, GradcheckError } from "../src/testing/gradcheck.js";

await initEngine();

// A hand-written rotation group in 2-D: elements are angles; SO(2) sampled, C4 enumerated.
const SO2: HarnessGroup<number> = { name: "SO(2)", sample: (rng) => 2 * Math.PI * rng() };
const C4: HarnessGroup<number> = { name: "C4", elements: () => [0, 1, 2, 3].map((k) => (k * Math.PI) / 2) };

/** Rotates a batch of points [N, 2] by angle t: x ↦ x Rᵀ. */
function rotate(t: number, x: JArray): JArray {
  const c = Math.cos(t);
  const s = Math.sin(t);
  const rT = fromHost([c, s, -s, c], [2, 2], { dtype: x.dtype === "float64" ? "float64" : "float32" });
  return np.matmul(x, rT);
}

const points =
  (n: number, seed: number) =>
  ({ dtype }: { dtype: "float32" | "float64" }) =>
    fromHost(hostNormal(n * 2, hostRng(seed)), [n, 2], { dtype });

/** Rotation-equivariant: each point scaled by a function of its radius. */
const radial = (x: JArray) => {
  const r2 = np.sum(np.square(x.ref), -1, { keepdims: true });
  return x.mul(np.tanh(r2));
};

test("rotation-equivariant map passes in float64 on cpu (sampled SO(2) and all of C4)", async () => {
  const rep = await assertEquivariant(radial, {
    group: SO2,
    actIn: rotate,
    actOut: rotate,
    input: points(8, 1),
    samples: 12,
  });
  assert.equal(rep.errors.length, 12);
  assert.ok(rep.maxError < 1e-12, `max error ${rep.maxError}`);
  assert.equal(rep.device, "cpu");
  const c4 = await assertEquivariant(radial, { group: C4, actIn: rotate, actOut: rotate, input: points(8, 2) });
  assert.equal(c4.skipped, 1, "identity is skipped, the other 3 elements checked");
  assert.equal(c4.errors.length, 3);
});

test("invariant map passes with a trivial output action", async () => {
  const norm2 = (x: JArray) => np.sum(np.square(x), -1);
  await assertEquivariant(norm2, { group: SO2, actIn: rotate, actOut: (_g, y) => y, input: points(5, 3) });
});

test("a plain MLP fails the same check by orders of magnitude", async () => {
  const net = MLP([2, 16, 2], { activation: "tanh" });
  const p = await withDevice("cpu", () => net.init(makeKey(0)));
  const p64 = tree.map((a: JArray) => a.astype(np.float64), p);
  const f = (x: JArray) => net.apply(tree.ref(p64), x);
  const opts = { group: SO2, actIn: rotate, actOut: rotate, input: points(8, 1), samples: 12 };
  const rep = await equivarianceError(f, opts);
  assert.ok(rep.maxError > 1e-3, `MLP error ${rep.maxError} should be large`);
  await assert.rejects(assertEquivariant(f, opts), (e: unknown) => {
    assert.ok(e instanceof EquivarianceError);
    assert.match(e.message, /not equivariant under SO\(2\).*worst element/);
    return true;
  });
  tree.dispose(p64);
});

test("near-identity elements cannot pass trivially: error is scaled by how far g moves x", async () => {
  const net = MLP([2, 16, 2], { activation: "tanh" });
  const p = await withDevice("cpu", () => tree.map((a: JArray) => a.astype(np.float64), net.init(makeKey(1))));
  const f = (x: JArray) => net.apply(tree.ref(p), x);
  const tiny: HarnessGroup<number> = { name: "SO(2) near identity", sample: (rng) => 1e-4 * rng() + 1e-5 };
  const rep = await equivarianceError(f, {
    group: tiny,
    actIn: rotate,
    actOut: rotate,
    input: points(8, 1),
    samples: 6,
  });
  assert.ok(rep.maxError > 1e-3, `scale-adjusted error ${rep.maxError} must still expose the MLP`);
  tree.dispose(p);
});

test("float32 on wasm with a loose tolerance", async () => {
  const rep = await assertEquivariant(radial, {
    group: SO2,
    actIn: rotate,
    actOut: rotate,
    input: points(8, 1),
    dtype: "float32",
    device: "wasm",
  });
  assert.ok(rep.maxError > 0 && rep.tol === 1e-4, `float32 error ${rep.maxError}`);
});

test("gradcheck passes for an MLP loss in float64 (input and parameter trees)", async () => {
  const net = MLP([3, 8, 1], { activation: "softplus" });
  const p = await withDevice("cpu", () => net.init(makeKey(2)));
  const host = tree.map((a: JArray) => ({ shape: a.shape, data: a.dataSync() as Float32Array }), p) as never;
  const x = { shape: [4, 3], data: hostNormal(12, hostRng(4)) };
  const rep = await gradcheck(
    (params) => np.sum(np.square(net.apply(params, fromHost(x.data, x.shape, { dtype: "float64" })))),
    host,
  );
  assert.ok(rep.checked > 0 && rep.ok);
  await gradcheck((xs: JArray) => np.sum(np.tanh(np.sin(xs))), x);
});

test("gradcheck catches a wrong gradient", async () => {
  // stopGradient hides half of d/dx (x·x): autodiff says x, the truth is 2x.
  const bad = (x: JArray) => np.sum(x.ref.mul(lax.stopGradient(x)));
  await assert.rejects(gradcheck(bad, { shape: [5], data: [0.5, -1, 2, 0.3, 1.5] }), GradcheckError);
});

test("expectNoLeaks passes for a clean function and catches a leaking one", async () => {
  const { expectNoLeaks, LeakError, liveBufferCount } = await import("../src/testing/leaks.js");
  const x = np.array([1, 2, 3]);
  const rep = await expectNoLeaks(async () => {
    const y = np.exp(x.ref).mul(2);
    await y.jsAsync();
  });
  assert.equal(rep.after.wasm, rep.before.wasm);
  const kept: JArray[] = [];
  await assert.rejects(
    expectNoLeaks(
      async () => {
        const y = np.exp(x.ref);
        await y.ref.jsAsync();
        kept.push(y); // never disposed: one buffer per call
      },
      { iterations: 4 },
    ),
    (e: unknown) => e instanceof LeakError && /leak on wasm: 4 live buffers more after 4 calls/.test(e.message),
  );
  const n = liveBufferCount("wasm");
  for (const k of kept) k.dispose();
  assert.equal(liveBufferCount("wasm"), n - kept.length);
  x.dispose();
});
