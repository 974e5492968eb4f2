/**
 * Finds a Python that can import PyTorch and runs reference scripts with it (Node only).
 * Probes /usr/bin/python3 (Debian's python3-torch), then python3 on PATH; when $NOETHER_PYTHON is
 * set, only that interpreter.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

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
    const r = spawnSync(python, ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8", timeout: 60_000 });
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
