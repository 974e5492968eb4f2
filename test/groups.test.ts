import { test } from "node:test";
import assert from "node:assert/strict";
import { numpy as np, type Array as JArray } from "../src/jax.js";
import { initEngine, withDevice } from "../src/core/engine.js";
import { NoetherError, ShapeError } from "../src/core/errors.js";
import { expm, expmHost } from "../src/core/expm.js";
import { fromHost, toFloat64 } from "../src/core/host.js";
import { hostRng } from "../src/core/rng.js";
import { gradcheck } from "../src/testing/gradcheck.js";
import {
  C,
  customGroup,
  Dihedral,
  directProduct,
  GL,
  Lorentz,
  MINKOWSKI,
  O,
  O13,
  RxSO2,
  S,
  SE,
  SL,
  SO,
  SO13p,
  Sp,
  SU,
  Translations,
  Trivial,
  U,
  Z,
  type Group,
} from "../src/groups/index.js";
import { eye, matmul, transpose } from "../src/core/matrix.js";

await initEngine();

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

/** Rodrigues: exp(θ [k]ₓ) for a unit axis k. */
function rodrigues(k: number[], th: number): Float64Array {
  const [x, y, z] = k as [number, number, number];
  const K = [0, -z, y, z, 0, -x, -y, x, 0];
  const K2 = matmul(Float64Array.from(K), Float64Array.from(K), 3, 3, 3);
  return Float64Array.from(eye(3), (v, i) => v + Math.sin(th) * K[i]! + (1 - Math.cos(th)) * K2[i]!);
}

const boost = (phi: number) =>
  Float64Array.of(Math.cosh(phi), Math.sinh(phi), 0, 0, Math.sinh(phi), Math.cosh(phi), 0, 0, 0, 0, 1, 0, 0, 0, 0, 1);
const boostGen = (phi: number) => Float64Array.of(0, phi, 0, 0, phi, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
const skew3 = (k: number[], th: number) => {
  const [x, y, z] = k.map((v) => v * th) as [number, number, number];
  return Float64Array.of(0, -z, y, z, 0, -x, -y, x, 0);
};

test("expmHost matches closed forms (rotations, boosts, nilpotent) to 1e-12", () => {
  const axis = [1 / 3, 2 / 3, 2 / 3];
  for (const th of [0.1, 1.3, 3.0, 12.5]) {
    assert.ok(maxDiff(expmHost(skew3(axis, th), 3), rodrigues(axis, th)) < 1e-12, `rotation ${th}`);
  }
  for (const phi of [0.05, 1, 4]) {
    const err = maxDiff(expmHost(boostGen(phi), 4), boost(phi)) / Math.cosh(phi);
    assert.ok(err < 1e-13, `boost ${phi}: ${err}`);
  }
  const N = Float64Array.of(0, 2, 3, 0, 0, 5, 0, 0, 0); // N³ = 0: exp = I + N + N²/2
  const N2 = matmul(N, N, 3, 3, 3);
  assert.ok(
    maxDiff(
      expmHost(N, 3),
      Float64Array.from(eye(3), (v, i) => v + N[i]! + N2[i]! / 2),
    ) < 1e-14,
  );
  assert.deepEqual(Array.from(expmHost(new Float64Array(4), 2)), [1, 0, 0, 1]);
});

test("jax-js expm (cpu, float64) matches closed forms batched, and its gradient passes gradcheck", async () => {
  await withDevice("cpu", () => {
    const axis = [0, 0.6, 0.8];
    const ths = [0.3, 2.0, 7.0];
    const A = new Float64Array(ths.length * 9);
    ths.forEach((t, b) => A.set(skew3(axis, t), 9 * b));
    const R = toFloat64(expm(fromHost(A, [3, 3, 3], { dtype: "float64" })));
    ths.forEach((t, b) =>
      assert.ok(maxDiff(R.subarray(9 * b, 9 * b + 9), rodrigues(axis, t)) < 1e-12, `rotation ${t}`),
    );
    const B = toFloat64(expm(fromHost(boostGen(2.5), [4, 4], { dtype: "float64" })));
    assert.ok(maxDiff(B, boost(2.5)) / Math.cosh(2.5) < 1e-13);
  });
  const x = { data: [0.3, -0.7, 0.2, 0.5, 0.1, -0.4, 0.9, 0.2, -0.3], shape: [3, 3] };
  const w = fromHost([1, -2, 0.5, 0.3, 1.5, -1, 2, 0.7, -0.2], [3, 3], { dtype: "float64", device: "cpu" });
  const rep = await gradcheck((a: JArray) => np.sum(expm(a, { squarings: 1 }).mul(w.ref)), x, { rtol: 1e-6 });
  assert.ok(rep.ok && rep.checked === 9);
  w.dispose();
});

test("expm rejects non-square input", async () => {
  await withDevice("cpu", () => {
    assert.throws(() => expm(np.zeros([2, 3], { dtype: np.float64 })), ShapeError);
  });
  assert.throws(() => expmHost([1, 2, 3], 2), ShapeError);
});

const det = (g: Float64Array, d: number) => {
  const a = Float64Array.from(g);
  let s = 1;
  for (let c = 0; c < d; c++) {
    let p = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(a[r * d + c]!) > Math.abs(a[p * d + c]!)) p = r;
    if (a[p * d + c] === 0) return 0;
    if (p !== c) {
      s = -s;
      for (let j = 0; j < d; j++) [a[c * d + j], a[p * d + j]] = [a[p * d + j]!, a[c * d + j]!];
    }
    s *= a[c * d + c]!;
    for (let r = c + 1; r < d; r++) {
      const f = a[r * d + c]! / a[c * d + c]!;
      for (let j = c; j < d; j++) a[r * d + j]! -= f * a[c * d + j]!;
    }
  }
  return s;
};
/** ‖gᵀ M g − M‖_max: the form M preserved by g. */
const formErr = (g: Float64Array, Mf: Float64Array, d: number) =>
  maxDiff(matmul(matmul(transpose(g, d, d), Mf, d, d, d), g, d, d, d), Mf);
