/**
 * Finds a Python that can import PyTorch and runs reference scripts with it (Node only).
 * Probes /usr/bin/python3 (Debian's python3-torch), then python3 on PATH; when $NOETHER_PYTHON is
 * set, only that interpreter.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";

/** A Python interpreter with torch, and torch's version. */
export interface TorchPython {
  python: string;
  torch: string;
}

let cached: TorchPython | null | undefined;

/** How to get PyTorch when it is missing (printed with benchmark results). */
export const TORCH_INSTALL_HINT =
  "no reference: PyTorch not found (probed $NOETHER_PYTHON if set, else /usr/bin/python3 and python3): install it with `apt-get install python3-torch` (Debian/Ubuntu) or `pip install torch`, or point NOETHER_PYTHON at a Python that has it";

/** The first probed Python that imports torch, or null (cached per process). */
export function findTorchPython(): TorchPython | null {
  if (cached !== undefined) return cached;
  const forced = process.env.NOETHER_PYTHON;
  const candidates = (forced !== undefined && forced !== "" ? [forced] : ["/usr/bin/python3", "python3"]).filter(
    (p): p is string => p !== undefined && p !== "" && (!p.startsWith("/") || existsSync(p)),
  );
  cached = null;
  for (const python of candidates) {
    const r = spawnSync(python, ["-c", "import torch; print(torch.__version__)"], {
      encoding: "utf8",
      timeout: 60_000,
    });
    if (r.status === 0) {
      cached = { python, torch: r.stdout.trim() };
      break;
    }
  }
  return cached;
}

/** Runs `python script args…`, returning the JSON object on its last stdout line. */
export function runPythonJson(python: string, script: string, args: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [script, ...args, "--json"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) {
        reject(new Error(`${python} ${script} exited with ${code}: ${err.trim().split("\n").slice(-3).join(" | ")}`));
        return;
      }
      const last = out.trim().split("\n").pop() ?? "";
      try {
        resolve(JSON.parse(last) as Record<string, unknown>);
      } catch {
        reject(new Error(`${script}: expected a JSON last line, got ${JSON.stringify(last.slice(0, 200))}`));
      }
    });
  });
}

/** Median of a list of timings. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Runs `bench/reference/<script>` with PyTorch when it is installed (`--steps`, `--warmup`,
 * `--threads`: the machine's cores unless `--ref-threads`), and returns the reference and the
 * notes to print: what ran and on which BLAS, the install hint when torch is missing, a warning
 * for the slow netlib BLAS, or why it failed. `what` describes the reference computation; `raw` is
 * the script's whole JSON record (for extra fields).
 */
export async function torchReference(
  script: string,
  opts: { reference: boolean; referenceThreads?: number; log: (msg: string) => void },
  timing: { steps: number; warmup: number },
  what: string,
): Promise<{
  reference: { impl: string; msPerStep: number } | null;
  notes: string[];
  raw: Record<string, unknown> | null;
}> {
  if (!opts.reference) return { reference: null, notes: ["reference skipped (--no-reference)"], raw: null };
  const py = findTorchPython();
  if (py === null) return { reference: null, notes: [TORCH_INSTALL_HINT], raw: null };
  opts.log(`running the PyTorch reference (${py.python}, torch ${py.torch})…`);
  const path = fileURLToPath(new URL(`./reference/${script}`, import.meta.url));
  const threads = opts.referenceThreads ?? availableParallelism();
  try {
    const r = await runPythonJson(py.python, path, [
      "--steps",
      String(timing.steps),
      "--warmup",
      String(timing.warmup),
      "--threads",
      String(threads),
    ]);
    const reference = { impl: String(r.impl), msPerStep: Number(r.msPerStep) };
    const notes = [
      `reference: ${reference.impl}, ${String(r.threads)} threads, ${what}, median of ${timing.steps}; BLAS ${String(r.blas)}`,
    ];
    if (/\/blas\/libblas\.so/.test(String(r.blas))) {
      notes.push(
        "reference uses the slow reference (netlib) BLAS: `apt-get install libopenblas0-pthread` for a fair comparison",
      );
    }
    return { reference, notes, raw: r };
  } catch (e) {
    return { reference: null, notes: [`reference failed: ${(e as Error).message}`], raw: null };
  }
}
