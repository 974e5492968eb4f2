/**
 * Checkpoints in the safetensors format (browser-safe: no Node imports).
 *
 * Layout: 8-byte little-endian u64 header length N, N bytes of UTF-8 JSON header
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": { key: string } }`,
 * then the raw little-endian tensor bytes (offsets relative to the end of the header).
 * Tensor names are dotted tree paths prefixed `params.` and `opt.`; noether's own JSON block
 * (meta: step, epoch, seed, config, … and the tree structures) is stored as a string under
 * `__metadata__.noether`, so files open in any safetensors reader.
 *
 * The codec is written here (~150 lines) because npm has no maintained safetensors package
 * (the `safetensors` package is a 0.0.1 stub). Decoding validates the whole file, and the
 * template if one is given, before it creates a single jax-js array: a bad file never
 * half-loads.
 */
import { Array as JArray, numpy as np, type DType } from "../jax.js";
import { CheckpointError, fmtShape } from "../core/errors.js";
import { flattenWithPaths, unflattenWithPaths, type Params } from "../core/tree.js";
import type { OptState } from "./optim.js";
import { fromHost } from "../core/host.js";

/** Bookkeeping stored with a checkpoint (JSON-serialisable). */
export interface CheckpointMeta {
  /** Optimiser steps taken so far (the next step is `step + 1`). */
  step: number;
  /** Epochs completed so far (the next epoch to run, 0-based). */
  epoch: number;
  /** The data-shuffling seed of the run. */
  seed?: number;
  /** Free-form run configuration (model, optimiser, schedule, …). */
  config?: unknown;
  [key: string]: unknown;
}

/** What a checkpoint holds: parameters, optimiser state (may be `{}`), and meta. */
export interface CheckpointState {
  params: Params;
  optState: OptState;
  meta: CheckpointMeta;
}

/** Trees to check a checkpoint against (e.g. `model.init(key)` and `opt.init(params)`); borrowed. */
export interface CheckpointTemplate {
  params?: Params;
  optState?: OptState;
}

type SafeDtype = "F32" | "F64" | "I32" | "U32";
const TO_SAFE: Record<string, SafeDtype> = { float32: "F32", float64: "F64", int32: "I32", uint32: "U32" };
const FROM_SAFE: Record<SafeDtype, { dtype: DType; bytes: number }> = {
  F32: { dtype: np.float32, bytes: 4 },
  F64: { dtype: np.float64, bytes: 8 },
  I32: { dtype: np.int32, bytes: 4 },
  U32: { dtype: np.uint32, bytes: 4 },
};
const META_KEY = "noether";
const FORMAT = 1;
const isNull = (x: unknown): boolean => x === null;
const isArr = (x: unknown): boolean => x instanceof JArray;

/** The tree with every array leaf replaced by null (its structure, for the header). */
function skeleton(t: unknown): unknown {
  if (isArr(t)) return null;
  if (globalThis.Array.isArray(t)) return t.map(skeleton);
  if (t !== null && typeof t === "object") {
    return Object.fromEntries(Object.entries(t as Record<string, unknown>).map(([k, v]) => [k, skeleton(v)]));
  }
  throw new CheckpointError(
    `encodeCheckpoint: unexpected ${typeof t} in a parameter tree (expected jax-js arrays, objects, arrays)`,
  );
}

const join = (prefix: string, path: string): string => (path === "" ? prefix : `${prefix}.${path}`);

/** Encodes `state` as safetensors bytes. Borrows every array (reads them synchronously). */
export function encodeCheckpoint(state: CheckpointState): Uint8Array {
  const entries: [string, JArray][] = [];
  const structure = { params: skeleton(state.params), opt: skeleton(state.optState ?? {}) };
  for (const [path, a] of flattenWithPaths<JArray>(state.params as never, isArr))
    entries.push([join("params", path), a]);
  for (const [path, a] of flattenWithPaths<JArray>((state.optState ?? {}) as never, isArr))
    entries.push([join("opt", path), a]);
  for (const [name, a] of entries) {
    if (TO_SAFE[a.dtype] === undefined)
      throw new CheckpointError(
        `encodeCheckpoint: tensor ${name} has dtype ${a.dtype}; supported: float32, float64, int32, uint32`,
      );
  }
  const datas = entries.map(([, a]) => a.ref.dataSync());
  const header: Record<string, unknown> = {};
  let offset = 0;
  entries.forEach(([name, a], i) => {
    const n = datas[i]!.byteLength;
    header[name] = { dtype: TO_SAFE[a.dtype], shape: [...a.shape], data_offsets: [offset, offset + n] };
    offset += n;
  });
  header.__metadata__ = { [META_KEY]: JSON.stringify({ format: FORMAT, meta: state.meta, structure }) };
  let json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - (json.length % 8)) % 8; // align the data to 8 bytes (spaces are valid JSON)
  if (pad > 0) json = new TextEncoder().encode(JSON.stringify(header) + " ".repeat(pad));
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const d of datas) {
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), pos);
    pos += d.byteLength;
  }
  return out;
}

