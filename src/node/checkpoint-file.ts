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
} from "../train/checkpoint.js";

/**
 * Writes `state` to `file` atomically: encode fully in memory, write `file.tmp-<pid>-<rand>`,
 * fsync, rename over `file` (then fsync the directory, best effort). If anything fails the
 * previous `file` is left untouched and the temporary file is removed. Borrows the arrays.
 */
export async function saveCheckpoint(file: string, state: CheckpointState): Promise<void> {
  const bytes = encodeCheckpoint(state); // throws before anything touches the disk
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
export async function loadCheckpoint(file: string, template?: CheckpointTemplate): Promise<CheckpointState> {
  const bytes = await readBytes(file);
  return naming(file, () => decodeCheckpoint(bytes, template));
}

/** Reads any safetensors file (e.g. written by PyTorch) into named arrays and its metadata strings. */
export async function loadSafetensors(
  file: string,
): Promise<{ tensors: Record<string, JArray>; metadata: Record<string, string> }> {
  const bytes = await readBytes(file);
  return naming(file, () => decodeSafetensors(bytes));
}
