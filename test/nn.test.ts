import { test } from "node:test";
import assert from "node:assert/strict";
import { numpy as np, tree, type Array as JArray } from "../src/jax.js";
import { initEngine, setFloatDtype } from "../src/core/engine.js";
import { ShapeError } from "../src/core/errors.js";
import { fromHost, toFloat64 } from "../src/core/host.js";
import { makeKey } from "../src/core/rng.js";
import { ACTIVATIONS, activation } from "../src/nn/activations.js";
import { initWeight } from "../src/nn/init.js";
import { Linear, MLP } from "../src/nn/layers.js";

await initEngine();

function stats(a: Float64Array) {
  let mn = Infinity,
    mx = -Infinity,
    s = 0,
    s2 = 0;
  for (const v of a) {
    mn = Math.min(mn, v);
    mx = Math.max(mx, v);
    s += v;
    s2 += v * v;
  }
  const mean = s / a.length;
  return { mn, mx, mean, var: s2 / a.length - mean * mean };
}

test("torch init: W and b uniform in ±1/√fanIn with the uniform variance", () => {
  const lin = Linear(100, 300);
  const p = lin.init(makeKey(0));
  const w = stats(toFloat64(p.w));
  const b = stats(toFloat64(p.b));
  const bound = 1 / Math.sqrt(100);
  assert.ok(w.mn >= -bound && w.mx <= bound && w.mx > 0.95 * bound && w.mn < -0.95 * bound);
  assert.ok(Math.abs(w.var - bound ** 2 / 3) < (0.05 * bound ** 2) / 3, `var ${w.var}`);
  assert.ok(b.mn >= -bound && b.mx <= bound);
});

test("glorot init bound √(6/(fanIn+fanOut)) and zero bias", () => {
  const p = Linear(50, 150, { init: "glorot" }).init(makeKey(1));
  const w = stats(toFloat64(p.w));
  const bound = Math.sqrt(6 / 200);
  assert.ok(w.mn >= -bound && w.mx <= bound && w.mx > 0.9 * bound);
  assert.ok(Math.abs(w.var - bound ** 2 / 3) < (0.06 * bound ** 2) / 3);
  assert.deepEqual([...toFloat64(p.b)], new Array(150).fill(0));
});

test("orthogonal init: W Wᵀ = I (wide) and Wᵀ W = I (tall), with gain", () => {
  for (const [i, o] of [
    [4, 9],
    [9, 4],
    [6, 6],
  ] as const) {
    const w = initWeight(makeKey(i * 10 + o), i, o, "orthogonal", { gain: 2 });
    const small = Math.min(i, o);
    const g = i <= o ? np.matmul(w.ref, w.transpose()) : np.matmul(w.ref.transpose(), w);
    const m = toFloat64(g);
    for (let r = 0; r < small; r++)
      for (let c = 0; c < small; c++) {
        assert.ok(
          Math.abs(m[r * small + c]! - (r === c ? 4 : 0)) < 1e-5,
          `${i}x${o} entry ${r},${c} = ${m[r * small + c]}`,
        );
      }
  }
});

test("activations match their formulas", () => {
  const xs = [-3, -1, -0.1, 0, 0.5, 2];
  const erf = (z: number) => {
    // Abramowitz–Stegun 7.1.26 is too coarse; use a series for |z| ≤ 3
    let sum = z,
      term = z;
    for (let n = 1; n < 60; n++) {
      term *= (-z * z) / n;
      sum += term / (2 * n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  };
  const ref: Record<string, (x: number) => number> = {
    tanh: Math.tanh,
    softplus: (x) => Math.log1p(Math.exp(x)),
    relu: (x) => Math.max(0, x),
    silu: (x) => x / (1 + Math.exp(-x)),
    gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
    identity: (x) => x,
  };
  for (const name of Object.keys(ACTIVATIONS) as (keyof typeof ACTIVATIONS)[]) {
    const y = toFloat64(activation(name)(fromHost(xs, [xs.length], { dtype: "float32" })));
    xs.forEach((x, i) =>
      assert.ok(Math.abs(y[i]! - ref[name]!(x)) < 2e-5, `${name}(${x}) = ${y[i]} vs ${ref[name]!(x)}`),
    );
  }
  assert.throws(() => activation("swish" as never), /unknown activation "swish"; expected one of tanh/);
});

test("MLP applies layer by layer and handles extra leading axes", () => {
  const net = MLP([3, 4, 2], { activation: "relu" });
  const p = net.init(makeKey(3));
  const x = fromHost([1, 2, 3, -1, 0, 1], [2, 3], { dtype: "float32" });
  const y = toFloat64(net.apply(tree.ref(p), x.ref));
  // by hand on the host
  const w1 = toFloat64(p.layers[0]!.w.ref),
    b1 = toFloat64(p.layers[0]!.b.ref);
  const w2 = toFloat64(p.layers[1]!.w.ref),
    b2 = toFloat64(p.layers[1]!.b.ref);
  const xh = toFloat64(x.ref);
  for (let n = 0; n < 2; n++) {
    const h = [0, 1, 2, 3].map((j) =>
      Math.max(0, b1[j]! + [0, 1, 2].reduce((s, k) => s + xh[n * 3 + k]! * w1[k * 4 + j]!, 0)),
    );
    for (let o = 0; o < 2; o++) {
      const want = b2[o]! + h.reduce((s, hj, j) => s + hj * w2[j * 2 + o]!, 0);
      assert.ok(Math.abs(y[n * 2 + o]! - want) < 1e-5);
    }
  }
  const y3 = net.apply(tree.ref(p), x.reshape([1, 2, 3]));
  assert.deepEqual(y3.shape, [1, 2, 2]);
  y3.dispose();
  tree.dispose(p);
});

test("shape errors name what was expected and what was given", () => {
  const net = MLP([3, 4, 2]);
  const p = net.init(makeKey(0));
  assert.throws(
    () => net.apply(tree.ref(p), np.ones([5, 2])),
    (e: unknown) => e instanceof ShapeError && /expected input of shape \[\.\.\., 3\], got \[5, 2\]/.test(e.message),
  );
  assert.throws(() => MLP([3]), /at least \[in, out\]/);
  assert.throws(() => Linear(0, 2), /positive integers/);
  tree.dispose(p);
});

test("float64 on request", () => {
  setFloatDtype("float64");
  try {
    const p = MLP([2, 3, 1]).init(makeKey(0));
    assert.equal((p.layers[0]!.w as JArray).dtype, "float64");
    tree.dispose(p);
  } finally {
    setFloatDtype("float32");
  }
  assert.throws(() => setFloatDtype("float16" as never), /expected "float32" or "float64"/);
});

test("fromHost: the data length must match the shape; empty shapes give empty arrays; finite on request", () => {
  assert.throws(() => fromHost([1, 2, 3, 4, 5, 6], [4, 3]), /fromHost: 6 values for shape \[4, 3\], expected 12/);
  assert.throws(() => fromHost([1, 2], [2, -1]), /shape \[2, -1\] is not a list of non-negative integers/);
  for (const shape of [[0], [0, 3], [2, 0, 4]]) {
    const a = fromHost([], shape, { dtype: "float32" });
    assert.deepEqual(a.shape, shape);
    assert.equal(a.dataSync().length, 0);
  }
  assert.throws(
    () => fromHost([1, Number.NaN], [2], { finite: true }),
    /expected finite values, found NaN at flat index 1/,
  );
});
