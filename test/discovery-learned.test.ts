/**
 * Learned symmetry discovery (issue 13): the adversarial method (LieGAN-style) and embedding
 * detection (Krippendorf & Syvaeri). Each recovers a known algebra within a stated angle, each
 * has a negative control that must come out different (the tests have power), memory stays
 * flat per step, and bad input gets a typed error naming the value. All runs seeded.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { initEngine } from "../src/core/engine.js";
import { ConfigError, NoetherError, NonFiniteError } from "../src/core/errors.js";
import { hostNormal, hostRng } from "../src/core/rng.js";
import {
  discoverAdversarial,
  discoverEmbedding,
  embeddingFromSamples,
  levelSetLabels,
  principalAnglesDeg,
  type LieBasis,
} from "../src/discovery/index.js";
import { SO } from "../src/groups/index.js";
import { liveBufferCount } from "../src/testing/leaks.js";

await initEngine();

const one = (g: number[]): LieBasis => ({ d: Math.round(Math.sqrt(g.length)), k: 1, generators: Float64Array.from(g) });
const so2 = one([0, -1, 1, 0]);
const so3: LieBasis = { d: 3, k: 3, generators: SO(3).lieAlgebra };
const maxAngle = (a: LieBasis, b: LieBasis) => Math.max(...principalAnglesDeg(a, b));

/** A noisy ring: radius 1 + 0.1·N(0,1), angle uniform — a radially symmetric density. */
function ring(n: number, seed: number): Float64Array {
  const rng = hostRng(seed);
  const x = new Float64Array(2 * n);
  const r = hostNormal(n, rng);
  for (let i = 0; i < n; i++) {
    const t = 2 * Math.PI * rng();
    x[2 * i] = (1 + 0.1 * r[i]!) * Math.cos(t);
    x[2 * i + 1] = (1 + 0.1 * r[i]!) * Math.sin(t);
  }
  return x;
}

/** Uniform points in the box [−1, 1]^d. */
function box(n: number, d: number, seed: number): Float64Array {
  const rng = hostRng(seed);
  return Float64Array.from({ length: n * d }, () => 2 * rng() - 1);
}

/** V at every row of x [n, d]. */
function potential(x: Float64Array, d: number, V: (p: Float64Array) => number): number[] {
  return Array.from({ length: x.length / d }, (_, i) => V(x.subarray(i * d, (i + 1) * d)));
}

// ---------------------------------------------------------------------------------------------
// Adversarial (LieGAN)

test("adversarial: a noisy ring gives one generator within 10° of so(2), memory flat per step", async () => {
  const n = 2000;
  const buffers: number[] = [];
  const before = liveBufferCount("wasm");
  const r = await discoverAdversarial(
    ring(n, 1),
    { n, d: 2 },
    {
      k: 1,
      steps: 400,
      seed: 0,
      onStep: (s) => {
        if (s % 50 === 0) buffers.push(liveBufferCount("wasm"));
      },
    },
  );
  assert.equal(r.method, "adversarial");
  assert.equal(r.chosenBy, "given");
  assert.equal(r.basis.k, 1);
  // Measured: 1.2° (other rings and seeds 0–4: 0.45–2.2°).
  assert.ok(maxAngle(r.basis, so2) < 10, `angle ${principalAnglesDeg(r.basis, so2)}`);
  // The discriminator-free score: the ring cannot tell the learned rotation from the data.
  assert.ok(r.spectrum[0]! < 0.3, `score ${r.spectrum}`);
  assert.ok(
    buffers.every((b) => b === buffers[0]),
    `live buffers per 50 steps: ${buffers}`,
  );
  assert.equal(liveBufferCount("wasm"), before);
});

test("adversarial: an anisotropic Gaussian is not rotation invariant — the generator found is its own (elliptic) one, far from so(2)", async () => {
  const n = 2000;
  const x = hostNormal(2 * n, hostRng(2));
  for (let i = 0; i < n; i++) x[2 * i + 1] = x[2 * i + 1]! * 3; // N(0, diag(1, 9))
  const r = await discoverAdversarial(x, { n, d: 2 }, { k: 1, steps: 400, seed: 0 });
  // Its symmetry is Σ^½ so(2) Σ^-½ = span [[0, −1/3], [3, 0]], 38.7° from so(2).
  const elliptic = one([0, -1 / 3, 3, 0]);
  // Measured: 39.6° from so(2), 2.8° from the elliptic generator (other draws, seeds 0–4: 37.8–39.7°, 2.7–8.4°).
  assert.ok(maxAngle(r.basis, so2) > 25, `angle to so(2) ${principalAnglesDeg(r.basis, so2)}`);
  assert.ok(
    maxAngle(r.basis, elliptic) < 10,
    `angle to the elliptic generator ${principalAnglesDeg(r.basis, elliptic)}`,
  );
});

