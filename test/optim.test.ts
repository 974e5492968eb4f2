import { test } from "node:test";
import assert from "node:assert/strict";
import { numpy as np, tree, type Array as JArray } from "../src/jax.js";
import { initEngine } from "../src/core/engine.js";
import { ConfigError } from "../src/core/errors.js";
import type { Params } from "../src/core/tree.js";
import {
  adam,
  adamw,
  clipByGlobalNorm,
  clipByValue,
  constant,
  cosine,
  makeOptimizer,
  makeSchedule,
  makeTrainStep,
  oneCycle,
  sgd,
  type Optimizer,
} from "../src/train/index.js";

await initEngine();

// A tiny tree p = { w: [1, -2], b: [0.5] } and three fixed gradients / learning rates.
// Expected parameters after each step were computed from the update formulas written out in
// plain float64 arithmetic, independently of the code under test, for example:
//   SGD μ=0.9, wd=0.01, step 1: g = [0.1, -0.3, 2] + 0.01·[1, -2, 0.5] = [0.11, -0.32, 2.005];
//     buf = g; p = p − 0.1·buf = [0.989, -1.968, 0.2995].
//   Adam step 1: m̂ = g, v̂ = g², so p = p − lr·g/(|g| + ε) = p − 0.1·sign(g) ≈ [0.9, -1.9, 0.4].
const P0 = { w: [1.0, -2.0], b: [0.5] };
const GRADS = [
  { w: [0.1, -0.3], b: [2.0] },
  { w: [-0.2, 0.4], b: [1.0] },
  { w: [0.05, 0.0], b: [-1.0] },
];
const LRS = [0.1, 0.05, 0.02];
const EXPECTED: Record<string, number[][]> = {
  sgd: [
    [0.99, -1.97, 0.3],
    [1.0, -1.99, 0.25],
    [0.999, -1.99, 0.27],
  ],
  sgdMomentum: [
    [0.989, -1.968, 0.2995],
    [0.9935555, -1.972616, 0.15912525],
    [0.9939967689, -1.9738832368, 0.12855851495],
  ],
  sgdNesterov: [
    [0.9791, -1.9392, 0.11905],
    [0.992714855, -1.96239776, -0.0572655975],
    [0.991915209155, -1.96315229845, -0.064696022673],
  ],
  adam: [
    [0.90000001, -1.90000000333, 0.4000000005],
    [0.918305185194, -1.90967552352, 0.353391018854],
    [0.921038998249, -1.91266720556, 0.345456914125],
  ],
  adamL2: [
    [0.900000005, -1.900000002, 0.400000000488],
    [0.888585193734, -1.88352705945, 0.353285052516],
    [0.87892606332, -1.87452079215, 0.344915534188],
  ],
  adamw: [
    [0.89000001, -1.88000000333, 0.3950000005],
    [0.903855185144, -1.8802755235, 0.346416018852],
    [0.904781287828, -1.87950665449, 0.337789082085],
  ],
};
const OPTIMISERS: Record<string, () => Optimizer> = {
  sgd: () => sgd(),
  sgdMomentum: () => sgd({ momentum: 0.9, weightDecay: 0.01 }),
  sgdNesterov: () => sgd({ momentum: 0.9, nesterov: true, weightDecay: 0.01 }),
  adam: () => adam(),
  adamL2: () => adam({ weightDecay: 0.1 }),
  adamw: () => adamw({ weightDecay: 0.1 }),
};

function mkTree(t: { w: number[]; b: number[] }, dtype: "float32" | "float64"): Params {
  return { w: np.array(t.w, { dtype: np[dtype] }), b: np.array(t.b, { dtype: np[dtype] }) };
}

function flat(p: Params): number[] {
  const q = p as { w: JArray; b: JArray };
  return [...(q.w.ref.js() as number[]), ...(q.b.ref.js() as number[])];
}

function assertClose(got: number[], want: number[], tol: number, what: string): void {
  assert.equal(got.length, want.length, what);
  got.forEach((g, i) =>
    assert.ok(Math.abs(g - want[i]!) <= tol, `${what}[${i}]: got ${g}, want ${want[i]} (tol ${tol})`),
  );
}

for (const [name, make] of Object.entries(OPTIMISERS)) {
  test(`${name}: eager float64 update matches hand-computed steps`, () => {
    const opt = make();
    let params = mkTree(P0, "float64");
    let state = opt.init(params);
    for (let t = 1; t <= 3; t++) {
      const hostH = opt.hyper(LRS[t - 1]!, t);
      const h: Record<string, JArray> = {};
      for (const [k, v] of Object.entries(hostH)) h[k] = np.array(v, { dtype: np.float64 });
      [params, state] = opt.update(mkTree(GRADS[t - 1]!, "float64"), state, params, h);
      assertClose(flat(params), EXPECTED[name]![t - 1]!, 1e-9, `${name} step ${t}`);
    }
    tree.dispose(params);
    tree.dispose(state);
  });

  test(`${name}: jitted float32 train step matches hand-computed steps`, () => {
    const opt = make();
    // loss(p, x) = Σ p_w·x[0:2] + p_b·x[2] has gradient x, so x carries the fixed gradients.
    const step = makeTrainStep((p, x, y) => {
      const q = p as { w: JArray; b: JArray };
      return np
        .sum(q.w.mul(x.ref.slice([0, 2])))
        .add(np.sum(q.b.mul(x.slice([2, 3]))))
        .add(np.sum(y));
    }, opt);
    let params = mkTree(P0, "float32");
    let state = opt.init(params);
    for (let t = 1; t <= 3; t++) {
      const g = GRADS[t - 1]!;
      const out = step(params, state, np.array([...g.w, ...g.b]), np.zeros([1]), LRS[t - 1]!, t);
      out.loss.dispose();
      params = out.params;
      state = out.optState;
      assertClose(flat(params), EXPECTED[name]![t - 1]!, 1e-6, `${name} jit step ${t}`);
    }
    tree.dispose(params);
    tree.dispose(state);
    step.dispose();
  });
}

