/**
 * Checkpoint integrity: SHA-256 digests of every tensor and of the header, verified on load; the
 * data section tiled exactly; meta and non-finite values validated; stale temporary files of
 * killed saves removed; `noether inspect`. And a seeded fuzz test: thousands of corrupted copies
 * of one checkpoint, none of which may load with values that differ from the original.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { numpy as np, tree, type Array as JArray } from "../src/jax.js";
import { initEngine } from "../src/core/engine.js";
import { CheckpointError } from "../src/core/errors.js";
import { hostRng, makeKey } from "../src/core/rng.js";
import type { Params } from "../src/core/tree.js";
import { MLP } from "../src/nn/layers.js";
import { loadCheckpoint, removeStaleTemporaries, saveCheckpoint } from "../src/node/checkpoint-file.js";
import {
  adam,
  decodeCheckpoint,
  decodeSafetensors,
  encodeCheckpoint,
  inspectSafetensors,
  readSafetensorsHeader,
  type CheckpointState,
} from "../src/train/index.js";
import { cli, lastJson } from "./cli-support.js";

import { rejects, withHeader } from "./checkpoint-support.js";

await initEngine();

const tmp = mkdtempSync(join(tmpdir(), "noether-ckpt-"));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

function state(): CheckpointState {
  const net = MLP([2, 5, 1], { dtype: "float32" });
  const params = net.init(makeKey(0));
  return { params, optState: adam().init(params), meta: { step: 12, epoch: 3, seed: 7, config: { act: "tanh" } } };
}

function encoded(edit?: (s: CheckpointState) => void): Uint8Array {
  const s = state();
  edit?.(s);
  const bytes = encodeCheckpoint(s);
  tree.dispose([s.params, s.optState]);
  return bytes;
}

/** Every leaf's values, for comparing decoded states. */
function leafValues(p: Params): number[][] {
  return (tree.leaves(p) as JArray[]).map((a) => Array.from(a.ref.dataSync()));
}

/** The same file without noether's metadata block (as another tool would write it). */
const foreign = (bytes: Uint8Array): Uint8Array => withHeader(bytes, (h) => delete h.__metadata__);

test("a flipped byte in any tensor is caught and the tensor named; the untouched file loads", () => {
  const bytes = encoded();
  const { tensors, dataStart } = readSafetensorsHeader(bytes);
  const ok = decodeCheckpoint(bytes);
  tree.dispose([ok.params, ok.optState]);
  for (const t of tensors) {
    if (t.end === t.begin) continue;
    const bad = bytes.slice();
    bad[dataStart + t.begin + ((t.end - t.begin) >> 1)]! ^= 0x01; // one bit
    rejects(
      () => decodeCheckpoint(bad),
      new RegExp(`tensor ${t.name.replaceAll(".", "\\.")} is corrupt: its bytes do not match`),
    );
  }
});

test("the header digest covers meta, structure and the tensor table: swapped offsets, edited meta", () => {
  const bytes = encoded();
  // Two tensors of the same size with their offsets swapped: a valid tiling, wrong values.
  rejects(
    () =>
      decodeCheckpoint(
        withHeader(bytes, (h) => {
          const a = h["opt.mu.layers.0.b"] as { data_offsets: number[] };
          const b = h["opt.nu.layers.0.b"] as { data_offsets: number[] };
          [a.data_offsets, b.data_offsets] = [b.data_offsets, a.data_offsets];
        }),
      ),
    /header does not match its SHA-256 digest/,
  );
  rejects(
    () =>
      decodeCheckpoint(
        withHeader(bytes, (h) => {
          const md = h.__metadata__ as Record<string, string>;
          md.noether = md.noether!.replace('"tanh"', '"relu"');
        }),
      ),
    /header does not match its SHA-256 digest: its meta, structure or tensor table/,
  );
  rejects(
    () =>
      decodeCheckpoint(
        withHeader(bytes, (h) => {
          const md = h.__metadata__ as Record<string, string>;
          md.noether = md.noether!.replace(/"header":"[0-9a-f]{64}"/, '"header":"xyz"');
        }),
      ),
    /digests are malformed/,
  );
});

