/**
 * Symmetry discovery: each method recovers a known algebra from data within a stated angle, the
 * learned algebra enforces exactly through the same solver and EMLP as a textbook group (and an
 * MLP fails the same check), non-closed spans are caught, and bad data gets clear errors.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { numpy as np, type Array as JArray } from "../src/jax.js";
import { initEngine } from "../src/core/engine.js";
import { ConfigError, NoetherError, NonFiniteError } from "../src/core/errors.js";
import { expmHost } from "../src/core/expm.js";
import { logmHost } from "../src/core/logm.js";
import { hostNormal, hostRng } from "../src/core/rng.js";
import {
  canonicalBasis,
  closureResidual,
  discoverFromPairs,
  discoverInvariant,
  discoverEquivariant,
  groupFromGenerators,
  groupFromJSON,
  groupToJSON,
  invariantFromGradients,
  lieBasis,
  principalAnglesDeg,
  type LieBasis,
} from "../src/discovery/index.js";
import { customGroup, Lorentz, SO, type Group } from "../src/groups/index.js";
import { jacobiEigh } from "../src/core/linalg.js";
import { inverse, matmul } from "../src/core/matrix.js";
import { EMLP } from "../src/layers/emlp/index.js";
import { Scalar, V } from "../src/reps/index.js";
import { equivariantBasis, invariantSubspace } from "../src/solve/index.js";
import { assertRepEquivariant } from "../src/testing/equivariance.js";
import { mlpEquivarianceError } from "./support.js";

await initEngine();

const algebra = (G: Group): LieBasis => ({ d: G.d, k: G.D, generators: G.lieAlgebra });
const maxAngle = (a: LieBasis, b: LieBasis) => Math.max(...principalAnglesDeg(a, b));

/** Minkowski-norm samples and its analytic gradient 2ηx. */
function minkowski(n: number, seed: number): { x: Float64Array; g: Float64Array } {
  const x = hostNormal(n * 4, hostRng(seed));
  return { x, g: x.map((v, i) => 2 * (i % 4 === 0 ? 1 : -1) * v) };
}

test("logmHost inverts expmHost (rotations up to 3 rad, a general matrix)", () => {
  for (const A of [
    [0, -3, 3, 0],
    [0.3, -1.2, 0.7, 0.1],
  ]) {
    const back = logmHost(expmHost(A, 2), 2);
    assert.ok(Math.max(...back.map((v, i) => Math.abs(v - A[i]!))) < 1e-12, `${A}: ${back}`);
  }
  assert.throws(() => logmHost([-1, 0, 0, -1], 2), NoetherError); // rotation by π: no principal log
});

test("invariant nullspace: the Minkowski norm gives the six generators of so(1,3), closed, exactly", () => {
  const { x, g } = minkowski(200, 1);
  const r = invariantFromGradients(x, g, { n: 200, width: 4 });
  assert.equal(r.basis.k, 6);
  assert.equal(r.chosenBy, "gap");
  assert.ok(maxAngle(r.basis, algebra(Lorentz())) < 1e-4, `angles ${principalAnglesDeg(r.basis, algebra(Lorentz()))}`);
  assert.ok(r.closureResidual < 1e-10, `closure ${r.closureResidual}`);
  // The spectrum has the gap the count was read from.
  assert.ok(r.spectrum[5]! < 1e-6 && r.spectrum[6]! > 0.1, `spectrum ${r.spectrum.slice(0, 8)}`);
});

test("invariant nullspace: a function with no continuous symmetry gives no generators (the count has power)", () => {
  const n = 200;
  const x = hostNormal(n * 3, hostRng(4));
  // f = x₀³ + 2x₁² + x₀x₂ + sin x₂: nothing linear leaves it invariant.
  const g = new Float64Array(n * 3);
  for (let s = 0; s < n; s++) {
    const [a, b, c] = [x[3 * s]!, x[3 * s + 1]!, x[3 * s + 2]!];
    g.set([3 * a * a + c, 4 * b, a + Math.cos(c)], 3 * s);
  }
  const r = invariantFromGradients(x, g, { n, width: 3 });
  assert.equal(r.basis.k, 0, `spectrum ${r.spectrum}`);
});

