/**
 * Soft symmetry (src/soft): the penalties vanish on exactly equivariant models and not on an MLP,
 * for a textbook and a non-textbook group; Augerino's widths grow on invariant data and shrink
 * on non-invariant data; the affine warp and Augerino's widths have correct gradients; the
 * transformation VAE's latent generator on a rotating toy set has the spectrum ±iω, ω ≈ 1; the
 * weight-orbit regulariser vanishes on an orbit and the invariant GP kernel is invariant.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { numpy as np, tree, type Array as JArray } from "../src/jax.js";
import { initEngine, withDevice } from "../src/core/engine.js";
import { castTree, fromHost, toFloat64 } from "../src/core/host.js";
import { inverse, matmul } from "../src/core/matrix.js";
import { hostNormal, hostRng, makeKey } from "../src/core/rng.js";
import { customGroup, SO, O } from "../src/groups/index.js";
import { EMLP } from "../src/layers/emlp/index.js";
import { MLP } from "../src/nn/layers.js";
import { Scalar, V } from "../src/reps/index.js";
import {
  augerino,
  augerinoImage,
  augerinoLoss,
  augerinoWidths,
  eigenvalues,
  equivariancePenalty,
  invariancePenalty,
  packPairs,
  penalizedLoss,
  transformationVAE,
  warpCopies,
  weightOrbitPenalty,
} from "../src/soft/index.js";
import { gradcheck, type HostTree } from "../src/testing/gradcheck.js";
import { expectNoLeaks } from "../src/testing/leaks.js";
import { fit } from "../src/train/fit.js";
import { mse } from "../src/train/losses.js";
import { adam } from "../src/train/optim.js";
import { makeTrainStep } from "../src/train/step.js";
import type { Params } from "../src/core/tree.js";

await initEngine();

/** x [rows, cols] ~ N(0, 1) in float64 on cpu. */
const randn64 = (rows: number, cols: number, seed: number): JArray =>
  fromHost(hostNormal(rows * cols, hostRng(seed)), [rows, cols], { dtype: "float64", device: "cpu" });

/** A parameter tree as gradcheck's host tree (borrows). */
function hostTree(p: Params): HostTree {
  return tree.map((a: JArray) => ({ data: toFloat64(a.ref), shape: a.shape }), p as never) as unknown as HostTree;
}

/** mean ‖f(x)‖² (consumes y), the scale a penalty is compared with. */
const meanSq = (y: JArray): number => {
  const v = toFloat64(y);
  return v.reduce((s, a) => s + a * a, 0) / (v.length || 1);
};

// A non-textbook group, as a learned one would be: a non-orthogonal conjugate A·SO(3)·A⁻¹.
const A = Float64Array.of(1.2, 0.3, 0, 0, 1, 0.25, 0.15, 0, 0.9);
const conjugate = customGroup({
  name: "A·SO(3)·A⁻¹",
  d: 3,
  lieAlgebra: Array.from({ length: 3 }, (_, k) =>
    matmul(matmul(A, SO(3).lieGenerator(k), 3, 3, 3), inverse(A, 3), 3, 3, 3),
  ),
});

for (const G of [SO(3), conjugate]) {
  test(`equivariancePenalty ≈ 0 on EMLP (2V → V) and > 0 on an MLP, ${G.name}; invariancePenalty likewise (2V → 1)`, async () => {
    await withDevice("cpu", async () => {
      const cases = [
        { repOut: V(G), pen: "equivariance" as const },
        { repOut: Scalar(G), pen: "invariance" as const },
      ];
      for (const { repOut, pen } of cases) {
        const repIn = V(G).times(2);
        const emlp = EMLP(repIn, repOut, G, { channels: 24, layers: 1 });
        const mlp = MLP([6, 32, repOut.size], { activation: "silu" });
        const ratios: number[] = [];
        for (const model of [emlp, mlp] as { init(k: JArray): Params; apply(p: Params, x: JArray): JArray }[]) {
          const p = castTree(model.init(makeKey(1)) as never, { dtype: "float64", device: "cpu" }) as Params;
          const P =
            pen === "equivariance"
              ? equivariancePenalty(model, G, repIn, repOut, { samples: 4, seed: 2 })
              : invariancePenalty(model, G, repIn, { samples: 4, seed: 2 });
          const x = randn64(16, 6, 3);
          const value = toFloat64(P(tree.ref(p), x.ref))[0]!;
          const scale = meanSq(model.apply(tree.ref(p), x)) * repOut.size;
          ratios.push(value / scale);
          tree.dispose(p);
        }
        assert.ok(ratios[0]! < 1e-20, `${pen} penalty on EMLP, relative ${ratios[0]}`);
        assert.ok(ratios[1]! > 1e-3, `${pen} penalty on the MLP control, relative ${ratios[1]}`);
      }
    });
  });
}