test("adversarial with invariant labels: an isotropic 3-D Gaussian labelled by x₁² + x₂² gives the rotation about x₃", async () => {
  const n = 2000;
  const x = hostNormal(3 * n, hostRng(5));
  const y = Float64Array.from({ length: n }, (_, i) => x[3 * i]! ** 2 + x[3 * i + 1]! ** 2);
  const r = await discoverAdversarial(x, { n, d: 3 }, { k: 1, steps: 400, seed: 0, labels: y });
  const Lz = one([0, -1, 0, 1, 0, 0, 0, 0, 0]);
  // Measured: 3.8°. Without the labels the same run lands elsewhere in so(3) (85° from L_z, 3.5° from so(3)).
  assert.ok(maxAngle(r.basis, Lz) < 10, `angle to L_z ${principalAnglesDeg(r.basis, Lz)}`);
  assert.equal(r.details.labelWidth, 1);
});

test("adversarial: bad input gets typed errors naming the value", async () => {
  const x = ring(100, 3);
  const bad = Float64Array.from(x);
  bad[9] = NaN;
  await assert.rejects(
    discoverAdversarial(bad, { n: 100, d: 2 }, { k: 1 }),
    (e: unknown) => e instanceof NonFiniteError && /row 4, column 1 is NaN/.test((e as Error).message),
  );
  await assert.rejects(
    discoverAdversarial(x, { n: 99, d: 2 }, { k: 1 }),
    (e: unknown) => e instanceof ConfigError && /200 values, expected 99×2 = 198/.test((e as Error).message),
  );
  await assert.rejects(
    discoverAdversarial(x.subarray(0, 20), { n: 10, d: 2 }, { k: 1 }),
    (e: unknown) => e instanceof NoetherError && /at least 32 samples.*got 10/.test((e as Error).message),
  );
  await assert.rejects(
    discoverAdversarial(x, { n: 100, d: 2 }, { k: 5 }),
    (e: unknown) => e instanceof ConfigError && /k must be an integer in \[0, 4\], got 5/.test((e as Error).message),
  );
  await assert.rejects(discoverAdversarial(x, { n: 100, d: 2 }, { k: 0 }), /k must be an integer in \[1, 4\], got 0/);
  await assert.rejects(
    discoverAdversarial(x, { n: 100, d: 2 }, { k: 1, labels: new Float64Array(150) }),
    /labels have 150 values/,
  );
  await assert.rejects(
    discoverAdversarial(x, { n: 100, d: 2 }, { k: 1, sigma: -1 }),
    /sigma must be a finite number > 0, got -1/,
  );
  await assert.rejects(
    discoverAdversarial(x, { n: 100, d: 2 }, { k: 1, batch: 101 }),
    /batch must be an integer in \[1, 100\], got 101/,
  );
});

// ---------------------------------------------------------------------------------------------
// Embedding detection (Krippendorf & Syvaeri)

