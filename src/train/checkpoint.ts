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
 *
 * Integrity (safetensors itself has no checksum): noether's block also holds SHA-256 digests
 * (@noble/hashes) of every tensor's bytes and of the header's content (meta, structure, and each
 * tensor's dtype, shape and offsets), verified on load; a mismatch names the tensor. Files
 * without digests (other tools, older noether) load with a warning. The data section must be
 * tiled exactly by the tensors (no gaps, overlaps or trailing bytes), and float tensors must be
 * finite unless `allowNonFinite` is set.
 */
import { Array as JArray, numpy as np, type DType } from "../jax.js";
import { CheckpointError, fmtShape } from "../core/errors.js";
import { flattenWithPaths, unflattenWithPaths, type Params } from "../core/tree.js";
import type { OptState } from "./optim.js";
import { fromHost } from "../core/host.js";
import { sha256 } from "@noble/hashes/sha2";
import { bytesToHex } from "@noble/hashes/utils";

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
  const meta = state.meta as unknown;
  if (meta === null || typeof meta !== "object" || globalThis.Array.isArray(meta))
    throw new CheckpointError(`encodeCheckpoint: meta must be an object, got ${JSON.stringify(meta)}`);
  for (const k of ["step", "epoch"] as const) {
    const v = state.meta[k];
    if (!Number.isSafeInteger(v) || v < 0)
      throw new CheckpointError(`encodeCheckpoint: meta.${k} must be an integer ≥ 0, got ${JSON.stringify(v)}`);
  }
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
  const tensorInfos: TensorInfo[] = entries.map(([name, a]) => {
    const [begin, end] = (header[name] as { data_offsets: [number, number] }).data_offsets;
    return { name, dtype: TO_SAFE[a.dtype]!, shape: [...a.shape], begin, end };
  });
  const digests = {
    header: headerDigest(state.meta, structure, tensorInfos),
    tensors: Object.fromEntries(
      entries.map(([name], i) => {
        const d = datas[i]!;
        return [name, bytesToHex(sha256(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)))];
      }),
    ),
  };
  header.__metadata__ = {
    [META_KEY]: JSON.stringify({ format: FORMAT, meta: state.meta, structure, sha256: digests }),
  };
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

/** SHA-256 (hex) of the header's content: meta, structure, and each tensor's name, dtype, shape and offsets. */
function headerDigest(meta: unknown, structure: unknown, tensors: readonly TensorInfo[]): string {
  const table = [...tensors]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((t) => [t.name, t.dtype, t.shape, t.begin, t.end]);
  return bytesToHex(sha256(new TextEncoder().encode(JSON.stringify({ meta, structure, table }))));
}

/** Digests stored by noether: of the header's content and of each tensor's bytes (hex SHA-256). */
export interface CheckpointDigests {
  header: string;
  tensors: Record<string, string>;
}

/** The parsed, validated header of a checkpoint (no arrays created). */
export interface CheckpointHeader {
  tensors: TensorInfo[];
  meta: CheckpointMeta;
  structure: { params: unknown; opt: unknown };
  /** Byte offset of the data section in the file. */
  dataStart: number;
  /** The stored digests, verified against the header already; absent in files written before them. */
  digests?: CheckpointDigests;
}