test("the data section must be tiled exactly: gaps and trailing bytes are errors", () => {
  const bytes = encoded();
  const plus = new Uint8Array(bytes.length + 3);
  plus.set(bytes);
  rejects(() => decodeCheckpoint(plus), /checkpoint has 3 trailing bytes after the last tensor/);
  rejects(() => decodeSafetensors(foreign(plus), { onWarning: () => undefined }), /3 trailing bytes/);
  // A tensor moved one element later: a gap before it (and its old end now overlaps or leaves one).
  rejects(
    () =>
      decodeCheckpoint(
        withHeader(bytes, (h) => {
          const first = Object.entries(h)
            .filter(([k]) => k !== "__metadata__")
            .map(([, v]) => v as { data_offsets: number[] })
            .find((v) => v.data_offsets[0] === 0)!;
          first.data_offsets = [0, first.data_offsets[1]! - 4];
        }),
      ),
    /bytes for F32|gap of 4 bytes/,
  );
});

test("meta is validated on save and on load: step and epoch are integers ≥ 0", () => {
  for (const [k, v] of [
    ["step", -1],
    ["epoch", 1.5],
    ["step", Number.NaN],
  ] as const) {
    assert.throws(
      () => encoded((s) => ((s.meta as Record<string, unknown>)[k] = v)),
      (e: unknown) =>
        e instanceof CheckpointError && new RegExp(`meta\\.${k} must be an integer ≥ 0`).test((e as Error).message),
    );
  }
  // A crafted file (meta edited, digests then recomputed cannot be done by hand): the meta check comes first.
  const bytes = encoded();
  rejects(
    () =>
      decodeCheckpoint(
        withHeader(bytes, (h) => {
          const md = h.__metadata__ as Record<string, string>;
          md.noether = md.noether!.replace('"step":12', '"step":-3');
        }),
      ),
    /meta\.step must be an integer ≥ 0, got -3/,
  );
});

test("non-finite tensor values are reported (allowNonFinite loads them); inspect counts them", () => {
  const bytes = encoded((s) => {
    const p = s.params as { layers: { w: JArray }[] };
    const w = p.layers[0]!.w;
    p.layers[0]!.w = w.ref.add(
      np.array([
        [Number.NaN, 0, 0, 0, Number.POSITIVE_INFINITY],
        [0, 0, 0, 0, 0],
      ]),
    );
    w.dispose();
  });
  rejects(() => decodeCheckpoint(bytes), /tensor params\.layers\.0\.w holds 2 non-finite value\(s\)/);
  const s = decodeCheckpoint(bytes, {}, { allowNonFinite: true });
  const loaded = leafValues(s.params).flat();
  assert.equal(loaded.filter(Number.isNaN).length, 1);
  assert.equal(loaded.filter((v) => v === Number.POSITIVE_INFINITY).length, 1);
  tree.dispose([s.params, s.optState]);
  const r = inspectSafetensors(bytes);
  assert.equal(r.verified, true);
  assert.equal(r.tensors.find((t) => t.name === "params.layers.0.w")!.nonFinite, 2);
});

test("files without digests (other tools) load with one warning; noether's own load silently", () => {
  const bytes = encoded();
  const warnings: string[] = [];
  const a = decodeSafetensors(foreign(bytes), { onWarning: (m) => warnings.push(m) });
  tree.dispose(Object.values(a.tensors));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /carries no SHA-256 digests: its tensor bytes cannot be verified/);
  const b = decodeCheckpoint(bytes, {}, { onWarning: (m) => warnings.push(m) });
  tree.dispose([b.params, b.optState]);
  assert.equal(warnings.length, 1);
  assert.equal(inspectSafetensors(foreign(bytes)).verified, false);
});