test("embedding: level sets of |x|² on ℝ² give one component within 10° of so(2); the autodiff Jacobian agrees; memory flat", async () => {
  const n = 2000;
  const x = box(n, 2, 3);
  const labels = levelSetLabels(
    potential(x, 2, (p) => p[0]! ** 2 + p[1]! ** 2),
    8,
  );
  const losses: number[] = [];
  const buffers: number[] = [];
  const before = liveBufferCount("wasm");
  const r = await discoverEmbedding(
    x,
    labels,
    { n, d: 2 },
    {
      onStep: (s, loss) => {
        losses.push(loss);
        if (s % 50 === 0) buffers.push(liveBufferCount("wasm"));
      },
    },
  );
  assert.equal(r.method, "embedding");
  assert.equal(r.chosenBy, "gap");
  assert.equal(r.details.componentsFound, 1, `spectrum ${r.spectrum}`);
  // Measured: 2.2° (seeds 0–2: 0.7–2.2°), spectrum [0.31, 0.70, 0.76, 1].
  assert.ok(maxAngle(r.basis, so2) < 10, `angle ${principalAnglesDeg(r.basis, so2)}`);
  assert.ok((r.details.trainAccuracy as number) > 0.9, `accuracy ${r.details.trainAccuracy}`);
  assert.ok(losses[losses.length - 1]! < losses[0]! / 5, `loss ${losses[0]} → ${losses[losses.length - 1]}`);
  // The same analysis with autodiff Jacobians (measured: 1 component, 0.6° from the local one; Jacobian cosine 0.99).
  assert.equal(r.details.crossCheckComponents, 1);
  assert.ok((r.details.crossCheckAngleDeg as number) < 5, `cross-check angle ${r.details.crossCheckAngleDeg}`);
  assert.ok((r.details.jacobianCosine as number) > 0.9, `Jacobian cosine ${r.details.jacobianCosine}`);
  assert.ok(
    buffers.every((b) => b === buffers[0]),
    `live buffers per 50 steps: ${buffers}`,
  );
  assert.equal(liveBufferCount("wasm"), before);
});

test("embedding: level sets of |x|² on ℝ³ give three components, so(3) within 10°", async () => {
  const n = 2000;
  const x = box(n, 3, 3);
  const labels = levelSetLabels(
    potential(x, 3, (p) => p[0]! ** 2 + p[1]! ** 2 + p[2]! ** 2),
    8,
  );
  const r = await discoverEmbedding(x, labels, { n, d: 3 });
  // Measured: 3 components, angles 0.3°, 2.0°, 2.5° (seeds 0–2: ≤ 3.4°), spectrum [0.16, 0.18, 0.21, 0.56, …].
  assert.equal(r.details.componentsFound, 3, `spectrum ${r.spectrum}`);
  assert.ok(maxAngle(r.basis, so3) < 10, `angles ${principalAnglesDeg(r.basis, so3)}`);
  assert.ok(r.closureResidual < 0.2, `closure ${r.closureResidual}`);
});

test("embedding (power): V = x₁² + 3x₂² is not rotation invariant — its elliptic generator comes out, far from so(2); a shifted circle has no linear symmetry", async () => {
  const n = 2000;
  const x = box(n, 2, 3);
  const ellipse = levelSetLabels(
    potential(x, 2, (p) => p[0]! ** 2 + 3 * p[1]! ** 2),
    8,
  );
  const r = await discoverEmbedding(x, ellipse, { n, d: 2 }, { jacobian: "autodiff" });
  // Its level sets are kept by exp(t[[0, −1], [1/3, 0]]), 26.6° from so(2).
  const elliptic = one([0, -1, 1 / 3, 0]);
  // Measured (autodiff Jacobian): 1 component, 4.6° from the elliptic generator, 29.7° from so(2).
  assert.equal(r.basis.k, 1, `spectrum ${r.spectrum}`);
  assert.ok(maxAngle(r.basis, so2) > 20, `angle to so(2) ${principalAnglesDeg(r.basis, so2)}`);
  assert.ok(
    maxAngle(r.basis, elliptic) < 10,
    `angle to the elliptic generator ${principalAnglesDeg(r.basis, elliptic)}`,
  );
  // (x₁ − ½)² + x₂²: circles about (½, 0), kept by an affine rotation but by no linear map.
  const shifted = levelSetLabels(
    potential(x, 2, (p) => (p[0]! - 0.5) ** 2 + p[1]! ** 2),
    8,
  );
  const s = await discoverEmbedding(x, shifted, { n, d: 2 }, { steps: 300 });
  // Measured: no component, spectrum [0.60, 0.83, 0.88, 1].
  assert.equal(s.basis.k, 0, `spectrum ${s.spectrum}`);
});

