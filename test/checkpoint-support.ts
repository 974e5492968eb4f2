/** Helpers of the checkpoint tests: rewriting a file's header, and asserting CheckpointErrors. */
import assert from "node:assert/strict";
import { CheckpointError } from "../src/core/errors.js";

/** The header JSON of safetensors `bytes` rewritten by `edit`, the data section unchanged. */
export function withHeader(bytes: Uint8Array, edit: (h: Record<string, unknown>) => void): Uint8Array {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const h = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>;
  edit(h);
  const json = new TextEncoder().encode(JSON.stringify(h));
  const out = new Uint8Array(8 + json.length + bytes.length - 8 - n);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(bytes.subarray(8 + n), 8 + json.length);
  return out;
}

/** Asserts that `f` throws a CheckpointError whose message matches `re`. */
export function rejects(f: () => unknown, re: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof CheckpointError, `expected CheckpointError, got ${e}`);
    assert.match((e as Error).message, re);
    return true;
  });
}
