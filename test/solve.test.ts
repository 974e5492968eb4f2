import { test } from "node:test";
import assert from "node:assert/strict";
import { numpy as np, type Array as JArray } from "../src/jax.js";
import { initEngine } from "../src/core/engine.js";
import { NoetherError, ShapeError } from "../src/core/errors.js";
import { fromHost } from "../src/core/host.js";
import { hostNormal, hostRng } from "../src/core/rng.js";
import {
  C,
  Dihedral,
  directProduct,
  GL,
  O,
  O13,
  S,
  SL,
  SO,
  SO13p,
  Sp,
  SU,
  Translations,
  Z,
} from "../src/groups/index.js";
import { matmul, transpose } from "../src/core/matrix.js";
import { GROUPS } from "./support.js";
import { Scalar, T, V, trivial, type Rep } from "../src/reps/index.js";
import {
  clearSolveCache,
  equivariantBasis,
  equivariantProjector,
  invariantSubspace,
  solveCacheStats,
} from "../src/solve/index.js";
import { assertEquivariant } from "../src/testing/equivariance.js";

await initEngine();

const maxAbs = (a: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
};

test("dimensions of equivariant spaces match known counts (EMLP / invariant theory)", () => {
  const hom = (a: Rep, b: Rep) => equivariantBasis(a, b).rank;
  const inv = (r: Rep) => invariantSubspace(r).rank;
  assert.equal(hom(V(SO(2)), V(SO(2))), 2); // a·I + b·J
  assert.equal(hom(V(SO(3)), V(SO(3))), 1); // identity only
  assert.equal(hom(V(O(3)), V(O(3))), 1);
  assert.equal(inv(T(3, 0, SO(3))), 1); // ε
  assert.equal(inv(T(3, 0, O(3))), 0); // ε is a pseudo-tensor
  assert.equal(inv(T(4, 0, SO(3))), 3); // δδ pairings
  assert.equal(inv(T(4, 0, O(5))), 3);
  assert.equal(inv(T(1, 1, SO13p())), 1);
  assert.equal(inv(T(0, 4, SO13p())), 4); // 3 η-pairings + ε
  assert.equal(inv(T(0, 4, O13())), 3);
  assert.equal(inv(T(2, 0, Sp(2))), 1); // J
  assert.equal(inv(T(3, 0, SL(3))), 1); // ε
  assert.equal(inv(T(1, 1, GL(3))), 1);
  assert.equal(inv(T(2, 0, SU(2))), 4); // ℍ acting on ℍ: commutant ℍ
  assert.equal(hom(V(S(4)), V(S(4))), 2); // a·I + b·11ᵀ
  assert.equal(hom(V(S(4)).tensor(V(S(4))), V(S(4))), 5); // Maron et al.: bell(3)
  assert.equal(hom(V(Z(5)), V(Z(5))), 5); // circulants
  assert.equal(hom(V(Dihedral(4)), V(Dihedral(4))), 1);
  assert.equal(hom(V(C(4)), V(C(4))), 2);
  assert.equal(hom(V(Translations(2)), V(Translations(2))), 3);
  assert.equal(hom(V(directProduct(SO(3), SO(2))), V(directProduct(SO(3), SO(2)))), 3); // 1 + 2
  // Sums split into blocks: Hom(2V ⊕ 3, V ⊕ 1) under SO(3) = 2·1 + 3·1.
  assert.equal(
    hom(
      V(SO(3))
        .times(2)
        .sum(trivial(SO(3), 3)),
      V(SO(3)).sum(Scalar(SO(3))),
    ),
    5,
  );
});

/** Equivariance of random basis maps: max over g of ‖Wρ_in(g) − ρ_out(g)W‖ / (‖W‖‖ρ_in(g)‖‖ρ_out(g)‖). */
function equivError(repIn: Rep, repOut: Rep, gs: Float64Array[], seed: number): number {
  const B = equivariantBasis(repIn, repOut);
  const W = B.expand(hostNormal(B.rank, hostRng(seed)));
  const [no, ni] = B.shape;
  let worst = 0;
  for (const g of gs) {
    const ri = repIn.rho(g);
    const ro = repOut.rho(g);
    const lhs = matmul(W, ri, no, ni, ni);
    const rhs = matmul(ro, W, no, no, ni);
    const err =
      maxAbs(lhs.map((v, i) => v - rhs[i]!)) / (maxAbs(W) * Math.max(1, maxAbs(ri)) * Math.max(1, maxAbs(ro)));
    worst = Math.max(worst, err);
  }
  return worst;
}

test("basis maps are exactly equivariant (≤ 1e-10) for every group", () => {
  const rng = hostRng(21);
  for (const G of GROUPS) {
    const v = V(G);
    const repIn = v.sum(Scalar(G), v.dual());
    const repOut = v.tensor(v.dual()).sum(Scalar(G));
    const gs = G.elements ? G.elements() : Array.from({ length: 6 }, () => G.sample(rng));
    const err = equivError(repIn, repOut, gs, 1);
    assert.ok(err < 1e-10, `${G.name}: equivariance error ${err}`);
  }
});

test("the iterative solver agrees with the dense one (same projector)", () => {
  for (const R of [T(4, 0, SO(3)), T(2, 2, O13())]) {
    clearSolveCache();
    const dense = invariantSubspace(R, { method: "dense" });
    clearSolveCache();
    const iter = invariantSubspace(R, { method: "iterative" });
    assert.equal(iter.method, "iterative");
    assert.equal(iter.rank, dense.rank, R.key);
    // Compare projectors through their action on random vectors: ‖Q₁Q₁ᵀx − Q₂Q₂ᵀx‖.
    const n = R.size;
    const r = dense.rank;
    const x = hostNormal(n, hostRng(2));
    const proj = (Q: Float64Array) => matmul(Q, matmul(transpose(Q, n, r), x, r, n, 1), n, r, 1);
    const diff = maxAbs(proj(dense.basis).map((v, i) => v - proj(iter.basis)[i]!));
    assert.ok(diff < 1e-9, `${R.key}: projectors differ by ${diff}`);
    assert.ok(iter.residual < 1e-10 && dense.residual < 1e-12, `residuals ${iter.residual} ${dense.residual}`);
  }
  clearSolveCache();
});

