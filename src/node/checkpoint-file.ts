/**
 * Checkpoint files on disk (Node only): atomic save, validated load.
 */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { CheckpointError } from "../core/errors.js";
import type { Array as JArray } from "../jax.js";
import {
  decodeCheckpoint,
  decodeSafetensors,
  encodeCheckpoint,
  type CheckpointState,
  type CheckpointTemplate,
  type DecodeOptions,
} from "../train/checkpoint.js";

/** Our temporary files: `<name>.tmp-<pid>-<8 hex>`. */
const TMP = /^(.*)\.tmp-(\d+)-[0-9a-f]{8}$/;

/** Whether process `pid` is alive on this machine (a signal-0 probe; EPERM means it exists). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes temporary files of ours in `dir` left by saves that were killed: those whose process
 * is gone (a live process may be saving right now). Best effort; returns the names removed.
 */
export async function removeStaleTemporaries(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TMP.exec(name);
    if (m === null || alive(Number(m[2]))) continue;
    try {
      await fs.rm(path.join(dir, name), { force: true });
      removed.push(name);
    } catch {
      // Not ours to fight over (permissions): leave it.
    }
  }
  return removed;
}

/**
 * Writes `state` to `file` atomically: encode fully in memory, write `file.tmp-<pid>-<rand>`,
 * fsync, rename over `file` (then fsync the directory, best effort). If anything fails the
 * previous `file` is left untouched and the temporary file is removed. Temporary files that
 * killed saves left in the directory (their process gone) are removed first. Borrows the arrays.
 */
export async function saveCheckpoint(file: string, state: CheckpointState): Promise<void> {
  const bytes = encodeCheckpoint(state); // throws before anything touches the disk
  await removeStaleTemporaries(path.dirname(path.resolve(file)));
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(tmp, "wx");
    await handle.writeFile(bytes);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.rename(tmp, file);
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw new CheckpointError(`saving checkpoint ${file} failed (previous checkpoint kept): ${(e as Error).message}`);
  }
  try {
    const dir = await fs.open(path.dirname(path.resolve(file)), "r");
    await dir.sync().finally(() => dir.close());
  } catch {
    // Directory fsync is not supported everywhere (e.g. Windows); the rename already happened.
  }
}

async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await fs.readFile(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CheckpointError(
      code === "ENOENT" ? `no checkpoint at ${file}` : `cannot read checkpoint ${file}: ${(e as Error).message}`,
    );
  }
}

/** Runs `decode`, prefixing a CheckpointError's message with the file name. */
function naming<T>(file: string, decode: () => T): T {
  try {
    return decode();
  } catch (e) {
    if (e instanceof CheckpointError) throw new CheckpointError(`${file}: ${e.message}`);
    throw e;
  }
}

/**
 * Reads and decodes the checkpoint at `file`, validated against `template` when given
 * (see `decodeCheckpoint`; a file written by another tool loads with a params template).
 * Errors are `CheckpointError`s that name the file.
 */
export async function loadCheckpoint(
  file: string,
  template?: CheckpointTemplate,
  opts: DecodeOptions = {},
): Promise<CheckpointState> {
  const bytes = await readBytes(file);
  return naming(file, () =>
    decodeCheckpoint(bytes, template, { ...opts, onWarning: (m) => (opts.onWarning ?? console.warn)(`${file}: ${m}`) }),
  );
}

/** Reads any safetensors file (e.g. written by PyTorch) into named arrays and its metadata strings. */
export async function loadSafetensors(
  file: string,
  opts: DecodeOptions = {},
): Promise<{ tensors: Record<string, JArray>; metadata: Record<string, string> }> {
  const bytes = await readBytes(file);
  return naming(file, () =>
    decodeSafetensors(bytes, { ...opts, onWarning: (m) => (opts.onWarning ?? console.warn)(`${file}: ${m}`) }),
  );
}
