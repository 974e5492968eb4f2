import { test } from "node:test";
import assert from "node:assert/strict";
import { jacfwd, numpy as np, tree, type Array as JArray } from "../src/jax.js";
import { initEngine, withDevice } from "../src/core/engine.js";
import { castTree, fromHost, toFloat64 } from "../src/core/host.js";
import { hostNormal, hostRng, makeKey } from "../src/core/rng.js";
import { MLP, type MLPParams } from "../src/nn/layers.js";
import { hamiltonianField, hamiltonianFieldMLP, lagrangianField, lagrangianFieldMLP } from "../src/physics/fields.js";
import { gradcheck } from "../src/testing/gradcheck.js";

await initEngine();

const f64 = (data: ArrayLike<number>, shape: number[]) => fromHost(data, shape, { dtype: "float64", device: "cpu" });
const close = (a: Float64Array, b: Float64Array, tol: number, what: string) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++)
    assert.ok(Math.abs(a[i]! - b[i]!) <= tol * (1 + Math.abs(b[i]!)), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
};
function mlp64(sizes: number[], act: "tanh" | "softplus", seed: number) {
  const net = MLP(sizes, { activation: act });
  return { net, p: castTree(net.init(makeKey(seed)), { dtype: "float64", device: "cpu" }) as MLPParams };
}

test("Hamiltonian field of H = q² + p² is (2p, −2q)", async () => {
  await withDevice("cpu", () => {
    const field = hamiltonianField((_: JArray[], x: JArray) => np.sum(np.square(x), 1));
    const xs = [0.3, -1.2, 2, 0.5];
    const out = toFloat64(field([], f64(xs, [2, 2])));
    close(out, Float64Array.from([2 * -1.2, -2 * 0.3, 2 * 0.5, -2 * 2]), 1e-14, "field");
  });
});

test("HNN: closed-form MLP route = nested autodiff route (float64)", async () => {
  await withDevice("cpu", () => {
    const { net, p } = mlp64([4, 9, 9, 1], "tanh", 1);
    const x = hostNormal(5 * 4, hostRng(1));
    const a = toFloat64(
      hamiltonianField<MLPParams>((pp, xx) => net.apply(pp, xx).reshape([-1]))(tree.ref(p), f64(x, [5, 4])),
    );
    const b = toFloat64(hamiltonianFieldMLP("tanh")(tree.ref(p), f64(x, [5, 4])));
    close(b, a, 1e-12, "hnn field");
    tree.dispose(p);
  });
});

test("HNN field is divergence-free (symplectic) by construction", async () => {
  await withDevice("cpu", () => {
    const { p } = mlp64([2, 16, 16, 1], "tanh", 2);
    const field = hamiltonianFieldMLP("tanh");
    const pts = hostNormal(6 * 2, hostRng(2));
    for (let b = 0; b < 6; b++) {
      const J = toFloat64(
        jacfwd((v: JArray) => field(tree.ref(p), v.reshape([1, 2])).reshape([2]))(
          f64(pts.subarray(2 * b, 2 * b + 2), [2]),
        ),
      );
      const div = J[0]! + J[3]!;
      assert.ok(Math.abs(div) < 1e-12 * (1 + Math.abs(J[0]!)), `divergence ${div}`);
    }
    // A plain MLP field is not divergence-free: the check has power.
    const plain = MLP([2, 16, 2], { activation: "tanh" });
    const pp = castTree(plain.init(makeKey(3)), { dtype: "float64", device: "cpu" }) as MLPParams;
    const J = toFloat64(
      jacfwd((v: JArray) => plain.apply(tree.ref(pp), v.reshape([1, 2])).reshape([2]))(f64([0.3, 0.4], [2])),
    );
    assert.ok(Math.abs(J[0]! + J[3]!) > 1e-3);
    tree.dispose([p, pp]);
  });
});

