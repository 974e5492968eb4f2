/**
 * P4CNN vs an ordinary CNN (Z2CNN) on upright MNIST digits (Cohen & Welling 2016), trained in
 * the worker with the library's `gcnn` (the same builder as `noether run gcnn-rotmnist`),
 * softmax cross-entropy and Adam. Both are trained on upright digits only; the held-out digits
 * are then shown rotated: the p4 network's logits are invariant to 90° rotations by
 * construction (max over the group axis), the ordinary one's are not.
 */
import { tree, type Array as JArray } from "../../../src/jax.js";
import { fromHost } from "../../../src/core/host.js";
import { hostRng, makeKey, permutation, splitKey } from "../../../src/core/rng.js";
import { oneHot, rotateBilinear } from "../../../src/data/rotmnist.js";
import { P1, P4 } from "../../../src/groups/plane.js";
import { gcnn, type GCNN, type GCNNParams } from "../../../src/layers/gcnn/model.js";
import { softmaxCrossEntropy } from "../../../src/train/losses.js";
import { adam } from "../../../src/train/optim.js";
import { makeTrainStep, type TrainStep } from "../../../src/train/step.js";
import { serveDemo, yieldNow, type DemoContext, type Row } from "../lib/protocol.js";

const N = 28;
const PIX = N * N;
let digits: { labels: Uint8Array; images: Float32Array; count: number } | null = null;
let view = { digit: 7, sample: 0, angle: 0 };
interface Model {
  name: "p4" | "z2";
  net: GCNN;
  params: GCNNParams;
  optState: ReturnType<ReturnType<typeof adam>["init"]>;
  step: TrainStep;
}
let models: Model[] = [];
let training = false;

serveDemo({
  run: train,
  onData(name, bytes) {
    if (name !== "digits") return;
    const b = new Uint8Array(bytes);
    const count = b.length / (1 + PIX);
    const labels = new Uint8Array(count);
    const images = new Float32Array(count * PIX);
    for (let i = 0; i < count; i++) {
      labels[i] = b[i * (1 + PIX)]!;
      for (let j = 0; j < PIX; j++) images[i * PIX + j] = b[i * (1 + PIX) + 1 + j]! / 255;
    }
    digits = { labels, images, count };
  },
  onInput(value, post) {
    view = { ...view, ...(value as typeof view) };
    if (!training && models.length > 0) {
      const shown = display();
      post({ type: "view", metrics: { ...shown.metrics, angle: view.angle }, series: shown.series });
    }
  },
});

/** Held-out indices by class (the last 20 of each class's 120 in digits.bin) and training indices. */
function split(): { train: Int32Array; heldOut: number[][] } {
  const d = digits!;
  const perClass = d.count / 10;
  const train: number[] = [];
  const heldOut: number[][] = Array.from({ length: 10 }, () => []);
  for (let i = 0; i < d.count; i++) {
    const c = d.labels[i]!;
    if (i % perClass < perClass - 20) train.push(i);
    else heldOut[c]!.push(i);
  }
  return { train: Int32Array.from(train), heldOut };
}

function image(i: number, angleDeg = 0): Float32Array {
  const img = digits!.images.subarray(i * PIX, (i + 1) * PIX);
  return angleDeg === 0 ? Float32Array.from(img) : rotateBilinear(img, N, (angleDeg * Math.PI) / 180);
}

function batchArrays(idx: ArrayLike<number>, angles?: ArrayLike<number>): { x: JArray; y: JArray } {
  const B = idx.length;
  const x = new Float32Array(B * PIX);
  const labels = new Uint8Array(B);
  for (let b = 0; b < B; b++) {
    x.set(image(idx[b]!, angles?.[b] ?? 0), b * PIX);
    labels[b] = digits!.labels[idx[b]!]!;
  }
  return {
    x: fromHost(x, [B, 1, N, N], { dtype: "float32" }),
    y: fromHost(oneHot(labels), [B, 10], { dtype: "float32" }),
  };
}

