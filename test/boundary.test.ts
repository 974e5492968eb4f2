/**
 * Bad input named at the boundary, and failure paths that release what they hold: a model given
 * another model's parameters says which leaf is wrong (not an engine reshape error), and after
 * each typed error the live-buffer count is back where it was before the call.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { numpy as np, tree, type Array as JArray } from "../src/jax.js";
import { initEngine } from "../src/core/engine.js";
import { CheckpointError, ConfigError, NonFiniteError, ShapeError } from "../src/core/errors.js";
import { fromHost } from "../src/core/host.js";
import { makeKey } from "../src/core/rng.js";
import { SO } from "../src/groups/catalog.js";
import { EMLP } from "../src/layers/emlp/model.js";
import { groupConv, gcnn, liftingConv, P4 } from "../src/layers/gcnn/index.js";
import { MLP, type MLPParams } from "../src/nn/layers.js";
import { hamiltonianField, hamiltonianFieldMLP, lagrangianFieldMLP } from "../src/physics/fields.js";
import { repAction } from "../src/reps/action.js";
import { Scalar, V } from "../src/reps/rep.js";
import { liveBufferCount } from "../src/testing/leaks.js";
import { decodeCheckpoint, encodeCheckpoint } from "../src/train/checkpoint.js";
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
  // Rep.rho/drho themselves (the solver, augmentation and discovery call them directly).
  assert.throws(
    () => V(G).times(2).rho(new Float64Array(4)),
    (e: unknown) =>
      e instanceof ShapeError &&
      /^\(2V\)\.rho: a group element of SO\(3\) is a 3×3 matrix \(9 values\), got 4 values$/.test(e.message),
  );
  const nan = G.sample(() => 0.3);
  nan[4] = Number.NaN;
  assert.throws(
    () => V(G).rho(nan),
    (e: unknown) =>
      e instanceof NonFiniteError && /^V\.rho: a group element of SO\(3\) holds NaN at entry 4$/.test(e.message),
  );
  assert.throws(() => V(G).drho(new Float64Array(3)), /V\.drho: a Lie algebra element of SO\(3\) is a 3×3 matrix/);
  const y = act(
    G.sample(() => 0.3),
    np.ones([2, 6]),
  );
  assert.deepEqual(y.shape, [2, 6]);
  y.dispose();
});

test("G-CNNs and their convolutions check parameters and input; failures release both", async () => {
  const net = gcnn(P4, { channels: 2, size: 10, depth: 1 });
  const other = gcnn(P4, { channels: 3, size: 10, depth: 1 });
  const img = () => np.zeros([2, 1, 10, 10]);
  await failsClean(
    () => net.apply(other.init(makeKey(0)), img()),
    ShapeError,
    /^gcnn\(p4\): parameter convs\.0\.w has shape \[3, 1, 3, 3\], this model expects \[2, 1, 3, 3\]$/,
  );
  await failsClean(
    () => net.features(other.init(makeKey(0)), img(), 1),
    ShapeError,
    /^gcnn\(p4\): parameter convs\.0\.w has shape/,
  );
  await failsClean(
    () => net.apply(net.init(makeKey(0)), np.zeros([2, 1, 12, 12])),
    ShapeError,
    /^gcnn\(p4\): wrong image shape: expected images \[B, 1, 10, 10\], got \[2, 1, 12, 12\]$/,
  );
  await failsClean(
    () => net.features(net.init(makeKey(0)), img(), 9),
    ConfigError,
    /^gcnn\.features: layer must be 1\.\.3, got 9$/,
  );
  const lift = liftingConv(P4, 1, 2);
  await failsClean(
    () => lift.apply(liftingConv(P4, 1, 2, { bias: true }).init(makeKey(0)), np.zeros([1, 2, 5, 5])),
    ShapeError,
    /^liftingConv\(p4\): parameter b \[2\] is not one of this model's/,
  );
  await failsClean(
    () => groupConv(P4, 2, 2).apply(groupConv(P4, 2, 2).init(makeKey(0)), np.zeros([2, 2, 1, 5, 5])),
    ShapeError,
    /^groupConv\(p4\): expected input \[2, 4, B, H, W\] \(channels first\), got \[2, 2, 1, 5, 5\]$/,
  );
  const p = net.init(makeKey(1));
  const y = net.apply(p, img());
  assert.deepEqual(y.shape, [2, 10]);
  y.dispose();
});

test("physics fields check the MLP they are given and the states; failures release both", async () => {
  const field = hamiltonianFieldMLP("tanh");
  const states = (d: number) => np.zeros([5, d]);
  await failsClean(
    () => field(MLP([3, 8, 1]).init(makeKey(0)), states(4)),
    ShapeError,
    /^mlpInputDerivs: expected x of shape \[B, 3\] \(layers\.0\.w is \[3, 8\]\), got \[5, 4\]$/,
  );
  await failsClean(
    () => field(MLP([4, 8, 2]).init(makeKey(0)), states(4)),
    ShapeError,
    /^mlpInputDerivs: expected a scalar-output MLP, got output width 2$/,
  );
  const broken = () => ({
    layers: [
      { w: np.zeros([4, 8]), b: np.zeros([8]) },
      { w: np.zeros([6, 1]), b: np.zeros([1]) },
    ],
  });
  await failsClean(
    () => field(broken(), states(4)),
    ShapeError,
    /^mlpInputDerivs: layers\.1\.w has shape \[6, 1\], but layers\.0 has 8 outputs$/,
  );
  await failsClean(
    () => lagrangianFieldMLP("softplus")(MLP([3, 8, 1]).init(makeKey(0)), states(3)),
    ShapeError,
    /^lagrangianFieldMLP: expected states of shape \[B, 2n\]/,
  );
  const H = (p: MLPParams, x: JArray) => MLP([3, 4, 1]).apply(p, x).reshape([-1]);
  await failsClean(
    () => hamiltonianField(H)(MLP([3, 4, 1]).init(makeKey(0)), states(3)),
    ShapeError,
    /^hamiltonianField: expected states of shape \[B, 2n\]/,
  );
  const ok = field(MLP([4, 8, 1]).init(makeKey(0)), states(4));
  assert.deepEqual(ok.shape, [5, 4]);
  ok.dispose();
});

test("a model given input of the wrong width releases its parameters too", async () => {
  const net = MLP([2, 4, 1]);
  await failsClean(
    () => net.apply(net.init(makeKey(0)), np.zeros([5, 3])),
    ShapeError,
    /^MLP: expected input of shape \[\.\.\., 2\], got \[5, 3\]$/,
  );
  const G = SO(3);
  const e = EMLP(V(G), Scalar(G), G, { channels: 16, layers: 1 });
  await failsClean(
    () => e.apply(e.init(makeKey(0)), np.zeros([2, 4])),
    ShapeError,
    /^EMLPBlock \(layer 1\): input of shape \[2, 4\] does not match repIn V of size 3; expected \[B, 3\]$/,
  );
});

test("fit: a rejected call releases the params and optimiser state it was to consume", async () => {
  const net = MLP([2, 4, 1]);
  const x = np.zeros([4, 2]);
  const y = np.zeros([4, 1]);
  const base = { model: net, data: { x, y }, batchSize: 2, optimizer: adam() } as const;
  for (const [extra, re] of [
    [{ epochs: -1 }, /^fit: epochs must be an integer ≥ 0, got -1$/],
    [{ epochs: 1, batchSize: 0 }, /^fit: batchSize must be an integer ≥ 1, got 0$/],
    [{ epochs: 1, earlyStopping: { patience: 2, monitor: "valLoss" } }, /no validation data was given/],
    [{ epochs: 1, checkpoint: { every: 0, save: async () => {} } }, /checkpoint\.every must be an integer ≥ 1/],
  ] as const) {
    await failsClean(
      () => fit({ ...base, ...(extra as object), params: net.init(makeKey(0)) } as never),
      ConfigError,
      re,
    );
  }
  await failsClean(
    () => {
      const params = net.init(makeKey(0));
      return fit({
        ...base,
        epochs: 1,
        params,
        optState: adam().init(params),
        data: { x, y: np.zeros([3, 1]) },
      });
    },
    ShapeError,
    /must have the same leading \(example\) axis/,
  );
  tree.dispose([x, y]);
});

test("checkpoint decoding rejects a corrupt file before creating any array", async () => {
  const net = MLP([2, 4, 1]);
  const params = net.init(makeKey(0));
  const bytes = encodeCheckpoint({ params, optState: {}, meta: { step: 3, epoch: 1 } });
  const bad = bytes.slice();
  bad[bad.length - 2]! ^= 0x10;
  await failsClean(() => decodeCheckpoint(bad, { params }), CheckpointError, /is corrupt: its bytes do not match/);
  await failsClean(() => decodeCheckpoint(bytes.slice(0, -4), { params }), CheckpointError, /./);
  const ok = decodeCheckpoint(bytes, { params });
  assert.equal(ok.meta.step, 3);
  tree.dispose([ok.params, params]);
});