interface TensorInfo {
  name: string;
  dtype: SafeDtype;
  shape: number[];
  begin: number;
  end: number;
}

/** The parsed, validated header of a checkpoint (no arrays created). */
export interface CheckpointHeader {
  tensors: TensorInfo[];
  meta: CheckpointMeta;
  structure: { params: unknown; opt: unknown };
  /** Byte offset of the data section in the file. */
  dataStart: number;
}

const fail = (msg: string): never => {
  throw new CheckpointError(msg);
};

/** A validated safetensors header: tensors (offsets relative to `dataStart`) and string metadata. */
export interface SafetensorsHeader {
  tensors: TensorInfo[];
  /** `__metadata__` (string → string), or {} when the file has none. */
  metadata: Record<string, string>;
  /** Byte offset of the data section in the file. */
  dataStart: number;
}

/**
 * Parses and validates the header of any safetensors file (written by noether, PyTorch's
 * `safetensors`, or by hand): 8-byte little-endian length, JSON, then every tensor's dtype, shape
 * and byte range checked against the data section (in range, the right size, no overlaps).
 */
export function readSafetensorsHeader(bytes: Uint8Array): SafetensorsHeader {
  if (!(bytes instanceof Uint8Array)) fail(`checkpoint: expected a Uint8Array, got ${typeof bytes}`);
  if (bytes.length < 8)
    fail(
      `checkpoint is ${bytes.length} bytes, shorter than the 8-byte safetensors header length (truncated or empty file)`,
    );
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8))
    fail(
      `checkpoint header length ${n} exceeds the ${bytes.length - 8} bytes after the length field (truncated or not a safetensors file)`,
    );
  const dataStart = 8 + Number(n);
  const dataLen = bytes.length - dataStart;
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (e) {
    fail(`checkpoint header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== "object" || globalThis.Array.isArray(header))
    fail("checkpoint header is not a JSON object");
  const h = header as Record<string, unknown>;
  const md = h.__metadata__ ?? {};
  if (
    md === null ||
    typeof md !== "object" ||
    globalThis.Array.isArray(md) ||
    !Object.values(md).every((v) => typeof v === "string")
  ) {
    fail("checkpoint __metadata__ must be an object of strings");
  }
  const tensors: TensorInfo[] = [];
  for (const [name, v] of Object.entries(h)) {
    if (name === "__metadata__") continue;
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e === null || typeof e !== "object") fail(`checkpoint tensor ${name}: header entry is not an object`);
    const dtype = e.dtype as SafeDtype;
    if (typeof dtype !== "string" || FROM_SAFE[dtype] === undefined)
      fail(`checkpoint tensor ${name}: unknown dtype ${JSON.stringify(e.dtype)} (supported: F32, F64, I32, U32)`);
    const shape = e.shape as number[];
    if (!globalThis.Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
      fail(`checkpoint tensor ${name}: shape ${JSON.stringify(e.shape)} is not a list of non-negative integers`);
    const off = e.data_offsets as number[];
    if (!globalThis.Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0))
      fail(
        `checkpoint tensor ${name}: data_offsets ${JSON.stringify(e.data_offsets)} is not a pair of non-negative integers`,
      );
    const [begin, end] = off as [number, number];
    if (begin > end || end > dataLen)
      fail(
        `checkpoint tensor ${name}: data_offsets [${begin}, ${end}] out of range (data section is ${dataLen} bytes; truncated file?)`,
      );
    const want = shape.reduce((a, b) => a * b, 1) * FROM_SAFE[dtype].bytes;
    if (end - begin !== want)
      fail(`checkpoint tensor ${name}: ${end - begin} bytes for ${dtype} ${fmtShape(shape)}, expected ${want}`);
    tensors.push({ name, dtype, shape, begin, end });
  }
  const sorted = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1]!, sorted[i]!];
    if (b.begin < a.end)
      fail(`checkpoint tensors ${a.name} [${a.begin}, ${a.end}] and ${b.name} [${b.begin}, ${b.end}] overlap`);
  }
  return { tensors, metadata: md as Record<string, string>, dataStart };
}

/** Parses and validates the header of safetensors `bytes` written by `encodeCheckpoint`. */
export function readCheckpointHeader(bytes: Uint8Array): CheckpointHeader {
  const { tensors, metadata, dataStart } = readSafetensorsHeader(bytes);
  if (typeof metadata[META_KEY] !== "string") {
    fail(
      `checkpoint has no "__metadata__.${META_KEY}" entry: not written by noether (load it with decodeSafetensors, or decodeCheckpoint with a params template)`,
    );
  }
  let block: { format?: unknown; meta?: unknown; structure?: { params?: unknown; opt?: unknown } };
  try {
    block = JSON.parse(metadata[META_KEY]!);
  } catch (e) {
    return fail(`checkpoint metadata "${META_KEY}" is not valid JSON (${(e as Error).message})`);
  }
  if (block === null || typeof block !== "object") fail(`checkpoint metadata "${META_KEY}" is not a JSON object`);
  if (block.format !== FORMAT)
    fail(`checkpoint format ${JSON.stringify(block.format)} is not supported (expected ${FORMAT})`);
  const meta = block.meta as CheckpointMeta;
  if (meta === null || typeof meta !== "object" || !Number.isInteger(meta.step) || !Number.isInteger(meta.epoch)) {
    fail("checkpoint meta must be an object with integer step and epoch");
  }
  const structure = block.structure;
  if (
    structure === null ||
    typeof structure !== "object" ||
    structure.params === undefined ||
    structure.opt === undefined
  ) {
    fail("checkpoint metadata lacks the params/opt tree structure");
  }

  // The stored structure must name exactly the stored tensors.
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const expected = new Set<string>();
  for (const [prefix, skel] of [
    ["params", structure!.params],
    ["opt", structure!.opt],
  ] as const) {
    let paths: [string, unknown][];
    try {
      paths = flattenWithPaths<unknown>(skel as never, isNull);
    } catch (e) {
      return fail(`checkpoint ${prefix} structure is malformed (${(e as Error).message})`);
    }
    for (const [p] of paths) expected.add(join(prefix, p));
  }
  for (const name of expected)
    if (!byName.has(name)) fail(`checkpoint is missing tensor ${name} (listed in its structure)`);
  for (const name of byName.keys())
    if (!expected.has(name)) fail(`checkpoint has unexpected tensor ${name} (not in its structure)`);
  return { tensors, meta, structure: structure as { params: unknown; opt: unknown }, dataStart };
}

function checkAgainst(prefix: string, template: unknown, header: CheckpointHeader): void {
  const byName = new Map(header.tensors.map((t) => [t.name, t]));
  const want = flattenWithPaths<JArray>(template as never, isArr).map(([p, a]) => [join(prefix, p), a] as const);
  const wantNames = new Set(want.map(([n]) => n));
  for (const [name, a] of want) {
    if (!byName.has(name))
      fail(`checkpoint has no tensor ${name}, which the model expects (shape ${fmtShape(a.shape)})`);
  }
  for (const t of header.tensors) {
    if ((t.name === prefix || t.name.startsWith(`${prefix}.`)) && !wantNames.has(t.name)) {
      fail(`checkpoint has tensor ${t.name} ${fmtShape(t.shape)}, which the model does not have`);
    }
  }
  for (const [name, a] of want) {
    const t = byName.get(name)!;
    if (t.shape.length !== a.shape.length || t.shape.some((d, i) => d !== a.shape[i])) {
      fail(`checkpoint tensor ${name} has shape ${fmtShape(t.shape)}, model expects ${fmtShape(a.shape)}`);
    }
    if (TO_SAFE[a.dtype] !== t.dtype)
      fail(`checkpoint tensor ${name} has dtype ${t.dtype}, model expects ${TO_SAFE[a.dtype] ?? a.dtype}`);
  }
}

/** One tensor's bytes as a jax-js array (copied: the data may not be aligned for a typed-array view). */
function tensorArray(bytes: Uint8Array, dataStart: number, t: TensorInfo): JArray {
  // Typed arrays use the host's byte order, which is little-endian on every platform jax-js runs
  // on (x86, ARM, Wasm), as safetensors requires.
  const buf = bytes.slice(dataStart + t.begin, dataStart + t.end).buffer;
  const data =
    t.dtype === "F32"
      ? new Float32Array(buf)
      : t.dtype === "F64"
        ? new Float64Array(buf)
        : t.dtype === "I32"
          ? new Int32Array(buf)
          : new Uint32Array(buf);
  return fromHost(data, t.shape, { dtype: FROM_SAFE[t.dtype].dtype });
}

/**
 * Decodes any safetensors file into named arrays and its `__metadata__` strings: for files written
 * by other tools (e.g. PyTorch). Validates the whole header before creating an array.
 */
export function decodeSafetensors(bytes: Uint8Array): {
  tensors: Record<string, JArray>;
  metadata: Record<string, string>;
} {
  const header = readSafetensorsHeader(bytes);
  return {
    tensors: Object.fromEntries(header.tensors.map((t) => [t.name, tensorArray(bytes, header.dataStart, t)])),
    metadata: header.metadata,
  };
}

/**
 * A safetensors file without noether's metadata (written by another tool), read into the shape of
 * `params`: its tensors must be named by the template's dotted paths, with or without a `params.`
 * prefix (`params.layers.0.w` or `layers.0.w`), with the template's shapes and dtypes.
 */
function decodeForeign(bytes: Uint8Array, header: SafetensorsHeader, params: Params): CheckpointState {
  const paths = flattenWithPaths<JArray>(params as never, isArr).map(([p]) => p);
  const names = new Set(header.tensors.map((t) => t.name));
  const prefixed = paths.length > 0 && paths.every((p) => names.has(join("params", p)));
  const tensors = prefixed ? header.tensors : header.tensors.map((t) => ({ ...t, name: join("params", t.name) }));
  checkAgainst("params", params, {
    tensors,
    meta: { step: 0, epoch: 0 },
    structure: { params: null, opt: null },
    dataStart: header.dataStart,
  });
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const leaves = new Map(paths.map((p) => [p, tensorArray(bytes, header.dataStart, byName.get(join("params", p))!)]));
  return {
    params: unflattenWithPaths<JArray>(params as never, leaves, isArr) as Params,
    optState: {},
    meta: { step: 0, epoch: 0 },
  };
}

/**
 * Decodes safetensors `bytes` into `{ params, optState, meta }`. With a template, also checks
 * that every tensor exists with the template's shape and dtype (and no extra ones). Throws
 * `CheckpointError` before creating any array when anything is wrong. A file that another tool
 * wrote (no noether metadata) loads when a params template is given: see `decodeForeign`
 * (optState `{}`, meta `{ step: 0, epoch: 0 }`).
 */
export function decodeCheckpoint(bytes: Uint8Array, template: CheckpointTemplate = {}): CheckpointState {
  const st = readSafetensorsHeader(bytes);
  if (typeof st.metadata[META_KEY] !== "string" && template.params !== undefined)
    return decodeForeign(bytes, st, template.params);
  const header = readCheckpointHeader(bytes);
  if (template.params !== undefined) checkAgainst("params", template.params, header);
  if (template.optState !== undefined) checkAgainst("opt", template.optState, header);
  const arrays = new Map(header.tensors.map((t) => [t.name, tensorArray(bytes, header.dataStart, t)]));
  const rebuild = (prefix: string, skel: unknown): Params => {
    const leaves = new Map<string, JArray>();
    for (const [p] of flattenWithPaths<unknown>(skel as never, isNull)) leaves.set(p, arrays.get(join(prefix, p))!);
    return unflattenWithPaths<JArray>(skel as never, leaves, isNull) as Params;
  };
  return {
    params: rebuild("params", header.structure.params),
    optState: rebuild("opt", header.structure.opt),
    meta: header.meta,
  };
}
