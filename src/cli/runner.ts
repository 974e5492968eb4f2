/** Running one experiment: in this process with a progress bar, or in a child process (the tour's pool). */
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { findExperiment } from "../experiments/index.js";
import type { ExperimentResults, ParamValue, UserData } from "../experiments/types.js";
import type { CliIO } from "./format.js";
import { createProgress } from "./progress.js";

/** Runs experiment `name` here, progress on stderr (a bar unless `json`), log lines through `io.err`. */
export async function runExperiment(
  name: string,
  o: {
    quick: boolean;
    seed: number;
    outDir: string;
    json: boolean;
    data?: string;
    params?: Record<string, ParamValue>;
    userData?: UserData;
  },
  io: CliIO,
): Promise<ExperimentResults> {
  const exp = findExperiment(name);
  if (exp === undefined) throw new Error(`unknown experiment ${JSON.stringify(name)}`);
  mkdirSync(o.outDir, { recursive: true });
  const progress = createProgress({ label: name, bar: !o.json });
  try {
    return await exp.run({
      quick: o.quick,
      seed: o.seed,
      outDir: o.outDir,
      onProgress: (e) => progress.update(e),
      log: (msg) => io.err(msg),
      ...(o.data !== undefined ? { data: o.data } : {}),
      params: o.params ?? {},
      ...(o.userData !== undefined ? { userData: o.userData } : {}),
    });
  } finally {
    progress.stop();
  }
}

/**
 * Runs `noether run <name> --quick --json` in a child Node process (same loader flags as this
 * one, so it works from source through tsx and from the built package), forwarding its stderr
 * lines prefixed with the experiment's name, and returns the results from its last stdout line.
 */
export function runExperimentInChild(
  name: string,
  o: { seed: number; outDir: string },
  io: CliIO,
): Promise<ExperimentResults> {
  const fromSource = import.meta.url.endsWith(".ts");
  const main = fileURLToPath(new URL(fromSource ? "./main.ts" : "./main.js", import.meta.url));
  // From source the child needs tsx. `tsx src/cli/main.ts` and `node --import tsx` pass it in
  // execArgv; bin/noether.js registers it in-process (no flag), so then it is added here.
  const loader =
    fromSource && !process.execArgv.some((a) => a.includes("tsx")) ? ["--import", import.meta.resolve("tsx")] : [];
  const args = [
    ...process.execArgv,
    ...loader,
    main,
    "run",
    name,
    "--quick",
    "--seed",
    String(o.seed),
    "--out",
    o.outDir,
    "--json",
  ];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    const errTail: string[] = [];
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    createInterface({ input: child.stderr }).on("line", (line) => {
      io.err(`[${name}] ${line}`);
      errTail.push(line);
      if (errTail.length > 5) errTail.shift();
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (code !== 0)
        return reject(new Error(`${name} failed (${signal ?? `exit code ${code}`}): ${errTail.join(" | ")}`));
      const last = stdout.trimEnd().split("\n").pop() ?? "";
      try {
        resolvePromise(JSON.parse(last) as ExperimentResults);
      } catch {
        reject(
          new Error(`${name}: no JSON results on the last stdout line (got ${JSON.stringify(last.slice(0, 200))})`),
        );
      }
    });
  });
}
