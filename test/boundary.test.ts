/**
 * Bad input named at the boundary, and failure paths that release what they hold: a model given
 * another model's parameters says which leaf is wrong (not an engine reshape error), and after
 * each typed error the live-buffer count is back where it was before the call.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { numpy as np, tree } from "../src/jax.js";
import { initEngine } from "../src/core/engine.js";
import { NonFiniteError, ShapeError } from "../src/core/errors.js";
import { fromHost } from "../src/core/host.js";
import { makeKey } from "../src/core/rng.js";
import { SO } from "../src/groups/catalog.js";
import { EMLP } from "../src/layers/emlp/model.js";
import { MLP } from "../src/nn/layers.js";
import { repAction } from "../src/reps/action.js";
import { Scalar, V } from "../src/reps/rep.js";
import { liveBufferCount } from "../src/testing/leaks.js";
import { adam, fit } from "../src/train/index.js";

await initEngine();

/** Runs `f`, expects an error of `type` matching `re`, and that no buffer outlives it. */
async function failsClean(f: () => unknown, type: new (...a: never[]) => Error, re: RegExp): Promise<void> {
  const before = liveBufferCount("wasm") + liveBufferCount("cpu");
  await assert.rejects(
    async () => f(),
    (e: unknown) => e instanceof type && re.test((e as Error).message),
  );
  const after = liveBufferCount("wasm") + liveBufferCount("cpu");
  assert.equal(after, before, `live buffers ${before} → ${after} after a failed call matching ${re}`);
}

test("models check the parameter tree they are given: the first wrong leaf is named; nothing leaks", async () => {
  const net = MLP([2, 4, 1]);
  await failsClean(
    () => net.apply(MLP([3, 4, 1]).init(makeKey(0)), np.zeros([5, 2])),
    ShapeError,
    /^MLP: parameter layers\.0\.w has shape \[3, 4\], this model expects \[2, 4\]$/,
  );
  await failsClean(
    () => net.apply(MLP([2, 4, 4, 1]).init(makeKey(0)), np.zeros([5, 2])),
    ShapeError,
    /^MLP: parameter layers\.2\.b \[1\] is not one of this model's/,
  );
  await failsClean(
    () => net.apply({ layers: [] } as never, np.zeros([5, 2])),
    ShapeError,
    /^MLP: parameter layers\.0\.b \[4\] is missing$/,
  );
  const G = SO(3);
  const small = EMLP(V(G), Scalar(G), G, { channels: 16, layers: 1 });
  const big = EMLP(V(G), Scalar(G), G, { channels: 24, layers: 1 });
  await failsClean(
    () => small.apply(big.init(makeKey(0)), np.zeros([2, 3])),
    ShapeError,
    /^EMLP: parameter \S+ has shape \[\d+, \d+\], this model expects \[\d+, \d+\]$/,
  );
  // The right tree still works, eagerly and under fit's jit.
  const p = net.init(makeKey(1));
  const y = net.apply(tree.ref(p), np.ones([5, 2]));
  assert.deepEqual(y.shape, [5, 1]);
  y.dispose();
  tree.dispose(p);
});

test("fit: non-finite data fails before training and releases nothing it was not given", async () => {
  const net = MLP([2, 4, 1]);
  const x = fromHost([1, 2, 3, Number.NaN, 5, 6, 7, 8], [4, 2], { dtype: "float32" });
  const y = fromHost([1, 2, 3, 4], [4, 1], { dtype: "float32" });
  const params = net.init(makeKey(0));
  await failsClean(
    () =>
      fit({
        model: net,
        params: tree.ref(params),
        data: { x: x.ref, y: y.ref },
        epochs: 1,
        batchSize: 2,
        optimizer: adam(),
      }),
    NonFiniteError,
    /fit: data x holds NaN at row 1, column 1 \(of \[4, 2\]\)/,
  );
  tree.dispose([params, x, y]);
});

test("repAction checks the group element and the batch it is handed (it used to act with a 2×2 block of a 3×3 group)", async () => {
  const G = SO(3);
  const act = repAction(V(G).times(2));
  await failsClean(
    () => act(new Float64Array(4), np.zeros([2, 6])),
    ShapeError,
    /^repAction\(\(2V\)\): a group element of SO\(3\) is a 3×3 matrix \(9 values\), got 4 values$/,
  );
  await failsClean(
    () =>
      act(
        G.sample(() => 0.3),
        np.zeros([2, 5]),
      ),
    ShapeError,
    /^repAction\(\(2V\)\): expected x \[\.\.\., 6\] \(the size of \(2V\)\), got \[2, 5\]$/,
  );
  const y = act(
    G.sample(() => 0.3),
    np.ones([2, 6]),
  );
  assert.deepEqual(y.shape, [2, 6]);
  y.dispose();
});
