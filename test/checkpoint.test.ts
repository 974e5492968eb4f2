import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { numpy as np, tree, type Array as JArray } from "../src/jax.js";
import { initEngine } from "../src/core/engine.js";
import { CheckpointError } from "../src/core/errors.js";
import { makeKey } from "../src/core/rng.js";
import type { Params } from "../src/core/tree.js";
import { MLP } from "../src/nn/layers.js";
import { loadCheckpoint, saveCheckpoint } from "../src/node/checkpoint-file.js";
import {
  adam,
  decodeCheckpoint,
  encodeCheckpoint,
  readCheckpointHeader,
  type CheckpointState,
} from "../src/train/index.js";

import { rejects, withHeader } from "./checkpoint-support.js";

await initEngine();

function values(p: Params): { shape: number[]; dtype: string; data: number[] }[] {
  return (tree.leaves(p) as JArray[]).map((a) => ({
    shape: a.shape,
    dtype: a.dtype,
    data: Array.from(a.ref.dataSync()),
  }));
}

function state(dtype: "float32" | "float64", sizes = [2, 5, 1]): CheckpointState {
  const net = MLP(sizes, { dtype });
  const params = net.init(makeKey(0));
  const optState = adam().init(params);
  return { params, optState, meta: { step: 12, epoch: 3, seed: 7, config: { model: "mlp", sizes } } };
}

function encoded(): Uint8Array {
  const s = state("float32");
  const bytes = encodeCheckpoint(s);
  tree.dispose([s.params, s.optState]);
  return bytes;
}

for (const dtype of ["float32", "float64"] as const) {
  test(`round trip ${dtype}: params, optimiser state and meta come back exactly`, () => {
    const s = state(dtype);
    const before = { params: values(s.params), opt: values(s.optState) };
    const bytes = encodeCheckpoint(s);
    const back = decodeCheckpoint(bytes, { params: s.params, optState: s.optState });
    assert.deepEqual(values(back.params), before.params);
    assert.deepEqual(values(back.optState), before.opt);
    assert.deepEqual(back.meta, s.meta);
    assert.deepEqual(Object.keys(back.params), ["layers"]);
    assert.deepEqual(Object.keys((back.params as { layers: object[] }).layers[0]!), ["w", "b"]);
    // The file is plain safetensors: dotted names, known dtypes, string metadata.
    const h = readCheckpointHeader(bytes);
    assert.deepEqual(
      h.tensors
        .map((t) => t.name)
        .sort()
        .slice(0, 3),
      ["opt.mu.layers.0.b", "opt.mu.layers.0.w", "opt.mu.layers.1.b"],
    );
    assert.ok(
      h.tensors.some(
        (t) =>
          t.name === "params.layers.0.w" &&
          t.dtype === (dtype === "float32" ? "F32" : "F64") &&
          t.shape.join() === "2,5",
      ),
    );
    assert.equal(h.dataStart % 8, 0);
    tree.dispose([s.params, s.optState, back.params, back.optState]);
  });
}

test("round trip of scalars, empty optimiser state and a bare array tree", () => {
  const s: CheckpointState = {
    params: { a: np.array(2.5), b: [np.array([1, 2, 3], { dtype: np.int32 })] },
    optState: {},
    meta: { step: 0, epoch: 0 },
  };
  const back = decodeCheckpoint(encodeCheckpoint(s));
  assert.equal((back.params as { a: JArray }).a.ref.item(), 2.5);
  assert.deepEqual((back.params as { b: JArray[] }).b[0]!.ref.js(), [1, 2, 3]);
  assert.deepEqual(back.optState, {});
  tree.dispose([s.params, back.params]);
});