const J = (m: number) => {
  const j = new Float64Array(4 * m * m);
  for (let i = 0; i < m; i++) {
    j[i * 2 * m + m + i] = 1;
    j[(m + i) * 2 * m + i] = -1;
  }
  return j;
};

/** SE(n) as [[R, t], [0, 1]]: R orthogonal with det 1, last row (0, …, 0, 1). */
const seErr = (g: Float64Array, n: number) => {
  const d = n + 1;
  const R = Float64Array.from({ length: n * n }, (_, i) => g[Math.floor(i / n) * d + (i % n)]!);
  const last = g.subarray(n * d, d * d);
  return (
    formErr(R, eye(n), n) +
    Math.abs(det(R, n) - 1) +
    maxDiff(
      last,
      Float64Array.from({ length: d }, (_, i) => (i === n ? 1 : 0)),
    )
  );
};

test("every group: D, M, d as documented; sampled elements satisfy the defining equations", () => {
  const rng = hostRng(7);
  const checks: [Group, number, number, number, (g: Float64Array) => number][] = [
    [SO(3), 3, 3, 0, (g) => formErr(g, eye(3), 3) + Math.abs(det(g, 3) - 1)],
    [O(4), 4, 6, 1, (g) => formErr(g, eye(4), 4)],
    [SL(3), 3, 8, 0, (g) => Math.abs(det(g, 3) - 1)],
    [GL(2), 2, 4, 0, (g) => (det(g, 2) > 0 ? 0 : 1)],
    [Sp(2), 4, 10, 0, (g) => formErr(g, J(2), 4) / Math.max(1, Math.abs(det(g, 4)))],
    [
      SO13p(),
      4,
      6,
      0,
      (g) => formErr(g, MINKOWSKI, 4) / (1 + Math.abs(g[0]!)) + Math.abs(det(g, 4) - 1) + (g[0]! >= 1 ? 0 : 1),
    ],
    [O13(), 4, 6, 2, (g) => formErr(g, MINKOWSKI, 4) / (1 + Math.abs(g[0]!))],
    [
      SU(2),
      4,
      3,
      0,
      (g) =>
        formErr(g, eye(4), 4) + maxDiff(matmul(g, J(2), 4, 4, 4), matmul(J(2), g, 4, 4, 4)) + Math.abs(det(g, 4) - 1),
    ],
    [U(2), 4, 4, 0, (g) => formErr(g, eye(4), 4) + maxDiff(matmul(g, J(2), 4, 4, 4), matmul(J(2), g, 4, 4, 4))],
    [U(1), 2, 1, 0, (g) => formErr(g, eye(2), 2)],
    [SU(3), 6, 8, 0, (g) => formErr(g, eye(6), 6) + maxDiff(matmul(g, J(3), 6, 6, 6), matmul(J(3), g, 6, 6, 6))],
    [
      Translations(2),
      3,
      2,
      0,
      (g) => maxDiff([g[0]!, g[1]!, g[3]!, g[4]!, g[6]!, g[7]!, g[8]!], [1, 0, 0, 1, 0, 0, 1]),
    ],
    [Z(5), 5, 0, 1, (g) => formErr(g, eye(5), 5)],
    [C(6), 2, 0, 1, (g) => formErr(g, eye(2), 2)],
    [Dihedral(4), 2, 0, 2, (g) => formErr(g, eye(2), 2)],
    [
      S(4),
      4,
      0,
      2,
      (g) =>
        formErr(g, eye(4), 4) +
        maxDiff(
          g.map((v) => (Math.abs(v) < 1e-12 || Math.abs(v - 1) < 1e-12 ? 0 : 1)),
          new Float64Array(16),
        ),
    ],
    [
      directProduct(SO(2), Z(3)),
      5,
      1,
      1,
      (g) => formErr(g, eye(5), 5) + maxDiff([g[2]!, g[3]!, g[4]!, g[7]!, g[10]!, g[15]!], [0, 0, 0, 0, 0, 0]),
    ],
    [Trivial(3), 3, 0, 0, (g) => maxDiff(g, eye(3))],
    [SE(2), 3, 3, 0, (g) => seErr(g, 2)],
    [SE(3), 4, 6, 0, (g) => seErr(g, 3)],
    [
      RxSO2(),
      2,
      2,
      0,
      // s·R(θ) with s > 0: gᵀg = s²I, g₀₀ = g₁₁, g₀₁ = −g₁₀, det > 0.
      (g) =>
        maxDiff(matmul(transpose(g, 2, 2), g, 2, 2, 2), [det(g, 2), 0, 0, det(g, 2)]) +
        Math.abs(g[0]! - g[3]!) +
        Math.abs(g[1]! + g[2]!) +
        (det(g, 2) > 0 ? 0 : 1),
    ],
  ];
  for (const [G, d, D, M, err] of checks) {
    assert.equal(G.d, d, G.name);
    assert.equal(G.D, D, G.name);
    assert.equal(G.M, M, G.name);
    assert.equal(G.lieAlgebra.length, D * d * d);
    assert.equal(G.discreteGenerators.length, M * d * d);
    for (let s = 0; s < 5; s++) {
      const g = G.sample(rng);
      assert.equal(g.length, d * d);
      const e = err(g);
      assert.ok(e < 1e-10, `${G.name}: sampled element violates its defining equation by ${e}`);
    }
  }
  assert.equal(SO(3).isOrthogonal, true);
  assert.equal(O13().isOrthogonal, false);
  assert.equal(S(5).isOrthogonal, true);
  assert.equal(Lorentz().name, "O(1,3)");
});