/** Options of the decoders. */
export interface DecodeOptions {
  /** Accept NaN/±Inf in float tensors (default: a CheckpointError naming the tensor). */
  allowNonFinite?: boolean;
  /** Receives warnings, e.g. that a file carries no digests (default: console.warn). */
  onWarning?: (message: string) => void;
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
  // The tensors must tile the data section exactly, as the format requires: no overlap, no gap,
  // nothing after the last one.
  const sorted = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1]!, sorted[i]!];
    if (b.begin < a.end)
      fail(`checkpoint tensors ${a.name} [${a.begin}, ${a.end}] and ${b.name} [${b.begin}, ${b.end}] overlap`);
  }
  let pos = 0;
  let prev = "the start of the data section";
  for (const t of sorted) {
    if (t.begin > pos) fail(`checkpoint has a gap of ${t.begin - pos} bytes between ${prev} and tensor ${t.name}`);
    pos = t.end;
    prev = `${t.name} [${t.begin}, ${t.end}]`;
  }
  if (pos !== dataLen)
    fail(
      `checkpoint has ${dataLen - pos} trailing bytes after ${sorted.length > 0 ? `the last tensor (${prev})` : "a header with no tensors"}`,
    );
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
  let block: { format?: unknown; meta?: unknown; structure?: { params?: unknown; opt?: unknown }; sha256?: unknown };
  try {
    block = JSON.parse(metadata[META_KEY]!);
  } catch (e) {
    return fail(`checkpoint metadata "${META_KEY}" is not valid JSON (${(e as Error).message})`);
  }
  if (block === null || typeof block !== "object") fail(`checkpoint metadata "${META_KEY}" is not a JSON object`);
  if (block.format !== FORMAT)
    fail(`checkpoint format ${JSON.stringify(block.format)} is not supported (expected ${FORMAT})`);
  const meta = block.meta as CheckpointMeta;
  if (meta === null || typeof meta !== "object" || globalThis.Array.isArray(meta))
    fail(`checkpoint meta must be a JSON object, got ${JSON.stringify(block.meta)}`);
  for (const k of ["step", "epoch"] as const) {
    const v = meta[k];
    if (!Number.isSafeInteger(v) || (v as number) < 0)
      fail(`checkpoint meta.${k} must be an integer ≥ 0, got ${JSON.stringify(v)}`);
  }
  if (meta.seed !== undefined && !Number.isSafeInteger(meta.seed))
    fail(`checkpoint meta.seed must be an integer when present, got ${JSON.stringify(meta.seed)}`);
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
  let digests: CheckpointDigests | undefined;
  if (block.sha256 !== undefined) {
    const d = block.sha256 as CheckpointDigests;
    const hex = (v: unknown): boolean => typeof v === "string" && /^[0-9a-f]{64}$/.test(v);
    if (
      d === null ||
      typeof d !== "object" ||
      !hex(d.header) ||
      d.tensors === null ||
      typeof d.tensors !== "object" ||
      tensors.some((t) => !hex(d.tensors[t.name])) ||
      Object.keys(d.tensors).length !== tensors.length
    )
      fail(
        "checkpoint sha256 digests are malformed (expected one 64-digit hex digest per tensor and one for the header)",
      );
    if (headerDigest(block.meta, block.structure, tensors) !== d.header)
      fail(
        "checkpoint header does not match its SHA-256 digest: its meta, structure or tensor table (dtypes, shapes, offsets) was altered",
      );
    digests = d;
  }
  return {
    tensors,
    meta,
    structure: structure as { params: unknown; opt: unknown },
    dataStart,
    ...(digests ? { digests } : {}),
  };
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

type HostData = Float32Array | Float64Array | Int32Array | Uint32Array;

/** A typed-array view (copied) of one tensor's bytes. */
function tensorData(
  bytes: Uint8Array,
  dataStart: number,
  t: TensorInfo,
): Float32Array | Float64Array | Int32Array | Uint32Array {
  // Typed arrays use the host's byte order, which is little-endian on every platform jax-js runs
  // on (x86, ARM, Wasm), as safetensors requires.
  const buf = bytes.slice(dataStart + t.begin, dataStart + t.end).buffer;
  return t.dtype === "F32"
    ? new Float32Array(buf)
    : t.dtype === "F64"
      ? new Float64Array(buf)
      : t.dtype === "I32"
        ? new Int32Array(buf)
        : new Uint32Array(buf);
}

/** Count of NaN/±Inf values of a float tensor (0 for integer tensors). */
function nonFiniteCount(t: TensorInfo, data: ArrayLike<number>): number {
  if (t.dtype !== "F32" && t.dtype !== "F64") return 0;
  let bad = 0;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) bad++;
  return bad;
}

/**
 * Checks every tensor's bytes before any array exists: against its digest when the file has
 * them (else one warning), and for non-finite values unless allowed. Returns each tensor's host
 * copy by name (the only copy the decoders make).
 */
function verifyTensors(
  bytes: Uint8Array,
  dataStart: number,
  tensors: readonly TensorInfo[],
  digests: CheckpointDigests | undefined,
  opts: DecodeOptions,
  origin: string,
): Map<string, HostData> {
  if (digests === undefined)
    (opts.onWarning ?? ((m: string) => console.warn(m)))(
      `checkpoint ${origin} carries no SHA-256 digests: its tensor bytes cannot be verified`,
    );
  const host = new Map<string, HostData>();
  for (const t of tensors) {
    const raw = bytes.subarray(dataStart + t.begin, dataStart + t.end);
    if (digests !== undefined && bytesToHex(sha256(raw)) !== digests.tensors[t.name])
      fail(`checkpoint tensor ${t.name} is corrupt: its bytes do not match the stored SHA-256 digest`);
    const data = tensorData(bytes, dataStart, t);
    host.set(t.name, data);
    if (!opts.allowNonFinite) {
      const bad = nonFiniteCount(t, data);
      if (bad > 0)
        fail(
          `checkpoint tensor ${t.name} holds ${bad} non-finite value(s) (NaN/Inf); pass allowNonFinite to load it anyway`,
        );
    }
  }
  return host;
}

/** One tensor as a jax-js array, from its verified host copy. */
function tensorArray(host: Map<string, HostData>, t: TensorInfo): JArray {
  return fromHost(host.get(t.name)!, t.shape, { dtype: FROM_SAFE[t.dtype].dtype });
}

