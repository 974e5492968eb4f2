/**
 * Rotated digit sets (host side, browser-safe): every image rotated about its centre by a
 * uniformly random angle with bilinear interpolation (zero outside the frame), a fixed seed,
 * and a fixed train/test split. Loading the raw digits and the disk cache are Node-only
 * (src/node/rotmnist-cache.ts).
 */
import { ConfigError, ShapeError } from "../core/errors.js";
import { hostRng, permutation } from "../core/rng.js";

/** Square grey images with labels: images [N, n, n] row-major in [0, 1], labels [N]. */
export interface ImageSet {
  images: Float32Array;
  labels: Uint8Array;
  /** Side length n. */
  size: number;
  /** Number of images N. */
  count: number;
}

/** A rotated set: train and test parts plus the angle (radians) applied to each image. */
export interface RotatedSplit {
  train: ImageSet & { angles: Float32Array };
  test: ImageSet & { angles: Float32Array };
  /** Provenance: source name, seed, sizes. */
  meta: { source: string; seed: number; nTrain: number; nTest: number; version: number };
}

/** Bumped whenever the construction changes (the cache key includes it). */
export const ROTATED_SET_VERSION = 1;

/**
 * Rotates an n×n image counter-clockwise by `angle` radians about its centre ((n−1)/2, (n−1)/2)
 * with bilinear interpolation; pixels that map outside the frame are 0. out[i, j] = img(R⁻¹(i, j)).
 */
export function rotateBilinear(
  img: ArrayLike<number>,
  n: number,
  angle: number,
  out = new Float32Array(n * n),
): Float32Array {
  if (img.length !== n * n)
    throw new ShapeError(`rotateBilinear: expected ${n}×${n} = ${n * n} pixels, got ${img.length}`);
  const c = (n - 1) / 2;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      // Centred coordinates, y up; source = R(−angle)·dest.
      const x = j - c;
      const y = c - i;
      const xs = cos * x + sin * y;
      const ys = -sin * x + cos * y;
      const fj = xs + c;
      const fi = c - ys;
      const j0 = Math.floor(fj);
      const i0 = Math.floor(fi);
      const aj = fj - j0;
      const ai = fi - i0;
      let v = 0;
      for (let di = 0; di < 2; di++) {
        const ii = i0 + di;
        if (ii < 0 || ii >= n) continue;
        const wi = di === 0 ? 1 - ai : ai;
        for (let dj = 0; dj < 2; dj++) {
          const jj = j0 + dj;
          if (jj < 0 || jj >= n) continue;
          v += wi * (dj === 0 ? 1 - aj : aj) * img[ii * n + jj]!;
        }
      }
      out[i * n + j] = v;
    }
  }
  return out;
}

function rotateAll(set: ImageSet, idx: ArrayLike<number>, rng: () => number): ImageSet & { angles: Float32Array } {
  const n = set.size;
  const m = idx.length;
  const images = new Float32Array(m * n * n);
  const labels = new Uint8Array(m);
  const angles = new Float32Array(m);
  for (let k = 0; k < m; k++) {
    const src = idx[k]!;
    const a = 2 * Math.PI * rng();
    angles[k] = a;
    labels[k] = set.labels[src]!;
    rotateBilinear(
      set.images.subarray(src * n * n, (src + 1) * n * n),
      n,
      a,
      images.subarray(k * n * n, (k + 1) * n * n),
    );
  }
  // Quantise to 8 bits so that a cached copy (stored as bytes) is identical to a fresh build.
  for (let i = 0; i < images.length; i++) images[i] = Math.round(Math.min(1, Math.max(0, images[i]!)) * 255) / 255;
  return { images, labels, angles, size: n, count: m };
}

/**
 * Builds a rotated set from `source`: a seeded permutation picks `nTrain` train and `nTest`
 * test images (disjoint), each rotated by an angle ~ U[0, 2π) drawn from the same seed.
 * With `testSource`, the test images come from that set instead (e.g. a separate test file).
 */
export function buildRotatedSplit(
  source: ImageSet,
  opts: { seed: number; nTrain: number; nTest: number; name: string; testSource?: ImageSet },
): RotatedSplit {
  const { seed, nTrain, nTest } = opts;
  const testSrc = opts.testSource ?? source;
  const need = opts.testSource ? nTrain : nTrain + nTest;
  if (!(Number.isInteger(nTrain) && nTrain >= 1 && Number.isInteger(nTest) && nTest >= 1)) {
    throw new ConfigError(`buildRotatedSplit: nTrain and nTest must be positive integers, got ${nTrain}, ${nTest}`);
  }
  if (need > source.count || nTest > testSrc.count) {
    throw new ConfigError(
      `buildRotatedSplit: asked for ${nTrain} train + ${nTest} test images, the source has ${source.count}${opts.testSource ? ` (test source ${testSrc.count})` : ""}`,
    );
  }
  const rng = hostRng(seed ^ 0x0b1a5);
  const perm = permutation(source.count, rng);
  const trainIdx = perm.subarray(0, nTrain);
  const testIdx = opts.testSource
    ? permutation(testSrc.count, rng).subarray(0, nTest)
    : perm.subarray(nTrain, nTrain + nTest);
  const angleRng = hostRng(seed ^ 0x7a11e5);
  const train = rotateAll(source, trainIdx, angleRng);
  const test = rotateAll(testSrc, testIdx, angleRng);
  return { train, test, meta: { source: opts.name, seed, nTrain, nTest, version: ROTATED_SET_VERSION } };
}

/** One-hot labels [N, classes] as float32 (for softmax cross-entropy). */
export function oneHot(labels: Uint8Array, classes = 10): Float32Array {
  const out = new Float32Array(labels.length * classes);
  labels.forEach((l, i) => {
    out[i * classes + l] = 1;
  });
  return out;
}