test("Lagrangian field of L = ½q̇ᵀMq̇ − ½qᵀKq gives q̈ = −M⁻¹Kq", async () => {
  await withDevice("cpu", () => {
    // n = 2, M = [[2, 0.5], [0.5, 1]], K = [[3, 1], [1, 2]]
    const Mh = [2, 0.5, 0.5, 1],
      Kh = [3, 1, 1, 2];
    const L = (_: JArray[], x: JArray) => {
      const q = x.ref.slice([], [0, 2]);
      const v = x.slice([], [2, 4]);
      const kin = np.sum(np.matmul(v.ref, f64(Mh, [2, 2])).mul(v), 1).mul(0.5);
      const pot = np.sum(np.matmul(q.ref, f64(Kh, [2, 2])).mul(q), 1).mul(0.5);
      return kin.sub(pot);
    };
    const xs = [0.4, -0.7, 1.1, 0.2, -0.3, 0.9, 0.5, -1];
    const out = toFloat64(lagrangianField(L)([], f64(xs, [2, 4])));
    for (let b = 0; b < 2; b++) {
      const q = [xs[4 * b]!, xs[4 * b + 1]!];
      const kq = [Kh[0]! * q[0]! + Kh[1]! * q[1]!, Kh[2]! * q[0]! + Kh[3]! * q[1]!];
      const det = Mh[0]! * Mh[3]! - Mh[1]! * Mh[2]!;
      const qdd = [-(Mh[3]! * kq[0]! - Mh[1]! * kq[1]!) / det, -(-Mh[2]! * kq[0]! + Mh[0]! * kq[1]!) / det];
      close(
        out.subarray(4 * b, 4 * b + 4),
        Float64Array.from([xs[4 * b + 2]!, xs[4 * b + 3]!, qdd[0]!, qdd[1]!]),
        1e-13,
        "lnn",
      );
    }
  });
});

test("LNN: closed-form MLP route = nested autodiff route (float64, n = 2)", async () => {
  await withDevice("cpu", () => {
    const { net, p } = mlp64([4, 12, 12, 1], "softplus", 4);
    const x = hostNormal(6 * 4, hostRng(4));
    const a = toFloat64(
      lagrangianField<MLPParams>((pp, xx) => net.apply(pp, xx).reshape([-1]))(tree.ref(p), f64(x, [6, 4])),
    );
    const b = toFloat64(lagrangianFieldMLP("softplus")(tree.ref(p), f64(x, [6, 4])));
    close(b, a, 1e-10, "lnn field");
    tree.dispose(p);
  });
});

test("LNN inputScale: closed-form route on MLP(x ⊙ s) = nested autodiff of MLP(x ⊙ s) (float64)", async () => {
  await withDevice("cpu", () => {
    const { net, p } = mlp64([4, 12, 12, 1], "softplus", 6);
    const s = [1, 0.5, 0.1, 0.2];
    const x = hostNormal(6 * 4, hostRng(6)).map((v, i) => (i % 4 < 2 ? v : 10 * v));
    const scaled = (pp: MLPParams, xx: JArray) => net.apply(pp, xx.mul(f64(s, [1, 4]))).reshape([-1]);
    const a = toFloat64(lagrangianField<MLPParams>(scaled)(tree.ref(p), f64(x, [6, 4])));
    const b = toFloat64(lagrangianFieldMLP("softplus", { inputScale: s })(tree.ref(p), f64(x, [6, 4])));
    close(b, a, 1e-10, "scaled lnn field");
    // and it differs from the unscaled field (the option is not ignored)
    const c = toFloat64(lagrangianFieldMLP("softplus")(tree.ref(p), f64(x, [6, 4])));
    assert.ok(c.some((v, i) => Math.abs(v - a[i]!) > 1e-3));
    assert.throws(() => lagrangianFieldMLP("softplus", { inputScale: [1, 0, 1, 1] }), /inputScale/);
    assert.throws(
      () => lagrangianFieldMLP("softplus", { inputScale: [1, 1] })(tree.ref(p), f64(x, [6, 4])),
      /inputScale/,
    );
    tree.dispose(p);
  });
});

test("gradcheck of the LNN training loss (second-order: parameters through q̈)", async () => {
  const { p } = await withDevice("cpu", () => mlp64([2, 6, 1], "softplus", 5));
  const host = tree.map((a: JArray) => ({ shape: a.shape, data: toFloat64(a) }), p) as never;
  const xh = hostNormal(4 * 2, hostRng(5));
  const field = lagrangianFieldMLP("softplus");
  const rep = await gradcheck((pp: MLPParams) => np.sum(np.square(field(pp, f64(xh, [4, 2])))), host, {
    maxEntries: 25,
  });
  assert.ok(rep.ok && rep.checked === 25);
  const hfield = hamiltonianFieldMLP("softplus");
  await gradcheck((pp: MLPParams) => np.sum(np.square(hfield(pp, f64(xh, [4, 2])))), host, { maxEntries: 25 });
});

test("field builders reject odd state widths", () => {
  assert.throws(
    () => hamiltonianFieldMLP("tanh")({ layers: [] }, np.ones([2, 3])),
    /expected states of shape \[B, 2n\].*got \[2, 3\]/,
  );
});
