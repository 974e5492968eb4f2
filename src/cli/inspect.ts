/**
 * `noether inspect FILE.safetensors`: verifies a checkpoint (header, offsets, and for noether's
 * files the structure and SHA-256 digests) and prints its tensors and metadata. Corruption is a
 * one-line error and exit code 1 (a CheckpointError, printed by main).
 */
import { promises as fs } from "node:fs";
import type { Command } from "commander";
import { CheckpointError } from "../core/errors.js";
import { inspectSafetensors, type SafetensorsReport } from "../train/checkpoint.js";
import { fmtValue, formatTable, type CliIO } from "./format.js";

/** Reads and inspects `file`; errors name the file. */
export async function inspectFile(file: string): Promise<SafetensorsReport> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await fs.readFile(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CheckpointError(
      code === "ENOENT" ? `no file at ${file}` : `cannot read ${file}: ${(e as Error).message}`,
    );
  }
  try {
    return inspectSafetensors(bytes);
  } catch (e) {
    if (e instanceof CheckpointError) throw new CheckpointError(`${file}: ${e.message}`);
    throw e;
  }
}

export function addInspectCommand(program: Command, io: CliIO): void {
  program
    .command("inspect")
    .description("verify a safetensors checkpoint (offsets, digests) and list its tensors and metadata")
    .argument("<file>", "a .safetensors file (noether's or another tool's)")
    .option(
      "--json",
      'last stdout line: {"file","verified","meta","metadata","tensors":[{name,dtype,shape,min,max,nonFinite}]}',
    )
    .action(async (file: string, o: { json?: boolean }) => {
      const r = await inspectFile(file);
      const bad = r.tensors.reduce((n, t) => n + t.nonFinite, 0);
      io.out(
        `${file}: ${r.tensors.length} tensor${r.tensors.length === 1 ? "" : "s"}, ${
          r.verified
            ? "every byte verified against its SHA-256 digest"
            : "no digests (not written by noether): offsets checked, bytes not verifiable"
        }${bad > 0 ? `; ${bad} non-finite value(s)` : ""}`,
      );
      io.out(
        formatTable(
          ["tensor", "dtype", "shape", "min", "max", "non-finite"],
          r.tensors.map((t) => [
            t.name,
            t.dtype,
            `[${t.shape.join(", ")}]`,
            t.min === null ? "—" : fmtValue(t.min),
            t.max === null ? "—" : fmtValue(t.max),
            String(t.nonFinite),
          ]),
        ),
      );
      if (r.meta !== null) {
        const { step, epoch, seed, ...rest } = r.meta;
        const more = Object.entries(rest).map(([k, v]) =>
          globalThis.Array.isArray(v) ? `${k} (${v.length} entries)` : k,
        );
        io.out(
          `meta: step ${step}, epoch ${epoch}${seed !== undefined ? `, seed ${String(seed)}` : ""}${more.length > 0 ? `; also ${more.join(", ")} (--json for all)` : ""}`,
        );
      }
      const other = Object.keys(r.metadata).filter((k) => k !== "noether");
      for (const k of other) io.out(`metadata ${k}: ${r.metadata[k]}`);
      if (o.json)
        io.out(JSON.stringify({ file, verified: r.verified, meta: r.meta, metadata: r.metadata, tensors: r.tensors }));
    });
}