test("invariant nullspace by autodiff: O(5)-invariant function of two vectors → so(5) (10 generators)", async () => {
  const f = (v: JArray) => {
    const a = v.ref.slice([], [0, 5]);
    const b = v.slice([], [5, 10]);
    const na = np.sqrt(np.sum(np.square(a.ref), 1));
    const nb = np.sqrt(np.sum(np.square(b.ref), 1));
    return np
      .sin(na.ref)
      .sub(nb.ref.mul(nb.ref).mul(nb.ref).mul(0.5))
      .add(np.sum(a.mul(b), 1).div(na.mul(nb)));
  };
  const r = await discoverInvariant(f, hostNormal(300 * 10, hostRng(2)), { n: 300, width: 10 }, { copies: 2 });
  assert.equal(r.basis.k, 10);
  assert.ok(maxAngle(r.basis, algebra(SO(5))) < 1e-4);
});

test("equivariant nullspace: f(x) = |x|²·x on ℝ³ is O(3)-equivariant → so(3)", async () => {
  const f = (v: JArray) => v.ref.mul(np.sum(np.square(v), 1, { keepdims: true }));
  const r = await discoverEquivariant(f, hostNormal(100 * 3, hostRng(3)), { n: 100, width: 3, outCopies: 1 });
  assert.equal(r.basis.k, 3);
  assert.ok(maxAngle(r.basis, algebra(SO(3))) < 1e-4);
});

/** Point clouds [clouds·points, d] and their images under random elements exp(Σ tᵢGᵢ) of G. */
function clouds(
  G: Group,
  clouds: number,
  points: number,
  seed: number,
  noise: number,
): { x: Float64Array; xp: Float64Array } {
  const d = G.d;
  const rng = hostRng(seed);
  const x = hostNormal(clouds * points * d, rng);
  const xp = new Float64Array(x.length);
  for (let c = 0; c < clouds; c++) {
    const L = new Float64Array(d * d);
    for (let k = 0; k < G.D; k++) {
      const t = (2 * rng() - 1) * 1.5; // large transformations: up to ~1.5 rad per generator
      for (let i = 0; i < d * d; i++) L[i] = L[i]! + t * G.lieAlgebra[k * d * d + i]!;
    }
    const g = expmHost(L, d);
    for (let p = 0; p < points; p++)
      for (let i = 0; i < d; i++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += g[i * d + j]! * x[(c * points + p) * d + j]!;
        xp[(c * points + p) * d + i] = s + noise * (rng() - 0.5);
      }
  }
  return { x, xp };
}

test("pairs: rotated point clouds (large angles, noise 1e-3) give so(2) and so(3) within 0.05°", async () => {
  for (const G of [SO(2), SO(3)]) {
    const { x, xp } = clouds(G, 30, 10, 5, 1e-3);
    const r = await discoverFromPairs(x, xp, { n: 300, d: G.d }, { points: 10 });
    assert.equal(r.basis.k, G.D, `${G.name}: ${r.basis.k} generators, spectrum ${r.spectrum.slice(0, 5)}`);
    assert.ok(maxAngle(r.basis, algebra(G)) < 0.05, `${G.name}: ${principalAnglesDeg(r.basis, algebra(G))}`);
  }
});