test("penalizedLoss = task loss + w·penalty; its parameter gradient matches finite differences; no leaks in fit", async () => {
  const G = O(3);
  const repIn = V(G).times(2);
  const mlp = MLP([6, 8, 1], { activation: "tanh" });
  const pen = invariancePenalty(mlp, G, repIn, { samples: 3, seed: 4, weight: 2.5 });
  const lossFn = penalizedLoss(mlp, mse, pen);
  await withDevice("cpu", async () => {
    const p = castTree(mlp.init(makeKey(0)), { dtype: "float64", device: "cpu" });
    const x = randn64(5, 6, 1);
    const y = randn64(5, 1, 2);
    const total = toFloat64(lossFn(tree.ref(p), x.ref, y.ref))[0]!;
    const task = toFloat64(mse(mlp.apply(tree.ref(p), x.ref), y.ref))[0]!;
    const sum = toFloat64(pen.sum(tree.ref(p), x.ref))[0]!;
    assert.ok(Math.abs(total - (task + (2.5 / 3) * sum)) < 1e-12, `${total} vs ${task} + ${sum}·2.5/3`);
    assert.ok(sum > 0);
    await gradcheck((q: Params) => lossFn(q as never, x.ref, y.ref), hostTree(p), { maxEntries: 24 });
    tree.dispose([p, x, y] as never);
  });
  // fit with the penalised loss: training lowers the penalty of the MLP, and leaks nothing per run.
  const X = fromHost(hostNormal(64 * 6, hostRng(5)), [64, 6], { dtype: "float32" });
  const xs = X.ref.dataSync() as Float32Array;
  const Y = fromHost(
    Array.from({ length: 64 }, (_, i) => Math.hypot(...xs.subarray(6 * i, 6 * i + 3))),
    [64, 1],
    { dtype: "float32" },
  );
  const run = async (steps: number) => {
    const r = await fit({
      lossFn,
      params: mlp.init(makeKey(3)),
      data: { x: X, y: Y },
      epochs: steps,
      batchSize: 64,
      optimizer: adam(),
      schedule: 1e-2,
    });
    const v = toFloat64(pen(tree.ref(r.params), X.ref))[0]!;
    tree.dispose([r.params, r.optState]);
    return v;
  };
  const before = await run(0);
  const after = await run(150);
  assert.ok(after < 0.5 * before, `penalty ${before} → ${after} after training with it`);
  await expectNoLeaks(() => run(3), { warmup: 1, iterations: 2 });
  X.dispose();
  Y.dispose();
});

