/**
 * The orbit-averaged-kernel sparse GP of src/soft/invariant-gp.ts (van der Wilk et al. 2018): at
 * θ_max → 0 the orbit kernel is the base RBF kernel; at θ_max = π with S = 4 it is exactly
 * invariant to 90° rotations (the plain kernel is not: the negative control); the collapsed bound
 * equals the exact log marginal likelihood when Z = X and the posterior mean the exact one, and is
 * below the exact one for the orbit kernel; its gradient in θ_max (and in every parameter) passes
 * gradcheck in float64 on cpu; trained with Adam, θ_max grows on a rotation-invariant toy task
 * and shrinks on one that is not.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { numpy as np, tree, type Array as JArray } from "../src/jax.js";
import { initEngine, withDevice } from "../src/core/engine.js";
import { fromHost, toFloat64 } from "../src/core/host.js";
import { hostNormal, hostRng } from "../src/core/rng.js";
import { invariantGP, invariantGPLoss, type InvariantGPParams } from "../src/soft/index.js";
import { gradcheck, type HostTree } from "../src/testing/gradcheck.js";
import { adam } from "../src/train/optim.js";
import { makeTrainStep } from "../src/train/step.js";

await initEngine();

const f64 = { dtype: "float64" as const };
const n = 7;
const P = n * n;

/** The parameters as gradcheck's host tree (borrows). */
function hostTree(p: InvariantGPParams): HostTree {
  return tree.map((a: JArray) => ({ data: toFloat64(a.ref), shape: a.shape }), p as never) as unknown as HostTree;
}

/** max |a − b| and max |b|. */
function maxDiff(a: Float64Array, b: Float64Array): [number, number] {
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return [d, m];
}

/** Images rotated by 90° counter-clockwise (an exact pixel permutation). */
function rot90(x: Float64Array, count: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let b = 0; b < count; b++)
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[b * P + (n - 1 - j) * n + i] = x[b * P + i * n + j]!;
  return out;
}

test("orbit kernel: θ_max → 0 gives the base RBF kernel; θ_max = π, S = 4 is invariant to 90° rotations, the base kernel is not", async () => {
  await withDevice("cpu", async () => {
    const rng = hostRng(1);
    const N = 5;
    const x1 = hostNormal(N * P, rng);
    const x2 = hostNormal(N * P, rng);
    const z = hostNormal(2 * P, rng);
    const orbit = invariantGP(n, { copies: 4 });
    const plain = invariantGP(n, { copies: 1 });
    const K = (gp: typeof orbit, range: number, a: Float64Array, b: Float64Array) =>
      toFloat64(
        gp.kernel(gp.init(z, 2, { range, lengthscale: 6, ...f64 }), fromHost(a, [N, P], f64), fromHost(b, [N, P], f64)),
      );
    const base = K(plain, 1, x1, x2);
    const [d0, scale] = maxDiff(K(orbit, 1e-12, x1, x2), base);
    assert.ok(scale > 0.05 && d0 < 1e-10, `θ_max → 0: |k_inv − k| = ${d0} (scale ${scale})`);
    const [dWide] = maxDiff(K(orbit, Math.PI / 2, x1, x2), base);
    assert.ok(dWide > 1e-2, `θ_max = π/2 should differ from the base kernel, got ${dWide}`);
    const r1 = rot90(x1, N);
    const full = Math.PI * (1 - 1e-12);
    const [dInv, s2] = maxDiff(K(orbit, full, r1, x2), K(orbit, full, x1, x2));
    assert.ok(s2 > 1e-3 && dInv < 1e-9 * (1 + s2), `θ_max = π: k_inv(R₉₀x, x′) − k_inv(x, x′) = ${dInv}`);
    const [dBase] = maxDiff(K(plain, 1, r1, x2), base);
    assert.ok(dBase > 1e-2, `the base kernel is not rotation invariant: ${dBase}`);
  });
});

test("bound: = exact log marginal likelihood for Z = X (plain), ≤ it for the orbit kernel; posterior mean = exact GP's", async () => {
  await withDevice("cpu", async () => {
    const rng = hostRng(2);
    const N = 6;
    const D = 2;
    const x = hostNormal(N * P, rng);
    const y = hostNormal(N * D, rng);
    const noise = 0.3;
    const exact = (gp: ReturnType<typeof invariantGP>, p: InvariantGPParams) => {
      const K = gp.kernel(p, fromHost(x, [N, P], f64), fromHost(x, [N, P], f64));
      const C = K.add(np.eye(N, N, { dtype: np.float64 }).mul(noise));
      const [, logdet] = np.linalg.slogdet(C.ref);
      const alpha = np.linalg.solve(C, fromHost(y, [N, D], f64));
      const quad = np.sum(alpha.mul(fromHost(y, [N, D], f64))).item();
      return { lml: -0.5 * quad - 0.5 * D * logdet.item() - 0.5 * N * D * Math.log(2 * Math.PI) };
    };
    for (const copies of [1, 4]) {
      const gp = invariantGP(n, { copies, jitter: 1e-10 });
      const p = gp.init(x, N, { range: 0.8, lengthscale: 7, variance: 1.3, noise, ...f64 });
      const bound = gp.bound(tree.ref(p) as never, fromHost(x, [N, P], f64), fromHost(y, [N, D], f64)).item();
      const { lml } = exact(gp, tree.ref(p) as never);
      if (copies === 1) {
        assert.ok(Math.abs(bound - lml) < 1e-6 * Math.abs(lml), `Z = X: bound ${bound} vs log ML ${lml}`);
        // Posterior mean: K (K + σ²I)⁻¹ y.
        const K = gp.kernel(tree.ref(p) as never, fromHost(x, [N, P], f64), fromHost(x, [N, P], f64));
        const ref = toFloat64(
          np.matmul(
            K.ref,
            np.linalg.solve(K.add(np.eye(N, N, { dtype: np.float64 }).mul(noise)), fromHost(y, [N, D], f64)),
          ),
        );
        const mean = toFloat64(
          gp.predict(p, fromHost(x, [N, P], f64), fromHost(y, [N, D], f64), fromHost(x, [N, P], f64)),
        );
        const [d, s] = maxDiff(mean, ref);
        assert.ok(d < 1e-6 * (1 + s), `posterior mean differs from the exact GP's by ${d}`);
      } else {
        tree.dispose(p);
        // Inducing values of the non-invariant f: the bound is strictly below the orbit kernel's log ML.
        assert.ok(bound < lml && Number.isFinite(bound), `orbit kernel: bound ${bound} vs log ML ${lml}`);
      }
    }
  });
});