test("optimiser configs round-trip through makeOptimizer and reject bad values", () => {
  for (const make of Object.values(OPTIMISERS)) {
    const opt = make();
    assert.deepEqual(makeOptimizer(opt.config).config, opt.config);
  }
  assert.throws(() => sgd({ nesterov: true }), ConfigError);
  assert.throws(() => adam({ b1: 1 }), ConfigError);
  assert.throws(() => adamw({ weightDecay: -1 }), ConfigError);
  assert.throws(() => makeOptimizer({ kind: "rmsprop" } as never), /unknown optimiser "rmsprop"/);
  assert.throws(() => adam().hyper(0.1, 0), /step t must be an integer ≥ 1/);
});

test("optimiser state is a plain tree shaped like the params", () => {
  const p = mkTree(P0, "float32");
  const st = adam().init(p) as { mu: { w: JArray; b: JArray }; nu: { w: JArray; b: JArray } };
  assert.deepEqual(st.mu.w.shape, [2]);
  assert.deepEqual(st.nu.b.ref.js(), [0]);
  assert.deepEqual(sgd().init(p), {});
  tree.dispose([p, st]);
});

test("constant and cosine schedules at specific steps", () => {
  const c = constant(0.3);
  assert.equal(c(0), 0.3);
  assert.equal(c(1000), 0.3);
  // warmup 2 steps to lr = 1, then cosine over the remaining 8 to 0.1
  const s = cosine({ lr: 1, totalSteps: 10, warmupSteps: 2, finalLr: 0.1 });
  assertClose([s(0), s(1), s(2), s(6), s(10), s(50)], [0.5, 1, 1, 0.55, 0.1, 0.1], 1e-12, "cosine");
  const s2 = cosine({ lr: 2, totalSteps: 4 });
  assertClose([0, 1, 2, 3, 4].map(s2), [2, 1 + Math.SQRT1_2, 1, 1 - Math.SQRT1_2, 0], 1e-12, "cosine no warmup");
  assert.deepEqual(makeSchedule(s.config).config, s.config);
  assert.throws(() => cosine({ lr: 1, totalSteps: 10, warmupSteps: 10 }), ConfigError);
});

test("oneCycle matches PyTorch OneCycleLR (cos, two phases)", () => {
  // Values from torch.optim.lr_scheduler.OneCycleLR.get_lr transcribed to plain Python:
  // phase ends pct·T − 1 and T − 1, lr = end + (start − end)/2·(cos(π·pct) + 1).
  const s = oneCycle({ maxLr: 0.1, totalSteps: 100 });
  const want: Record<number, number> = {
    0: 0.004,
    1: 0.00428137805659075,
    10: 0.0295163948464101,
    28: 0.0997186219434093,
    29: 0.1,
    30: 0.0999496535284524,
    50: 0.0793893450575732,
    98: 5.07464715475788e-5,
    99: 4e-7,
  };
  for (const [k, v] of Object.entries(want))
    assert.ok(Math.abs(s(Number(k)) - v) <= 1e-12 * Math.max(1, v * 1e3), `step ${k}: ${s(Number(k))} vs ${v}`);
  const s2 = oneCycle({ maxLr: 1, totalSteps: 10, pctStart: 0.25, divFactor: 10, finalDivFactor: 100 });
  assertClose(
    Array.from({ length: 10 }, (_, i) => s2(i)),
    [
      0.1, 0.775, 0.989084726566536, 0.904603988690286, 0.75025, 0.552711967402193, 0.346146011309714, 0.16626926212375,
      0.0441840439075208, 0.001,
    ],
    1e-12,
    "oneCycle small",
  );
  assert.equal(s2(500), 0.001);
  assert.throws(() => oneCycle({ maxLr: 1, totalSteps: 3 }), ConfigError);
  assert.throws(() => makeSchedule({ kind: "step" } as never), /unknown schedule "step"/);
});

test("clip by global norm and by value", () => {
  const g = { w: np.array([3, 0]), b: np.array([4]) };
  const [c, norm] = clipByGlobalNorm(tree.ref(g), 1);
  assert.ok(Math.abs(norm.item() - 5) < 1e-6);
  assertClose(flat(c), [0.6, 0, 0.8], 1e-6, "clipped");
  const [u, norm2] = clipByGlobalNorm(tree.ref(g), 10);
  assertClose(flat(u), [3, 0, 4], 1e-6, "unclipped");
  norm2.dispose();
  const v = clipByValue(g, 3.5);
  assertClose(flat(v), [3, 0, 3.5], 0, "clip value");
  tree.dispose([c, u, v]);
});

test("makeTrainStep with clipNorm reports the pre-clip norm and applies the clipped update", () => {
  // loss = Σ p·x, gradient x = [3, 4] (norm 5) clipped to norm 1; SGD lr 1 → p − [0.6, 0.8]
  const step = makeTrainStep((p, x, y) => np.sum((p as { w: JArray }).w.mul(x)).add(np.sum(y)), sgd(), { clipNorm: 1 });
  const out = step({ w: np.array([1, 1]) }, {}, np.array([3, 4]), np.zeros([1]), 1, 1);
  assert.ok(Math.abs(out.gradNorm!.item() - 5) < 1e-5);
  assert.ok(Math.abs(out.loss.item() - 7) < 1e-6);
  assertClose(flat({ w: (out.params as { w: JArray }).w, b: np.array([]) }), [0.4, 0.2], 1e-6, "clipped step");
  step.dispose();
});
