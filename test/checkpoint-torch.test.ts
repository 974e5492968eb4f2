/**
 * Checkpoints that other tools read: a noether safetensors file loads into PyTorch tensors, and a
 * file PyTorch writes loads into noether. The Python `safetensors` package is not installable
 * here, so the Python side reads and writes the published format itself (8-byte little-endian
 * header length, JSON header, little-endian buffers) with `torch.frombuffer` / `tensor.numpy()`.
 * Skipped, with the reason printed, when no Python with torch is found.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findTorchPython, TORCH_INSTALL_HINT } from "../bench/python.js";
import { numpy as np, tree, type Array as JArray } from "../src/index.js";
import { initEngine } from "../src/core/engine.js";
import { flattenWithPaths, type Params } from "../src/core/tree.js";
import { makeKey } from "../src/core/rng.js";
import { MLP } from "../src/nn/layers.js";
import { loadCheckpoint, loadSafetensors, saveCheckpoint } from "../src/node/checkpoint-file.js";
import { adam } from "../src/train/optim.js";

await initEngine();
const torch = findTorchPython();
if (torch === null) console.log(`# checkpoint-torch: skipped: ${TORCH_INSTALL_HINT}`);
const skip = torch === null ? TORCH_INSTALL_HINT : false;

const PY = `
import json, struct, sys
import torch

DT = {"F32": torch.float32, "F64": torch.float64, "I32": torch.int32}

def read(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    out = {}
    for name, e in header.items():
        b, end = e["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[b:end]), dtype=DT[e["dtype"]]).reshape(e["shape"])
    return out, meta

def write(path, tensors, names):
    header, chunks, off = {}, [], 0
    for name, t in tensors.items():
        buf = t.contiguous().numpy().tobytes()  # little-endian on x86/ARM
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(buf)]}
        chunks.append(buf)
        off += len(buf)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(chunks))

mode, path = sys.argv[1], sys.argv[2]
if mode == "read":
    ts, meta = read(path)
    print(json.dumps({"meta": meta, "tensors": {k: {"dtype": str(v.dtype), "shape": list(v.shape), "values": v.flatten().tolist()} for k, v in ts.items()}}))
else:
    spec = json.loads(sys.argv[3])
    ts = {}
    for k, (name, e) in enumerate(spec.items()):
        dtype = torch.float64 if e["dtype"] == "float64" else torch.float32
        n = 1
        for d in e["shape"]:
            n *= d
        ts[name] = torch.sin(0.1 * torch.arange(n, dtype=torch.float64) + k).to(dtype).reshape(e["shape"])
    write(path, ts, {torch.float32: "F32", torch.float64: "F64"})
    print(json.dumps({k: v.flatten().tolist() for k, v in ts.items()}))
`;

function py(args: string[]): unknown {
  const r = spawnSync(torch!.python, ["-c", PY, ...args], { encoding: "utf8", timeout: 120_000 });
  assert.equal(r.status, 0, `python failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

const leafValues = (p: Params): Map<string, { shape: number[]; dtype: string; values: number[] }> =>
  new Map(
    flattenWithPaths<JArray>(p as never).map(([k, a]) => [
      k,
      { shape: a.shape, dtype: a.dtype, values: Array.from(a.ref.dataSync() as ArrayLike<number>) },
    ]),
  );

test("a noether checkpoint loads into PyTorch with the same names, shapes and values", { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "noether-torch-"));
  try {
    for (const dtype of ["float32", "float64"] as const) {
      const net = MLP([3, 5, 2], { dtype });
      const params = net.init(makeKey(4));
      const optState = adam().init(tree.ref(params));
      const file = join(dir, `${dtype}.safetensors`);
      await saveCheckpoint(file, { params: tree.ref(params), optState, meta: { step: 7, epoch: 1 } });
      const got = py(["read", file]) as {
        meta: Record<string, string>;
        tensors: Record<string, { dtype: string; shape: number[]; values: number[] }>;
      };
      const want = leafValues(params);
      for (const [path, w] of want) {
        const t = got.tensors[`params.${path}`];
        assert.ok(t, `PyTorch sees no tensor params.${path} (it has ${Object.keys(got.tensors).join(", ")})`);
        assert.equal(t.dtype, `torch.${dtype}`);
        assert.deepEqual(t.shape, w.shape, `params.${path} shape`);
        assert.deepEqual(t.values, w.values, `params.${path} values`); // bit-exact: same bytes
      }
      assert.ok(
        Object.keys(got.tensors).some((k) => k.startsWith("opt.")),
        "optimiser state is in the file too",
      );
      assert.equal(JSON.parse(got.meta.noether!).meta.step, 7);
      tree.dispose([params, optState]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a safetensors file written from PyTorch loads into noether (as a checkpoint with a template, and as named arrays)", {
  skip,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "noether-torch-"));
  try {
    const net = MLP([3, 4, 1], { dtype: "float32" });
    const template = net.init(makeKey(0));
    const spec = Object.fromEntries(
      [...leafValues(template)].map(([k, v]) => [`params.${k}`, { shape: v.shape, dtype: v.dtype }]),
    );
    // One float64 tensor too, read back with decodeSafetensors.
    spec["extra.f64"] = { shape: [2, 3], dtype: "float64" };
    const file = join(dir, "from-torch.safetensors");
    const written = py(["write", file, JSON.stringify(spec)]) as Record<string, number[]>;

    const raw = await loadSafetensors(file);
    assert.deepEqual(Object.keys(raw.tensors).sort(), Object.keys(spec).sort());
    assert.equal(raw.tensors["extra.f64"]!.dtype, "float64");
    for (const [name, a] of Object.entries(raw.tensors)) {
      assert.deepEqual(Array.from(a.dataSync() as ArrayLike<number>), written[name], name);
    }

    // As a checkpoint: the template names what to take; the float64 extra is not under params.
    const { params, meta } = await loadCheckpoint(file, { params: template });
    assert.deepEqual(meta, { step: 0, epoch: 0 });
    for (const [path, v] of leafValues(params)) assert.deepEqual(v.values, written[`params.${path}`], path);
    // The loaded parameters run the model.
    const y = net.apply(params as typeof template, np.ones([2, 3]));
    assert.deepEqual(y.shape, [2, 1]);
    y.dispose();

    // A file whose names do not match the template is refused, naming the tensor.
    const badFile = join(dir, "bad.safetensors");
    py(["write", badFile, JSON.stringify({ "params.nope": { shape: [2], dtype: "float32" } })]);
    await assert.rejects(
      loadCheckpoint(badFile, { params: template }),
      /has no tensor params\.\S+, which the model expects/,
    );
    tree.dispose(template);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