test("embedding from a sampled embedding: an exactly invariant e(x) gives so(2) within 1° by local fits", () => {
  const n = 1500;
  const x = box(n, 2, 7);
  const e = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    const r2 = x[2 * i]! ** 2 + x[2 * i + 1]! ** 2;
    e.set([Math.tanh(2 * r2), Math.sin(3 * r2), r2], 3 * i);
  }
  const r = embeddingFromSamples(x, e, { n, d: 2, m: 3 });
  assert.equal(r.basis.k, 1, `spectrum ${r.spectrum}`);
  // Measured: 0.56° — what is left is the local fits' curvature bias (second-order terms over a
  // neighbourhood of 12 points), not the embedding, which is exactly invariant here.
  assert.ok(maxAngle(r.basis, so2) < 1, `angle ${principalAnglesDeg(r.basis, so2)}`);
  // Measured spectrum [0.066, 0.62, 0.79, 1]; with 6 neighbours 0.15°, with 6000 samples 0.12°.
  assert.ok(r.spectrum[0]! < 0.1 && r.spectrum[1]! > 0.3, `spectrum ${r.spectrum}`);
});

test("embedding: bad input gets typed errors naming the value", async () => {
  const x = box(100, 2, 1);
  const labels = levelSetLabels(
    potential(x, 2, (p) => p[0]! ** 2 + p[1]! ** 2),
    4,
  );
  const bad = Float64Array.from(x);
  bad[7] = Infinity;
  await assert.rejects(
    discoverEmbedding(bad, labels, { n: 100, d: 2 }),
    (e: unknown) => e instanceof NonFiniteError && /x row 3, column 1 is Infinity/.test((e as Error).message),
  );
  await assert.rejects(
    discoverEmbedding(x, labels.subarray(0, 90), { n: 100, d: 2 }),
    (e: unknown) => e instanceof ConfigError && /90 labels for 100 samples/.test((e as Error).message),
  );
  await assert.rejects(discoverEmbedding(x, labels, { n: 50, d: 2 }), /x has 200 values, expected 50×2 = 100/);
  await assert.rejects(
    discoverEmbedding(
      x,
      Float64Array.from(labels, (l) => l + 0.5),
      { n: 100, d: 2 },
    ),
    /label 0 is \d\.5, expected a class index/,
  );
  await assert.rejects(discoverEmbedding(x, new Int32Array(100), { n: 100, d: 2 }), /needs at least 2 classes/);
  await assert.rejects(
    discoverEmbedding(x.subarray(0, 20), labels.subarray(0, 10), { n: 10, d: 2 }),
    (e: unknown) => e instanceof NoetherError && /10 samples cannot give 12 neighbours/.test((e as Error).message),
  );
  await assert.rejects(
    discoverEmbedding(x, labels, { n: 100, d: 2 }, { k: 7 }),
    /k must be an integer in \[0, 4\], got 7/,
  );
  await assert.rejects(
    discoverEmbedding(x, labels, { n: 100, d: 2 }, { anchors: 0 }),
    /anchors must be an integer in \[1, 100\], got 0/,
  );
  assert.throws(
    () => levelSetLabels([1, 2, NaN], 2),
    (e: unknown) => e instanceof NonFiniteError && /value 2 is NaN/.test((e as Error).message),
  );
  assert.throws(() => levelSetLabels([1, 2, 3], 4), /classes must be an integer in \[2, 3\]/);
  assert.throws(
    () => embeddingFromSamples(x, new Float64Array(150), { n: 100, d: 2, m: 2 }),
    /the embedding has 150 values, expected 100×2 = 200/,
  );
});

test("adversarial: onStep can read the current generators, and an abort stops at the next step with what was reached", async () => {
  const n = 400;
  const ctl = new AbortController();
  const seen: Float64Array[] = [];
  const r = await discoverAdversarial(
    ring(n, 2),
    { n, d: 2 },
    {
      k: 1,
      steps: 400,
      seed: 1,
      signal: ctl.signal,
      onStep: (s, _l, generators) => {
        if (s % 10 === 0) seen.push(generators());
        if (s === 30) ctl.abort();
      },
    },
  );
  assert.equal(r.details.steps, 30);
  assert.equal(seen.length, 3);
  for (const g of seen) {
    assert.equal(g.length, 4);
    assert.ok(Math.abs(Math.hypot(...g) - 1) < 1e-6, `unit norm, got ${Math.hypot(...g)}`);
  }
  // The returned generator is the last one read (same step, normalised the same way).
  const last = seen.at(-1)!;
  for (let i = 0; i < 4; i++)
    assert.ok(Math.abs(Math.abs((r.details.rawGenerators as number[])[i]!) - Math.abs(last[i]!)) < 1e-6);
});