test("finite groups enumerate all their elements", () => {
  assert.equal(Z(7).elements!().length, 7);
  assert.equal(C(6).elements!().length, 6);
  assert.equal(Dihedral(5).elements!().length, 10);
  assert.equal(S(4).elements!().length, 24);
  assert.equal(directProduct(Z(2), Z(3)).elements!().length, 6);
  assert.equal(SO(3).elements, undefined);
  assert.equal(S(5).elements!().length, 120);
});

test("customGroup validates shapes, consistency, finiteness and invertibility with clear errors", () => {
  const g = customGroup({
    name: "rot",
    lieAlgebra: [
      [
        [0, -1],
        [1, 0],
      ],
    ],
  });
  assert.equal(g.d, 2);
  assert.equal(g.D, 1);
  assert.equal(g.isOrthogonal, true);
  assert.throws(
    () =>
      customGroup({
        discreteGenerators: [
          eye(3),
          [
            [1, 0],
            [0, 1],
            [0, 0],
          ],
        ] as number[][][],
      }),
    (e: unknown) =>
      e instanceof ShapeError && /discrete generator 1 has shape \[3, 2\], expected \[3, 3\]/.test(e.message),
  );
  assert.throws(
    () =>
      customGroup({
        lieAlgebra: [
          [
            [0, 1],
            [1, 0],
          ],
        ],
        discreteGenerators: [eye(3)],
      }),
    /discrete generator 0 has shape \[3, 3\], expected \[2, 2\]/,
  );
  assert.throws(
    () =>
      customGroup({
        lieAlgebra: [
          [
            [0, NaN],
            [1, 0],
          ],
        ],
      }),
    (e: unknown) => e instanceof NoetherError && /non-finite entry NaN at \[0, 1\]/.test(e.message),
  );
  assert.throws(
    () =>
      customGroup({
        discreteGenerators: [
          [
            [1, 2],
            [2, 4],
          ],
        ],
      }),
    /discrete generator 0 is not invertible/,
  );
  assert.throws(
    () =>
      customGroup({
        lieAlgebra: [
          [
            [0, 1],
            [1, 0, 3],
          ],
        ] as number[][][],
      }),
    /ragged/,
  );
  assert.throws(() => customGroup({ name: "empty" }), /dimension d must be given/);
  assert.throws(() => customGroup({ lieAlgebra: new Float64Array(7), d: 2 }), /not a multiple of d·d = 4/);
  // Same name, different generators: different cache keys.
  const a = customGroup({
    name: "G",
    lieAlgebra: [
      [
        [0, 1],
        [0, 0],
      ],
    ],
  });
  const b = customGroup({
    name: "G",
    lieAlgebra: [
      [
        [0, 2],
        [0, 0],
      ],
    ],
  });
  assert.notEqual(a.key, b.key);
  assert.equal(SO(3).key, SO(3).key);
});