test("warpCopies: identity and a 90° rotation are exact on the pixel grid; gradient in T matches finite differences", async () => {
  const n = 6;
  const img = hostNormal(2 * n * n, hostRng(7));
  await withDevice("cpu", async () => {
    const T = fromHost(Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1, 0, -1, 0, 1, 0, 0, 0, 0, 1), [2, 3, 3], {
      dtype: "float64",
    });
    const out = toFloat64(warpCopies(fromHost(img, [2, n * n], { dtype: "float64" }), T, n));
    // copy 0: identity.
    for (let i = 0; i < 2 * n * n; i++) assert.ok(Math.abs(out[i]! - img[i]!) < 1e-12);
    // copy 1 samples at R(90°)·p: out[i, j] = img[n − 1 − j, i].
    for (let b = 0; b < 2; b++)
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          const got = out[2 * n * n + b * n * n + i * n + j]!;
          const want = img[b * n * n + (n - 1 - j) * n + i]!;
          assert.ok(Math.abs(got - want) < 1e-12, `(${b}, ${i}, ${j}): ${got} vs ${want}`);
        }
    // A generic affine map: autodiff vs central differences. The warp is piecewise bilinear in T,
    // with kinks where a sample point crosses a pixel row or column; the entries are chosen so
    // that none lies on one (round values such as 0.45, −0.1, 0.05 put one exactly on a kink).
    const x = fromHost(img, [2, n * n], { dtype: "float64" });
    const weights = fromHost(hostNormal(2 * n * n, hostRng(8)), [1, 2, n * n], { dtype: "float64" });
    await gradcheck(
      (t: JArray) => np.sum(warpCopies(x.ref, t.reshape([1, 3, 3]), n).mul(weights.ref)),
      { data: [0.8731, -0.2113, 0.1379, 0.2917, 1.0613, -0.0571, 0, 0, 1], shape: [9] },
      { eps: 1e-7, rtol: 1e-5 },
    );
    x.dispose();
    weights.dispose();
  });
});

test("augerino: widths' gradient (through expm, the copies and the average) matches finite differences", async () => {
  const G = SO(3);
  const base = MLP([6, 8, 3], { activation: "tanh" });
  const aug = augerino(base, V(G).times(2), { repOut: V(G), copies: 4, init: [0.3, 0.5, 0.2] });
  await withDevice("cpu", async () => {
    const p = castTree(aug.init(makeKey(0)) as never, { dtype: "float64", device: "cpu" }) as Params;
    const x = randn64(4, 6, 9);
    const y = randn64(4, 3, 10);
    await gradcheck((q: Params) => mse(aug.apply(q as never, x.ref), y.ref), hostTree(p), { maxEntries: 20 });
    tree.dispose([p, x, y] as never);
  });
});

/**
 * Augerino on ℝ² with the rotation generator: an MLP trained on y = target(x) with −λ‖w‖ (λ = 0.05);
 * returns the learned width.
 */
async function learnedRotationWidth(target: (a: number, b: number) => number, steps: number): Promise<number> {
  const G = SO(2);
  const aug = augerino(MLP([2, 32, 32, 1], { activation: "tanh" }), V(G), { copies: 8, init: 0.5 });
  const N = 256;
  const xs = hostNormal(2 * N, hostRng(11));
  const X = fromHost(xs, [N, 2], { dtype: "float32" });
  const Y = fromHost(
    Array.from({ length: N }, (_, i) => target(xs[2 * i]!, xs[2 * i + 1]!)),
    [N, 1],
    { dtype: "float32" },
  );
  const r = await fit({
    lossFn: augerinoLoss(aug, mse, 0.05),
    params: aug.init(makeKey(12)),
    data: { x: X, y: Y },
    epochs: steps,
    batchSize: N,
    optimizer: adam(),
    schedule: 1e-2,
  });
  const w = augerinoWidths(r.params)[0]!;
  tree.dispose([r.params, r.optState]);
  X.dispose();
  Y.dispose();
  return w;
}

test("augerino: the rotation width grows on rotation-invariant data (y = |x|²) and shrinks on y = x₁", async () => {
  const grow = await learnedRotationWidth((a, b) => a * a + b * b, 300);
  const shrink = await learnedRotationWidth((a) => a, 300);
  assert.ok(grow > 1.0, `invariant data: width 0.5 → ${grow}`);
  assert.ok(shrink < 0.25, `non-invariant data: width 0.5 → ${shrink}`);
});