test("empty nullspace says 'no equivariant map from A to B'", () => {
  const G = SO(3);
  assert.throws(
    () => equivariantBasis(V(G), Scalar(G)),
    (e: unknown) => e instanceof NoetherError && /no equivariant map from V to 1 under SO\(3\)/.test(e.message),
  );
  assert.throws(() => equivariantBasis(T(3, 0, O(3)), Scalar(O(3))), /no equivariant map from \(V⊗V⊗V\) to 1/);
  assert.throws(() => equivariantBasis(V(SO(3)), V(O(3))), /repIn is a representation of SO\(3\) but repOut of O\(3\)/);
  assert.throws(() => equivariantBasis(V(SO(3)), V(SO(3))).expand([1, 2]), ShapeError);
});

test("results are cached by representation keys", () => {
  clearSolveCache();
  const G = O(5);
  const a = equivariantBasis(V(G).times(2), Scalar(G).sum(V(G)));
  const s1 = solveCacheStats();
  const b = equivariantBasis(V(G).times(2), Scalar(G).sum(V(G)));
  assert.equal(a, b, "same basis object for the same keys");
  // A different sum of the same types reuses every type-pair solve.
  equivariantBasis(V(G).times(3), V(G).sum(Scalar(G), V(G)));
  const s2 = solveCacheStats();
  assert.equal(s2.misses, s1.misses, "no new solves");
  assert.ok(s2.hits > s1.hits);
  // Equal keys from freshly built groups hit too.
  equivariantBasis(V(O(5)).times(2), Scalar(O(5)).sum(V(O(5))));
  assert.equal(solveCacheStats().misses, s1.misses);
});

test("projector: idempotent, fixes equivariant maps, dense form symmetric", () => {
  const G = SO13p();
  const v = V(G);
  const P = equivariantProjector(v.sum(Scalar(G)), v.tensor(v.dual()));
  const N = P.basis.shape[0] * P.basis.shape[1];
  const w = hostNormal(N, hostRng(4));
  const pw = P.apply(w);
  const ppw = P.apply(pw);
  assert.ok(maxAbs(pw.map((x, i) => x - ppw[i]!)) < 1e-12);
  const Pd = P.dense();
  for (let i = 0; i < N; i++) for (let j = 0; j < i; j++) assert.ok(Math.abs(Pd[i * N + j]! - Pd[j * N + i]!) < 1e-14);
  const B = P.basis;
  const W = B.expand(hostNormal(B.rank, hostRng(5)));
  assert.ok(maxAbs(P.apply(W).map((x, i) => x - W[i]!)) < 1e-12);
  const Q = B.toDense();
  assert.equal(Q.length, N * B.rank);
});

test("a basis map passes the shared harness (Group is a HarnessGroup); a random map fails", async () => {
  const G = O13();
  const v = V(G);
  const repIn = v.times(2);
  const repOut = v.sum(Scalar(G));
  const B = equivariantBasis(repIn, repOut);
  const [no, ni] = B.shape;
  const act = (rep: Rep) => (g: Float64Array, x: JArray) => {
    const n = rep.size;
    return np.matmul(x, fromHost(transpose(rep.rho(g), n, n), [n, n], { dtype: "float64", device: "cpu" }));
  };
  const linear = (W: Float64Array) => (x: JArray) =>
    np.matmul(x, fromHost(transpose(W, no, ni), [ni, no], { dtype: "float64", device: "cpu" }));
  const input = ({ dtype }: { dtype: "float32" | "float64" }) =>
    fromHost(hostNormal(5 * ni, hostRng(9)), [5, ni], { dtype, device: "cpu" });
  const rep = await assertEquivariant(linear(B.expand(hostNormal(B.rank, hostRng(3)))), {
    group: G,
    actIn: act(repIn),
    actOut: act(repOut),
    input,
    samples: 8,
  });
  assert.ok(rep.maxError < 1e-10, `${rep.maxError}`);
  await assert.rejects(
    assertEquivariant(linear(hostNormal(no * ni, hostRng(3))), {
      group: G,
      actIn: act(repIn),
      actOut: act(repOut),
      input,
      samples: 8,
    }),
    /not equivariant under O\(1,3\)/,
  );
});

test("factor order is canonicalised: Hom(V*⊗V, V) reuses the solve of V⊗V⊗V* and stays equivariant", () => {
  clearSolveCache();
  const G = SO13p();
  const v = V(G);
  invariantSubspace(T(2, 1, G));
  const before = solveCacheStats();
  const R = v.dual().tensor(v, v); // V*⊗V⊗V
  const sol = invariantSubspace(R);
  assert.equal(solveCacheStats().misses, before.misses + 1, "only the permuted entry is new");
  assert.equal(sol.rank, 0);
  const err = equivError(
    v.tensor(v.dual()),
    v.dual().tensor(v),
    Array.from({ length: 4 }, (_, i) => G.sample(hostRng(i))),
    2,
  );
  assert.ok(err < 1e-10, `${err}`);
  assert.equal(equivariantBasis(v.tensor(v.dual()), v.dual().tensor(v)).rank, 4); // 3 pairings (δ, δ-swap, η⊗η⁻¹) + ε
});