test("bound: gradient in θ_max and in every parameter (Z, ℓ, σ_f², σ²) matches finite differences (float64, cpu)", async () => {
  await withDevice("cpu", async () => {
    const rng = hostRng(3);
    const N = 6;
    const M = 3;
    const x = hostNormal(N * P, rng);
    const y = hostNormal(N * 2, rng);
    const z = hostNormal(M * P, rng);
    const gp = invariantGP(n, { copies: 4, trainInducing: true });
    const p = gp.init(z, M, { range: 0.7, lengthscale: 5, noise: 0.2, ...f64 });
    const data = () => [fromHost(x, [N, P], f64), fromHost(y, [N, 2], f64)] as const;
    // θ_max itself: ρ = logit(θ/π) in the graph.
    const rest = hostTree(p);
    tree.dispose(p);
    const report = await gradcheck(
      (theta: JArray) => {
        const q = theta.mul(1 / Math.PI);
        const leaf = (k: string) => {
          const h = (rest as Record<string, { data: Float64Array; shape: number[] }>)[k]!;
          return fromHost(h.data, h.shape, f64);
        };
        const params: InvariantGPParams = {
          z: leaf("z"),
          range: np.log(q.ref).sub(np.log(q.mul(-1).add(1))),
          logLengthscale: leaf("logLengthscale"),
          logVariance: leaf("logVariance"),
          logNoise: leaf("logNoise"),
        };
        return gp.bound(params, ...data());
      },
      { data: [0.7], shape: [] },
      { rtol: 1e-5, atol: 1e-7 },
    );
    assert.ok(report.ok && Math.abs(report.worst.autodiff) > 1e-3, JSON.stringify(report.worst));
    await gradcheck((q: InvariantGPParams) => gp.bound(q, ...data()), rest, { rtol: 1e-5, atol: 1e-7, maxEntries: 40 });
  });
});

/** Gaussian blobs on an 11×11 grid at radius r ∈ [0.15, 0.75] and angle a; targets 2r − 0.9 (invariant) and the blob's x (not). */
function blobs(N: number, seed: number) {
  const m = 11;
  const c = (m - 1) / 2;
  const rng = hostRng(seed);
  const x = new Float64Array(N * m * m);
  const invariant = new Float64Array(N);
  const xCoord = new Float64Array(N);
  for (let b = 0; b < N; b++) {
    const r = 0.15 + 0.6 * rng();
    const a = 2 * Math.PI * rng();
    const [cx, cy] = [r * Math.cos(a), r * Math.sin(a)];
    for (let i = 0; i < m; i++)
      for (let j = 0; j < m; j++)
        x[b * m * m + i * m + j] = Math.exp(-(((j - c) / c - cx) ** 2 + ((c - i) / c - cy) ** 2) / 0.08);
    invariant[b] = 2 * r - 0.9;
    xCoord[b] = cx;
  }
  return { m, x, invariant, xCoord };
}

test("learned θ_max grows on a rotation-invariant toy task and shrinks on a non-invariant one (seeded)", async () => {
  const N = 60;
  const M = 12;
  const { m, x, invariant, xCoord } = blobs(N, 3);
  const start = Math.PI / 2;
  const learned: Record<string, number> = {};
  for (const [name, y] of [
    ["invariant", invariant],
    ["xCoord", xCoord],
  ] as const) {
    const gp = invariantGP(m, { copies: 4 });
    const optimizer = adam();
    const step = makeTrainStep(invariantGPLoss(gp) as never, optimizer);
    let params = gp.init(x.subarray(0, M * m * m), M, { range: start, lengthscale: 2, noise: 0.05, dtype: "float32" });
    let optState = optimizer.init(params as never);
    for (let t = 1; t <= 50; t++) {
      const o = step(
        params as never,
        optState,
        fromHost(x, [N, m * m], { dtype: "float32" }),
        fromHost(y, [N, 1], { dtype: "float32" }),
        0.05,
        t,
      );
      params = o.params as InvariantGPParams;
      optState = o.optState;
      assert.ok(Number.isFinite(o.loss.item()), `${name}: non-finite loss at step ${t}`);
    }
    learned[name] = gp.hyper(params).range;
    step.dispose();
    tree.dispose(optState);
    tree.dispose(params as never);
  }
  const deg = (v: number) => ((v * 180) / Math.PI).toFixed(1);
  assert.ok(learned.invariant! > start + 0.1, `invariant task: θ_max ${deg(learned.invariant!)}° from ${deg(start)}°`);
  assert.ok(learned.xCoord! < start - 0.2, `x-coordinate task: θ_max ${deg(learned.xCoord!)}° from ${deg(start)}°`);
});