/** Band-limited periodic signals of length d and their circular shifts by t ∈ (−max, max) samples. */
function shifts(n: number, d: number, max: number, seed: number): { x: Float64Array; xp: Float64Array; D: LieBasis } {
  const rng = hostRng(seed);
  const sig = (c: Float64Array, t: number) =>
    Float64Array.from({ length: d }, (_, j) => {
      let s = c[0]!;
      for (let k = 1; k < d / 2; k++)
        s +=
          c[2 * k - 1]! * Math.cos((2 * Math.PI * k * (j - t)) / d) +
          c[2 * k]! * Math.sin((2 * Math.PI * k * (j - t)) / d);
      return s;
    });
  const x = new Float64Array(n * d);
  const xp = new Float64Array(n * d);
  for (let p = 0; p < n; p++) {
    const c = hostNormal(d, rng);
    x.set(sig(c, 0), p * d);
    xp.set(sig(c, (2 * rng() - 1) * max), p * d);
  }
  // The generator of shifts: the spectral derivative of the band-limited interpolant.
  const D = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++)
      if (i !== j) D[i * d + j] = ((Math.PI / d) * (-1) ** (i - j)) / Math.tan((Math.PI * (i - j)) / d);
  return { x, xp, D: { d, k: 1, generators: D } };
}

test("pairs: shifted 1-D signals (Rao–Ruderman) give one generator, the derivative operator, within 1°", async () => {
  const { x, xp, D } = shifts(160, 8, 0.3, 7);
  const r = await discoverFromPairs(x, xp, { n: 160, d: 8 });
  assert.equal(r.basis.k, 1, `residuals ${r.spectrum}`);
  assert.ok(maxAngle(r.basis, D) < 1, `angle ${principalAnglesDeg(r.basis, D)}`);
});

test("a learned group enforces exactly: EMLP on the discovered so(1,3) is equivariant in float64, an MLP is not", async () => {
  const { x, g } = minkowski(200, 11);
  const learned = groupFromGenerators(invariantFromGradients(x, g, { n: 200, width: 4 }), { name: "learned-so(1,3)" });
  assert.equal(learned.approximate, true);
  const repIn = V(learned).times(2);
  // The same solver as for the textbook group: the same invariant bilinear forms (the metric η) on V⊗V.
  const vv = (G: Group) => V(G).tensor(V(G));
  assert.equal(equivariantBasis(vv(learned), Scalar(learned)).rank, 1);
  assert.equal(equivariantBasis(vv(Lorentz()), Scalar(Lorentz())).rank, 1);
  const model = EMLP(repIn, Scalar(learned), learned, { channels: 24, layers: 1 });
  await assertRepEquivariant(model, { seed: 1 });
  assert.ok((await mlpEquivarianceError(repIn, Scalar(learned))) > 1e-3);
});

test("a learned non-orthogonal A·so(3)·A⁻¹ (1° errors) keeps a well-conditioned basis and the true group's invariants", () => {
  const A = Float64Array.of(1.2, 0.3, 0, 0, 1, 0.25, 0.15, 0, 0.9); // condition number 1.6
  const Ai = inverse(A, 3);
  const rng = hostRng(9);
  const gens = Array.from({ length: 3 }, (_, k) => {
    const g = matmul(matmul(A, SO(3).lieGenerator(k), 3, 3, 3), Ai, 3, 3, 3);
    const e = hostNormal(9, rng);
    const s = (0.015 * Math.hypot(...g)) / Math.hypot(...e);
    return g.map((v, i) => v + s * e[i]!);
  });
  const r = canonicalBasis({ d: 3, k: 3, generators: Float64Array.from(gens.flatMap((g) => Array.from(g))) });
  // Gram matrix of the readable basis: far from singular (a row-by-row RREF left it at ~1e-5).
  const gram = new Float64Array(9);
  for (let a = 0; a < 3; a++)
    for (let b = 0; b < 3; b++)
      for (let i = 0; i < 9; i++)
        gram[a * 3 + b] = gram[a * 3 + b]! + r.generators[a * 9 + i]! * r.generators[b * 9 + i]!;
  const ev = jacobiEigh(gram, 3).values;
  assert.ok(ev[0]! / ev[2]! > 0.05, `Gram eigenvalues ${Array.from(ev)}`);
  const learned = groupFromGenerators(r, { closureTol: 0.1 }); // true invariants at σ ≈ 0.012, the next at ≥ 0.3
  const truth = customGroup({
    name: "A·SO(3)·A⁻¹",
    d: 3,
    lieAlgebra: gens.map((_, k) => matmul(matmul(A, SO(3).lieGenerator(k), 3, 3, 3), Ai, 3, 3, 3)),
  });
  for (const R of [(G: Group) => V(G), (G: Group) => V(G).tensor(V(G).dual()), (G: Group) => V(G).tensor(V(G))]) {
    assert.equal(
      invariantSubspace(R(learned)).rank,
      invariantSubspace(R(truth)).rank,
      `${R(truth).structure}: ${invariantSubspace(R(learned)).rank} invariants on the learned group, ${invariantSubspace(R(truth)).rank} on the true one`,
    );
  }
});