test("augerinoImage: [B, n²] → [B, out]; the widths' gradient through expm and the warp matches finite differences", async () => {
  const n = 8;
  const base = MLP([n * n, 4, 2], { activation: "tanh" });
  const aug = augerinoImage(base, n, { generators: ["rotation", "tx"], copies: 4, init: [0.4, 0.1] });
  assert.equal(aug.k, 2);
  await withDevice("cpu", async () => {
    const p = castTree(aug.init(makeKey(0)) as never, { dtype: "float64", device: "cpu" }) as Params;
    const x = fromHost(
      Array.from(hostNormal(3 * n * n, hostRng(1)), (v) => Math.abs(v)),
      [3, n * n],
      { dtype: "float64" },
    );
    const y = aug.apply(tree.ref(p) as never, x.ref);
    assert.deepEqual(y.shape, [3, 2]);
    y.dispose();
    await gradcheck(
      (w: JArray) => np.sum(aug.apply({ model: tree.ref((p as { model: Params }).model), widths: w } as never, x.ref)),
      { data: [0.4, 0.1], shape: [2] },
      { eps: 1e-7, rtol: 1e-5 },
    );
    tree.dispose([p, x] as never);
  });
});

test("eigenvalues: a rotation generator gives ±iω; a real-spectrum matrix its eigenvalues", () => {
  const rot = eigenvalues([0, -2.5, 2.5, 0], 2);
  assert.ok(Math.abs(rot[0]!.re) < 1e-12 && Math.abs(rot[0]!.im + 2.5) < 1e-12, JSON.stringify(rot));
  assert.ok(Math.abs(rot[1]!.re) < 1e-12 && Math.abs(rot[1]!.im - 2.5) < 1e-12, JSON.stringify(rot));
  // Upper triangular: eigenvalues on the diagonal; block with a rotation: ±i plus 3.
  const tri = eigenvalues([1, 5, -2, 0, -3, 4, 0, 0, 2], 3)
    .map((z) => z.re)
    .sort((a, b) => a - b);
  assert.deepEqual(
    tri.map((v) => Number(v.toFixed(9)) + 0),
    [-3, 1, 2],
  );
  const mixed = eigenvalues([0, -1, 0, 1, 0, 0, 0, 0, 3], 3);
  assert.deepEqual(
    mixed.map((z) => [Number(z.re.toFixed(9)) + 0, Number(z.im.toFixed(9)) + 0]),
    [
      [0, -1],
      [3, 0],
      [0, 1],
    ],
  );
});

/** Toy rotating set in ℝ⁴: x = W·r(cos θ, sin θ), r ~ U[0.5, 1.5]; pairs (θ, θ + t), t ~ U[−1, 1]. */
function rotationPairs(n: number, rng: () => number): { x: Float64Array; x2: Float64Array; t: Float64Array } {
  const W = [0.9, -0.4, 0.3, 0.8, -0.6, 0.5, 0.2, 1.1];
  const x = new Float64Array(4 * n);
  const x2 = new Float64Array(4 * n);
  const t = new Float64Array(n);
  for (let b = 0; b < n; b++) {
    const th = 2 * Math.PI * rng();
    const r = 0.5 + rng();
    t[b] = 2 * rng() - 1;
    for (const [out, a] of [
      [x, th],
      [x2, th + t[b]!],
    ] as const) {
      const p = [r * Math.cos(a), r * Math.sin(a)];
      for (let i = 0; i < 4; i++) out[4 * b + i] = W[2 * i]! * p[0]! + W[2 * i + 1]! * p[1]!;
    }
  }
  return { x, x2, t };
}

test("transformationVAE: loss gradient (through exp(tL)) matches finite differences", async () => {
  const vae = transformationVAE({ dataSize: 4, latent: 2, hidden: [6], activation: "tanh", beta: 0.1 });
  const { x, x2, t } = rotationPairs(5, hostRng(1));
  await withDevice("cpu", async () => {
    const p = castTree(vae.init(makeKey(0)) as never, { dtype: "float64", device: "cpu" }) as Params;
    // A non-zero L, so that exp(tL) is exercised.
    (p as { L: JArray }).L.dispose();
    (p as { L: JArray }).L = fromHost([0.1, -0.7, 0.8, 0.05], [2, 2], { dtype: "float64", device: "cpu" });
    const batch = fromHost(packPairs(x, x2, t, 4, 2, hostRng(2)), [5, vae.rowSize], { dtype: "float64" });
    await gradcheck((q: Params) => vae.loss(q as never, batch.ref), hostTree(p), { maxEntries: 24 });
    tree.dispose([p, batch] as never);
  });
});