function softmax(logits: ArrayLike<number>): number[] {
  const m = Math.max(...Array.from(logits));
  const e = Array.from(logits, (v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/**
 * Probabilities and first-layer feature maps of the shown digit, for both models, and as metrics
 * each model's predicted class and its probability (`p4Shown`, `p4ShownProb`, …).
 */
function display(): { series: Record<string, Row[]>; metrics: Record<string, number> } {
  const { heldOut } = split();
  const pool = heldOut[view.digit]!;
  const idx = pool[view.sample % pool.length]!;
  const img = image(idx, view.angle);
  const probs: Row[] = [];
  const features: Row[] = [];
  const input: Row[] = [];
  const metrics: Record<string, number> = {};
  for (let r = 0; r < N; r++) for (let c = 0; c < N; c++) input.push({ r, c, v: img[r * N + c]! });
  for (const m of models) {
    const x = fromHost(img, [1, 1, N, N], { dtype: "float32" });
    const logits = m.net.apply(tree.ref(m.params), x.ref).dataSync() as Float32Array;
    const p = softmax(logits);
    p.forEach((v, k) => probs.push({ model: m.name === "p4" ? "p4 CNN" : "ordinary CNN", digit: String(k), p: v }));
    const best = p.indexOf(Math.max(...p));
    metrics[`${m.name}Shown`] = best;
    metrics[`${m.name}ShownProb`] = p[best]!;
    const f = m.net.features(tree.ref(m.params), x, 1); // [C, G, 1, h, h]
    const [, G, , h] = f.shape as [number, number, number, number];
    const v = f.slice(0).dataSync() as Float32Array; // channel 0: [G, 1, h, h]
    for (let g = 0; g < G; g++)
      for (let r = 0; r < h; r++)
        for (let c = 0; c < h; c++)
          features.push({
            map: m.name === "p4" ? `p4, rotation ${g * 90}°` : "ordinary",
            r,
            c,
            v: v[g * h * h + r * h + c]!,
          });
  }
  return { series: { probs, features, input }, metrics };
}

/** Accuracy of each model on the held-out digits, each rotated by a fixed random multiple of 90°. */
function rotatedAccuracy(): Record<string, number> {
  const { heldOut } = split();
  const idx = heldOut.flat();
  const rng = hostRng(7);
  const angles = idx.map(() => 90 * Math.floor(rng() * 4));
  const out: Record<string, number> = {};
  for (const m of models) {
    let correct = 0;
    for (let s = 0; s < idx.length; s += 50) {
      const { x, y } = batchArrays(idx.slice(s, s + 50), angles.slice(s, s + 50));
      y.dispose();
      const logits = m.net.apply(tree.ref(m.params), x).dataSync() as Float32Array;
      for (let b = 0; b < Math.min(50, idx.length - s); b++) {
        const row = Array.from(logits.subarray(b * 10, b * 10 + 10));
        if (row.indexOf(Math.max(...row)) === digits!.labels[idx[s + b]!]) correct++;
      }
    }
    out[`${m.name}RotatedAcc`] = correct / idx.length;
  }
  return out;
}

async function train(s: Record<string, number>, { post, signal }: DemoContext): Promise<number> {
  if (digits === null) throw new Error("the digit sample has not arrived from the page yet");
  for (const m of models) {
    tree.dispose([m.params, m.optState]);
    m.step.dispose();
  }
  const opt = adam();
  const [k4, k1] = splitKey(makeKey(0), 2);
  models = (
    [
      ["p4", gcnn(P4, { channels: s.channels!, depth: 1 }), k4!],
      ["z2", gcnn(P1, { channels: 2 * s.channels!, depth: 1 }), k1!],
    ] as const
  ).map(([name, net, key]) => {
    const params = net.init(key);
    const step = makeTrainStep<GCNNParams>((p, x, y) => softmaxCrossEntropy(net.apply(p, x), y), opt);
    return { name, net, params, optState: opt.init(params), step };
  });
  const steps = s.steps!;
  const B = s.batch!;
  const { train: trainIdx } = split();
  const rng = hostRng(1);
  let order = permutation(trainIdx.length, rng);
  let at = 0;
  let done = 0;
  training = true;
  try {
    for (let t = 1; t <= steps && !signal.aborted; t++) {
      if (at + B > order.length) {
        order = permutation(trainIdx.length, rng);
        at = 0;
      }
      const idx = Array.from(order.subarray(at, at + B), (i) => trainIdx[i]!);
      at += B;
      const { x, y } = batchArrays(idx);
      const metrics: Record<string, number> = {};
      for (const m of models) {
        const out = m.step(m.params, m.optState, x.ref, y.ref, s.lr!, t);
        m.params = out.params as GCNNParams;
        m.optState = out.optState;
        metrics[`${m.name}Loss`] = out.loss.item();
      }
      tree.dispose([x, y]);
      done = t;
      const append = {
        loss: models.map((m) => ({
          step: t,
          loss: metrics[`${m.name}Loss`]!,
          series: m.name === "p4" ? "p4 CNN" : "ordinary CNN",
        })),
      };
      if (t % 20 === 0 || t === steps) {
        Object.assign(metrics, rotatedAccuracy());
        const shown = display();
        post({
          type: "progress",
          step: t,
          total: steps,
          metrics: { ...metrics, ...shown.metrics },
          append,
          series: shown.series,
        });
      } else post({ type: "progress", step: t, total: steps, metrics, append });
      await yieldNow();
    }
  } finally {
    training = false;
  }
  return done;
}