test("truncated, garbage and too-long-header files fail with clear CheckpointErrors", () => {
  const bytes = encoded();
  rejects(() => decodeCheckpoint(new Uint8Array(0)), /0 bytes, shorter than the 8-byte/);
  rejects(() => decodeCheckpoint(bytes.subarray(0, 5)), /shorter than the 8-byte/);
  rejects(() => decodeCheckpoint(bytes.subarray(0, 40)), /header length \d+ exceeds the 32 bytes/);
  rejects(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 4)), /out of range .*truncated/);
  const big = bytes.slice();
  new DataView(big.buffer).setBigUint64(0, 2n ** 60n, true);
  rejects(() => decodeCheckpoint(big), /header length \d+ exceeds/);
  let seed = 1;
  for (let trial = 0; trial < 20; trial++) {
    const junk = Uint8Array.from({ length: 64 + trial * 37 }, () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return (seed >>> 16) & 255;
    });
    assert.throws(() => decodeCheckpoint(junk), CheckpointError);
  }
  // A plausible length in front of garbage: the JSON is invalid.
  const junk = new Uint8Array(64).fill(0x7b);
  new DataView(junk.buffer).setBigUint64(0, 20n, true);
  rejects(() => decodeCheckpoint(junk), /header is not valid UTF-8 JSON/);
});

test("corrupted header JSON and bad header entries fail with clear CheckpointErrors", () => {
  const bytes = encoded();
  const corrupt = bytes.slice();
  corrupt[9] = 0x00; // inside the JSON text
  rejects(() => decodeCheckpoint(corrupt), /not valid UTF-8 JSON/);
  rejects(
    () => decodeCheckpoint(withHeader(bytes, (h) => ((h["params.layers.0.w"] as { dtype: string }).dtype = "BF16"))),
    /params.layers.0.w: unknown dtype "BF16"/,
  );
  rejects(
    () => decodeCheckpoint(withHeader(bytes, (h) => ((h["params.layers.0.w"] as { dtype: string }).dtype = "F64"))),
    /params.layers.0.w: 40 bytes for F64 \[2, 5\], expected 80/,
  );
  rejects(
    () => decodeCheckpoint(withHeader(bytes, (h) => ((h["params.layers.0.w"] as { shape: unknown }).shape = [2, -5]))),
    /shape \[2,-5\] is not a list/,
  );
  rejects(
    () =>
      decodeCheckpoint(
        withHeader(
          bytes,
          (h) => ((h["params.layers.0.w"] as { data_offsets: number[] }).data_offsets = [1e9, 1e9 + 40]),
        ),
      ),
    /params.layers.0.w: data_offsets \[1000000000, 1000000040\] out of range/,
  );
  rejects(
    () =>
      decodeCheckpoint(
        withHeader(bytes, (h) => {
          const a = h["params.layers.0.w"] as { data_offsets: number[] };
          const b = h["params.layers.0.b"] as { data_offsets: number[] };
          b.data_offsets = [a.data_offsets[0]! + 4, a.data_offsets[0]! + 24];
        }),
      ),
    /overlap/,
  );
  rejects(
    () => decodeCheckpoint(withHeader(bytes, (h) => delete h["opt.nu.layers.1.w"])),
    /checkpoint has 20 trailing bytes after the last tensor \(opt.nu.layers.1.b \[228, 232\]\)/,
  );
  rejects(
    () =>
      decodeCheckpoint(
        withHeader(bytes, (h) => {
          const md = h.__metadata__ as Record<string, string>;
          const block = JSON.parse(md.noether!) as { structure: { params: Record<string, unknown> } };
          block.structure.params.extra = null;
          md.noether = JSON.stringify(block);
        }),
      ),
    /missing tensor params.extra \(listed in its structure\)/,
  );
  rejects(
    () =>
      decodeCheckpoint(
        withHeader(bytes, (h) => (h["params.extra"] = { dtype: "F32", shape: [0], data_offsets: [0, 0] })),
      ),
    /unexpected tensor params.extra/,
  );
  rejects(() => decodeCheckpoint(withHeader(bytes, (h) => delete h.__metadata__)), /no "__metadata__.noether" entry/);
  rejects(
    () => decodeCheckpoint(withHeader(bytes, (h) => ((h.__metadata__ as Record<string, string>).noether = "{oops"))),
    /metadata "noether" is not valid JSON/,
  );
});

