import { test } from "node:test";
import assert from "node:assert/strict";
import { grad, hessian, numpy as np, tree, type Array as JArray } from "../src/jax.js";
import { initEngine, withDevice } from "../src/core/engine.js";
import { castTree, fromHost, toFloat64 } from "../src/core/host.js";
import { hostNormal, hostRng, makeKey } from "../src/core/rng.js";
import { mlpInputDerivs } from "../src/nn/input-derivs.js";
import { MLP, type MLPParams } from "../src/nn/layers.js";
import type { ActivationName } from "../src/nn/activations.js";

await initEngine();

const B = 3;
const D = 4;

for (const act of ["tanh", "softplus", "silu"] as ActivationName[]) {
  for (const sizes of [
    [D, 7, 1],
    [D, 6, 5, 1],
    [D, 5, 4, 3, 1],
  ]) {
    test(`closed-form input gradient and Hessian rows = autodiff (${act}, ${sizes.join("→")}), float64 on cpu`, async () => {
      await withDevice("cpu", () => {
        const net = MLP(sizes, { activation: act });
        const p = castTree(net.init(makeKey(sizes.length)), { dtype: "float64", device: "cpu" }) as MLPParams;
        const xh = hostNormal(B * D, hostRng(7));
        const x = () => fromHost(xh, [B, D], { dtype: "float64", device: "cpu" });
        const cols = [2, 0];
        const r = mlpInputDerivs(tree.ref(p), x(), act, cols);
        const value = toFloat64(r.value);
        const g = toFloat64(r.grad);
        const hr = toFloat64(r.hessRows!);
        const fv = toFloat64(net.apply(tree.ref(p), x()));
        const ga = toFloat64(grad((xs: JArray) => np.sum(net.apply(tree.ref(p), xs)))(x()));
        for (let i = 0; i < B; i++) assert.ok(Math.abs(value[i]! - fv[i]!) < 1e-13);
        for (let i = 0; i < B * D; i++) assert.ok(Math.abs(g[i]! - ga[i]!) < 1e-12, `grad ${i}: ${g[i]} vs ${ga[i]}`);
        for (let b = 0; b < B; b++) {
          const xb = fromHost(xh.subarray(b * D, (b + 1) * D), [D], { dtype: "float64", device: "cpu" });
          const H = toFloat64(hessian((v: JArray) => net.apply(tree.ref(p), v.reshape([1, D])).reshape([]))(xb));
          cols.forEach((c, k) => {
            for (let j = 0; j < D; j++) {
              const got = hr[(b * cols.length + k) * D + j]!;
              assert.ok(Math.abs(got - H[c * D + j]!) < 1e-11, `H[${b}][${c},${j}]: ${got} vs ${H[c * D + j]}`);
            }
          });
        }
        tree.dispose(p);
      });
    });
  }
}

test("input derivatives reject unsupported activations and non-scalar outputs", () => {
  const net = MLP([2, 3, 1], { activation: "relu" });
  const p = net.init(makeKey(0));
  assert.throws(
    () => mlpInputDerivs(tree.ref(p), np.ones([2, 2]), "relu", [0]),
    /support activations tanh, softplus, silu, identity; got "relu"/,
  );
  const wide = MLP([2, 3, 2]).init(makeKey(1));
  assert.throws(() => mlpInputDerivs(wide, np.ones([2, 2]), "tanh"), /scalar-output MLP, got output width 2/);
  tree.dispose(p);
});
