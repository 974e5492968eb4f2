import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError } from "../src/core/errors.js";
import { expmHost } from "../src/core/expm.js";
import { hostNormal, hostRng } from "../src/core/rng.js";
import { O, O13, SL, SO, SO13p, type Group } from "../src/groups/index.js";
import { inverse, kron, matmul, transpose } from "../src/core/matrix.js";
import { GROUPS } from "./support.js";
import { Scalar, T, trivial, V, customRep, type Rep } from "../src/reps/index.js";

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};
const maxAbs = (a: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
};

const groups = GROUPS;

/** A composite rep exercising sum, tensor, dual and trivial parts (size d + d² + 1 + d²). */
const composite = (G: Group): Rep => V(G).sum(V(G).tensor(V(G).dual()), Scalar(G), T(0, 2, G));

test("ρ is a homomorphism: ρ(gh) = ρ(g)ρ(h), ρ(g⁻¹) = ρ(g)⁻¹, for every group on a composite rep", () => {
  const rng = hostRng(3);
  for (const G of groups) {
    const R = composite(G);
    const n = R.size;
    assert.equal(n, 2 * G.d * G.d + G.d + 1);
    for (let s = 0; s < 3; s++) {
      const g = G.sample(rng);
      const h = G.sample(rng);
      const lhs = R.rho(matmul(g, h, G.d, G.d, G.d));
      const rhs = matmul(R.rho(g), R.rho(h), n, n, n);
      const scale = Math.max(1, maxAbs(rhs));
      assert.ok(maxDiff(lhs, rhs) / scale < 1e-11, `${G.name}: ρ(gh) vs ρ(g)ρ(h): ${maxDiff(lhs, rhs) / scale}`);
      const inv = R.rho(inverse(g, G.d));
      const prod = matmul(inv, R.rho(g), n, n, n);
      const I = new Float64Array(n * n);
      for (let i = 0; i < n; i++) I[i * n + i] = 1;
      assert.ok(maxDiff(prod, I) / scale < 1e-10, `${G.name}: ρ(g⁻¹)ρ(g) ≠ I`);
    }
  }
});

test("dρ is consistent with expm: ρ(exp(tA)) = exp(t dρ(A)), and dρ preserves brackets", () => {
  const rng = hostRng(5);
  for (const G of groups.filter((g) => g.D > 0)) {
    const R = composite(G);
    const n = R.size;
    const d = G.d;
    const z = hostNormal(G.D, rng);
    const A = new Float64Array(d * d);
    for (let k = 0; k < G.D; k++) for (let i = 0; i < d * d; i++) A[i]! += 0.4 * z[k]! * G.lieAlgebra[k * d * d + i]!;
    const lhs = R.rho(expmHost(A, d));
    const rhs = expmHost(R.drho(A), n);
    assert.ok(maxDiff(lhs, rhs) / Math.max(1, maxAbs(lhs)) < 1e-11, `${G.name}: ${maxDiff(lhs, rhs)}`);
    if (G.D >= 2) {
      const A0 = G.lieGenerator(0);
      const A1 = G.lieGenerator(1);
      const br = (x: Float64Array, y: Float64Array, m: number) =>
        matmul(x, y, m, m, m).map((v, i) => v - matmul(y, x, m, m, m)[i]!);
      const lhsB = R.drho(br(A0, A1, d));
      const rhsB = br(R.drho(A0), R.drho(A1), n);
      assert.ok(maxDiff(lhsB, rhsB) < 1e-12, `${G.name}: dρ([A,B]) ≠ [dρA, dρB]`);
    }
  }
});

test("dual, sum and tensor identities", () => {
  const rng = hostRng(11);
  for (const G of [SO13p(), SL(3), SO(3)]) {
    const d = G.d;
    const g = G.sample(rng);
    const v = V(G);
    // V*: ρ*(g) = ρ(g)⁻ᵀ, dρ*(A) = −Aᵀ; V** = V.
    assert.ok(maxDiff(v.dual().rho(g), transpose(inverse(g, d), d, d)) < 1e-10);
    const A = G.lieGenerator(0);
    assert.ok(
      maxDiff(
        v.dual().drho(A),
        transpose(A, d, d).map((x) => -x),
      ) === 0,
    );
    assert.equal(v.dual().dual().key, v.key);
    assert.equal(v.dual().key === v.key, G.isOrthogonal, "V* is V exactly for orthogonal groups");
    // Tensor = Kronecker product, sum = block diagonal, dims multiply/add.
    const W = v.tensor(v.dual());
    assert.equal(W.size, d * d);
    assert.ok(maxDiff(W.rho(g), kron(v.rho(g), d, v.dual().rho(g), d)) < 1e-12);
    const P = v.sum(Scalar(G));
    const Pg = P.rho(g);
    assert.equal(P.size, d + 1);
    assert.equal(Pg[(d + 1) * (d + 1) - 1], 1);
    assert.equal(Pg[d], 0);
    // (A⊗B)* = A*⊗B*, (A⊕B)* = A*⊕B*, pow and T agree.
    assert.equal(W.dual().key, v.dual().tensor(v).key);
    assert.equal(P.dual().key, v.dual().sum(Scalar(G)).key);
    assert.equal(v.pow(3).key, T(3, 0, G).key);
    assert.equal(v.pow(0).key, Scalar(G).key);
    assert.equal(T(1, 2, G).size, d ** 3);
    assert.equal(T(0, 0, G).size, 1);
    // Scalars drop out of tensor products; nested sums flatten.
    assert.equal(v.tensor(Scalar(G)).key, v.key);
    assert.equal(v.sum(v.sum(v)).key, v.times(3).key);
    assert.equal(trivial(G, 3).size, 3);
    assert.equal(trivial(G, 3).dual().key, trivial(G, 3).key);
  }
});

test("keys are canonical: equal structure and group ↔ equal key", () => {
  assert.equal(T(2, 1, SO13p()).key, T(2, 1, SO13p()).key);
  assert.notEqual(T(2, 1, SO13p()).key, T(1, 2, SO13p()).key);
  assert.notEqual(V(SO(3)).key, V(O(3)).key);
  assert.equal(V(SO(3)).times(2).structure, "(2V)");
  assert.equal(String(V(O13()).tensor(V(O13()).dual())), "(V⊗V*)");
});

test("bad input: mixing groups, bad powers, custom reps without drho on a Lie group", () => {
  assert.throws(
    () => V(SO(3)).sum(V(O(3))),
    (e: unknown) => e instanceof ConfigError && /different groups \(SO\(3\) and O\(3\)\)/.test(e.message),
  );
  assert.throws(() => V(SO(3)).pow(-1), ConfigError);
  assert.throws(() => customRep(SO(2), { name: "x", size: 2, rho: (g) => g }), /drho must be given/);
  // A custom rep: the sign (determinant) representation of O(2).
  const G = O(2);
  const sign = customRep(G, {
    name: "det",
    size: 1,
    rho: (g) => Float64Array.of(g[0]! * g[3]! - g[1]! * g[2]!),
    drho: () => Float64Array.of(0),
  });
  const g = G.sample(hostRng(1));
  assert.ok(Math.abs(Math.abs(sign.rho(g)[0]!) - 1) < 1e-12);
});