/**
 * Decodes any safetensors file into named arrays and its `__metadata__` strings: for files written
 * by other tools (e.g. PyTorch). Validates the whole header before creating an array.
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  opts: DecodeOptions = {},
): {
  tensors: Record<string, JArray>;
  metadata: Record<string, string>;
} {
  const header = readSafetensorsHeader(bytes);
  const digests = typeof header.metadata[META_KEY] === "string" ? readCheckpointHeader(bytes).digests : undefined;
  const host = verifyTensors(bytes, header.dataStart, header.tensors, digests, opts, "file");
  return {
    tensors: Object.fromEntries(header.tensors.map((t) => [t.name, tensorArray(host, t)])),
    metadata: header.metadata,
  };
}

/**
 * A safetensors file without noether's metadata (written by another tool), read into the shape of
 * `params`: its tensors must be named by the template's dotted paths, with or without a `params.`
 * prefix (`params.layers.0.w` or `layers.0.w`), with the template's shapes and dtypes.
 */
function decodeForeign(
  bytes: Uint8Array,
  header: SafetensorsHeader,
  params: Params,
  opts: DecodeOptions,
): CheckpointState {
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
  const host = verifyTensors(bytes, header.dataStart, tensors, undefined, opts, "(written by another tool)");
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const leaves = new Map(paths.map((p) => [p, tensorArray(host, byName.get(join("params", p))!)]));
  return {
    params: unflattenWithPaths<JArray>(params as never, leaves, isArr) as Params,
    optState: {},
    meta: { step: 0, epoch: 0 },
  };
}

/**
 * Decodes safetensors `bytes` into `{ params, optState, meta }`. With a template, also checks
 * that every tensor exists with the template's shape and dtype (and no extra ones); every
 * tensor's bytes are checked against their digest and for non-finite values (see
 * DecodeOptions). Throws `CheckpointError` before creating any array when anything is wrong. A file that another tool
 * wrote (no noether metadata) loads when a params template is given: see `decodeForeign`
 * (optState `{}`, meta `{ step: 0, epoch: 0 }`).
 */
export function decodeCheckpoint(
  bytes: Uint8Array,
  template: CheckpointTemplate = {},
  opts: DecodeOptions = {},
): CheckpointState {
  const st = readSafetensorsHeader(bytes);
  if (typeof st.metadata[META_KEY] !== "string" && template.params !== undefined)
    return decodeForeign(bytes, st, template.params, opts);
  const header = readCheckpointHeader(bytes);
  if (template.params !== undefined) checkAgainst("params", template.params, header);
  if (template.optState !== undefined) checkAgainst("opt", template.optState, header);
  const host = verifyTensors(
    bytes,
    header.dataStart,
    header.tensors,
    header.digests,
    opts,
    "(written before digests were stored)",
  );
  const arrays = new Map(header.tensors.map((t) => [t.name, tensorArray(host, t)]));
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

/** One tensor as `inspectSafetensors` reports it: min/max over its finite values (null if none). */
export interface TensorSummary {
  name: string;
  dtype: string;
  shape: number[];
  min: number | null;
  max: number | null;
  nonFinite: number;
}

/** What a safetensors file holds, verified (see `inspectSafetensors`). */
export interface SafetensorsReport {
  tensors: TensorSummary[];
  /** The raw `__metadata__` strings. */
  metadata: Record<string, string>;
  /** noether's meta (step, epoch, …) when noether wrote the file, else null. */
  meta: CheckpointMeta | null;
  /** Whether SHA-256 digests were present (and so checked); false for files of other tools. */
  verified: boolean;
}

/**
 * Validates a safetensors file as the decoders do (header, offsets tiling the data, and for
 * noether's files the structure and every digest) without creating arrays, and summarises each
 * tensor. Non-finite values are counted, not rejected. Throws `CheckpointError` on corruption.
 */
export function inspectSafetensors(bytes: Uint8Array): SafetensorsReport {
  const header = readSafetensorsHeader(bytes);
  const ours = typeof header.metadata[META_KEY] === "string" ? readCheckpointHeader(bytes) : undefined;
  const digests = ours?.digests;
  const host = verifyTensors(
    bytes,
    header.dataStart,
    header.tensors,
    digests,
    { allowNonFinite: true, onWarning: () => undefined },
    "",
  );
  const tensors = [...header.tensors]
    .sort((a, b) => a.begin - b.begin)
    .map((t) => {
      const data = host.get(t.name)!;
      let min = Infinity;
      let max = -Infinity;
      let nonFinite = 0;
      for (let i = 0; i < data.length; i++) {
        const v = data[i]!;
        if (!Number.isFinite(v)) nonFinite++;
        else {
          if (v < min) min = v;
          if (v > max) max = v;
        }
      }
      return {
        name: t.name,
        dtype: t.dtype,
        shape: t.shape,
        min: min === Infinity ? null : min,
        max: max === -Infinity ? null : max,
        nonFinite,
      };
    });
  return { tensors, metadata: header.metadata, meta: ours?.meta ?? null, verified: digests !== undefined };
}