test("fuzz (seeded): no corrupted copy loads with values or meta other than the original's", () => {
  const bytes = encoded();
  const ref = decodeCheckpoint(bytes);
  const want = { params: leafValues(ref.params), opt: leafValues(ref.optState), meta: JSON.stringify(ref.meta) };
  tree.dispose([ref.params, ref.optState]);
  const { tensors, dataStart } = readSafetensorsHeader(bytes);
  const rng = hostRng(2024);
  const rand = (n: number): number => Math.floor(rng() * n);
  const cases: Uint8Array[] = [];
  // 3000 single-byte changes anywhere (length field, header JSON, padding, data).
  for (let i = 0; i < 3000; i++) {
    const c = bytes.slice();
    const at = rand(c.length);
    c[at] = c[at]! ^ (1 + rand(255));
    cases.push(c);
  }
  // 300 bursts of 2–16 random bytes.
  for (let i = 0; i < 300; i++) {
    const c = bytes.slice();
    const at = rand(c.length);
    for (let j = 0; j < 2 + rand(15) && at + j < c.length; j++) c[at + j] = rand(256);
    cases.push(c);
  }
  // Truncations at and around every region boundary, and a few random lengths.
  const cuts = new Set<number>([0, 1, 7, 8, 9, dataStart - 1, dataStart, dataStart + 1, bytes.length - 1]);
  for (const t of tensors) for (const d of [-1, 0, 1]) cuts.add(dataStart + t.begin + d).add(dataStart + t.end + d);
  for (let i = 0; i < 50; i++) cuts.add(rand(bytes.length));
  for (const n of cuts) if (n >= 0 && n < bytes.length) cases.push(bytes.slice(0, n));
  let rejected = 0;
  let identical = 0;
  for (const [i, c] of cases.entries()) {
    let s: CheckpointState;
    try {
      s = decodeCheckpoint(c, {}, { onWarning: () => undefined });
    } catch (e) {
      assert.ok(e instanceof CheckpointError, `case ${i}: ${(e as Error).stack}`);
      rejected++;
      continue;
    }
    const got = { params: leafValues(s.params), opt: leafValues(s.optState), meta: JSON.stringify(s.meta) };
    tree.dispose([s.params, s.optState]);
    assert.deepEqual(got, want, `case ${i} loaded different values silently`);
    identical++;
  }
  // Loads that succeed are changes that mean nothing (e.g. header padding spaces → other whitespace).
  assert.ok(rejected > 0.9 * cases.length, `${rejected} of ${cases.length} rejected`);
  console.log(`fuzz: ${cases.length} corrupted copies, ${rejected} rejected, ${identical} loaded identical values`);
});

test("a save removes temporary files of killed saves (dead pid), not those of live processes", async () => {
  const file = join(tmp, "ck.safetensors");
  const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]).stdout.toString();
  const stale = `ck.safetensors.tmp-${dead}-0badf00d`;
  const live = `ck.safetensors.tmp-${process.pid}-00c0ffee`;
  const other = "notes.tmp-1-abcdef12.txt";
  for (const n of [stale, live, other]) writeFileSync(join(tmp, n), "x");
  const s = state();
  await saveCheckpoint(file, s);
  tree.dispose([s.params, s.optState]);
  const names = readdirSync(tmp);
  assert.ok(!names.includes(stale), names.join(", "));
  assert.ok(names.includes(live) && names.includes(other) && names.includes("ck.safetensors"), names.join(", "));
  assert.deepEqual(await removeStaleTemporaries(join(tmp, "missing-dir")), []);
  const back = await loadCheckpoint(file);
  tree.dispose([back.params, back.optState]);
});

test("noether inspect: verifies and lists; corruption is a one-line error and exit 1; --json", async () => {
  const good = join(tmp, "good.safetensors");
  const bytes = encoded();
  writeFileSync(good, bytes);
  const r = await cli(["inspect", good, "--json"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /12 tensors, every byte verified against its SHA-256 digest/);
  assert.match(r.stdout, /params\.layers\.0\.w\s+F32\s+\[2, 5\]/);
  const j = lastJson(r.stdout) as { verified: boolean; meta: { step: number }; tensors: { name: string }[] };
  assert.equal(j.verified, true);
  assert.equal(j.meta.step, 12);
  assert.equal(j.tensors.length, 12);
  const bad = join(tmp, "bad.safetensors");
  const c = bytes.slice();
  c[c.length - 2]! ^= 0x40;
  writeFileSync(bad, c);
  const rb = await cli(["inspect", bad]);
  assert.equal(rb.code, 1);
  assert.equal(rb.stderr.trim().split("\n").length, 1, rb.stderr);
  assert.match(rb.stderr, /^noether: .*bad\.safetensors: checkpoint tensor \S+ is corrupt/);
  const rf = await cli(["inspect", join(tmp, "nope.safetensors")]);
  assert.equal(rf.code, 1);
  assert.match(rf.stderr, /no file at .*nope\.safetensors/);
  assert.ok(existsSync(good));
});