test("transformationVAE on a rotating 2-D set: latent generator spectrum ±iω with ω ≈ 1, held-out pairs reproduced", async () => {
  const vae = transformationVAE({ dataSize: 4, latent: 2, hidden: [32], beta: 1e-3 });
  const N = 512;
  const train = rotationPairs(N, hostRng(3));
  let params = vae.init(makeKey(4)) as unknown as Params;
  const optimizer = adam();
  const step = makeTrainStep((p: Params, b: JArray, y: JArray) => vae.loss(p as never, b, y), optimizer);
  let opt = optimizer.init(params);
  const rng = hostRng(5);
  const steps = 800;
  for (let s = 1; s <= steps; s++) {
    const b = fromHost(packPairs(train.x, train.x2, train.t, 4, 2, rng), [N, vae.rowSize], { dtype: "float32" });
    const out = step(params, opt, b, fromHost([0], [1], { dtype: "float32" }), 1e-2 * (s < 600 ? 1 : 0.1), s);
    params = out.params;
    opt = out.optState;
    out.loss.item();
  }
  step.dispose();
  const L = vae.generator(params as never);
  const ev = eigenvalues(L, 2);
  const test = rotationPairs(200, hostRng(6));
  const pred = toFloat64(
    vae.transport(
      tree.ref(params) as never,
      fromHost(test.x, [200, 4], { dtype: "float32" }),
      fromHost(test.t, [200], { dtype: "float32" }),
    ),
  );
  let num = 0;
  let den = 0;
  let idNum = 0;
  for (let i = 0; i < pred.length; i++) {
    num += (pred[i]! - test.x2[i]!) ** 2;
    idNum += (test.x[i]! - test.x2[i]!) ** 2;
    den += test.x2[i]! ** 2;
  }
  tree.dispose([params, opt] as never);
  const rel = Math.sqrt(num / den);
  const relIdentity = Math.sqrt(idNum / den);
  for (const z of ev) assert.ok(Math.abs(z.re) < 0.1, `eigenvalues ${JSON.stringify(ev)}`);
  assert.ok(
    Math.abs(Math.abs(ev[0]!.im) - 1) < 0.1 && Math.abs(ev[0]!.im + ev[1]!.im) < 1e-9,
    `eigenvalues ${JSON.stringify(ev)}`,
  );
  assert.ok(rel < 0.5 * relIdentity, `held-out relative error ${rel} vs ${relIdentity} for x′ ≈ x`);
});

test("weightOrbitPenalty: zero on filters forming a C₅ orbit, positive on random filters; gradient matches finite differences", async () => {
  // C₅ acting on ℝ⁵ by cyclic shifts.
  const shift = new Float64Array(25);
  for (let i = 0; i < 5; i++) shift[i * 5 + ((i + 1) % 5)] = 1;
  const G = customGroup({ name: "C5-shift", d: 5, discreteGenerators: [shift] });
  const pen = weightOrbitPenalty(V(G));
  assert.equal(pen.elements.length, 4);
  const w = hostNormal(5, hostRng(1));
  const orbitW = new Float64Array(25); // column j = w shifted by j
  for (let j = 0; j < 5; j++) for (let i = 0; i < 5; i++) orbitW[i * 5 + j] = w[(i + j) % 5]!;
  await withDevice("cpu", async () => {
    const zero = toFloat64(pen(fromHost(orbitW, [5, 5], { dtype: "float64" })))[0]!;
    const random = toFloat64(pen(fromHost(hostNormal(25, hostRng(2)), [5, 5], { dtype: "float64" })))[0]!;
    assert.ok(Math.abs(zero) < 1e-14, `orbit filters: ${zero}`);
    assert.ok(random > 0.1, `random filters: ${random}`);
    await gradcheck((W: JArray) => pen(W), { data: hostNormal(15, hostRng(3)), shape: [5, 3] });
  });
});