test("closure: a span that is not a Lie algebra is flagged, refused, and closed on request", () => {
  const so3 = algebra(SO(3));
  const two = { d: 3, k: 2, generators: so3.generators.slice(0, 18) }; // L_z, L_y without L_x
  assert.ok(closureResidual(two) > 0.5, `residual ${closureResidual(two)}`);
  assert.throws(
    () => groupFromGenerators(two),
    (e: unknown) => e instanceof ConfigError && /not closed under the commutator/.test((e as Error).message),
  );
  const closed = groupFromGenerators(two, { close: true });
  assert.equal(closed.D, 3);
  assert.equal(closed.learned.addedByClosure, 1);
  assert.ok(maxAngle({ d: 3, k: 3, generators: closed.lieAlgebra }, so3) < 1e-8);
});

test("group.json round trip keeps generators, discrete generators and solveTol; bad files are named", () => {
  const G = groupFromGenerators(
    lieBasis([
      [
        [0, -1],
        [1, 0],
      ],
    ]),
    {
      name: "rot",
      discrete: [
        [
          [1, 0],
          [0, -1],
        ],
      ],
      solveTol: 1e-4,
    },
  );
  const json = JSON.parse(JSON.stringify(groupToJSON(G, { method: "test" })));
  const back = groupFromJSON(json);
  assert.deepEqual([back.name, back.d, back.D, back.M, back.solveTol], ["rot", 2, 1, 1, 1e-4]);
  assert.deepEqual(Array.from(back.lieAlgebra), Array.from(G.lieAlgebra));
  assert.throws(() => groupFromJSON({ ...json, dim: 3 }), /"generators"\[0\] is not a 3×3 matrix/);
  assert.throws(
    () =>
      groupFromJSON({
        ...json,
        generators: [
          [
            [0, "x"],
            [1, 0],
          ],
        ],
      }),
    /"generators"\[0\]\[0\]\[1\] is "x"/,
  );
  assert.throws(() => groupFromJSON([]), /expected a JSON object/);
});

test("data that cannot identify the generators gets clear errors", async () => {
  const { x, g } = minkowski(3, 1); // 3 samples for 16 unknowns
  assert.throws(() => invariantFromGradients(x, g, { n: 3, width: 4 }), /too few samples to identify the generators/);
  const bad = Float64Array.from(minkowski(50, 2).x);
  bad[17] = NaN;
  assert.throws(
    () => invariantFromGradients(bad, minkowski(50, 2).g, { n: 50, width: 4 }),
    (e: unknown) => e instanceof NonFiniteError && /sample 4, column 1/.test((e as Error).message),
  );
  assert.throws(
    () => invariantFromGradients(new Float64Array(200), new Float64Array(200), { n: 50, width: 4 }),
    /too few samples|every constraint vanishes/,
  );
  const same = hostNormal(40 * 2, hostRng(1));
  await assert.rejects(discoverFromPairs(same, same, { n: 40, d: 2 }), /every x′ equals its x/);
  const flat = new Float64Array(60).map((_, i) => (i % 2 === 0 ? i : 0)); // every point on the x-axis
  await assert.rejects(discoverFromPairs(flat, flat, { n: 30, d: 2 }, { points: 10 }), /do not span ℝ\^2/);
  await assert.rejects(
    discoverFromPairs(same, same, { n: 40, d: 2 }, { points: 3 }),
    /points must be a positive integer dividing the 40 rows/,
  );
});