test("loading into a model checks every tensor's shape and dtype against the template", () => {
  const bytes = encoded(); // MLP [2, 5, 1], float32
  const wrong = state("float32", [3, 5, 1]);
  rejects(
    () => decodeCheckpoint(bytes, { params: wrong.params }),
    /checkpoint tensor params.layers.0.w has shape \[2, 5\], model expects \[3, 5\]/,
  );
  const deeper = state("float32", [2, 5, 5, 1]);
  rejects(
    () => decodeCheckpoint(bytes, { params: deeper.params }),
    /no tensor params.layers.2.b, which the model expects/,
  );
  const shallower = state("float32", [2, 1]);
  rejects(
    () => decodeCheckpoint(bytes, { params: shallower.params }),
    /has tensor params.layers.1.b \[1\], which the model does not have/,
  );
  const f64 = state("float64");
  rejects(() => decodeCheckpoint(bytes, { params: f64.params }), /params.layers.0.b has dtype F32, model expects F64/);
  rejects(
    () => decodeCheckpoint(bytes, { params: { layers: [{ w: np.zeros([2, 5]), b: np.zeros([5]) }] } }),
    /tensor params.layers.1.b \[1\], which the model does not have/,
  );
  tree.dispose([wrong, deeper, shallower, f64].flatMap((s) => [s.params, s.optState]));
});

test("checkpoint files: save/load, errors name the file, and a failed save keeps the previous file", async () => {
  const dir = mkdtempSync(join(tmpdir(), "noether-ckpt-"));
  try {
    const file = join(dir, "run.safetensors");
    const s = state("float32");
    await saveCheckpoint(file, s);
    const good = readFileSync(file);
    const back = await loadCheckpoint(file, { params: s.params });
    assert.deepEqual(values(back.params), values(s.params));
    assert.deepEqual(back.meta, s.meta);
    tree.dispose([back.params, back.optState]);

    // The encode fails (a disposed array in the state): nothing is written, the old file stays.
    const bad = state("float32");
    (bad.params as { layers: { w: JArray }[] }).layers[0]!.w.dispose();
    await assert.rejects(saveCheckpoint(file, bad));
    assert.deepEqual(readFileSync(file), good);
    // The write fails (target directory missing): a CheckpointError naming the path.
    await assert.rejects(
      saveCheckpoint(join(dir, "missing", "x.safetensors"), s),
      (e: unknown) => e instanceof CheckpointError && /missing\/x.safetensors failed/.test((e as Error).message),
    );
    // The rename fails (a directory is in the way): the temporary file is removed.
    const blocked = join(dir, "blocked");
    (await import("node:fs")).mkdirSync(join(blocked, "inner"), { recursive: true });
    await assert.rejects(saveCheckpoint(blocked, s), CheckpointError);
    assert.deepEqual(readdirSync(dir).sort(), ["blocked", "run.safetensors"]);

    await assert.rejects(loadCheckpoint(join(dir, "nope.safetensors")), /no checkpoint at .*nope.safetensors/);
    writeFileSync(join(dir, "trunc.safetensors"), good.subarray(0, 100));
    await assert.rejects(
      loadCheckpoint(join(dir, "trunc.safetensors")),
      (e: unknown) =>
        e instanceof CheckpointError && /trunc.safetensors: checkpoint header length/.test((e as Error).message),
    );
    tree.dispose([s.params, s.optState]);
    tree.dispose((bad.params as { layers: { b: JArray }[] }).layers.map((l) => l.b));
    tree.dispose([(bad.params as { layers: { w: JArray }[] }).layers[1]!.w, bad.optState]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
