/** Running the `noether` command from source (through tsx) as a script would: for the CLI tests. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The repository root (the CLI runs there). */
export const root = fileURLToPath(new URL("..", import.meta.url));

/** Exit code and the two streams of one CLI run. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `noether <args>` in a child process (`node --import tsx src/cli/main.ts`, or with
 * `launcher: "bin"` through bin/noether.js as `npx noether` does); killed (code null) after `timeoutMs`.
 */
export function cli(args: string[], timeoutMs = 120_000, launcher: "tsx" | "bin" = "tsx"): Promise<CliRun> {
  const entry = launcher === "bin" ? ["bin/noether.js"] : ["--import", "tsx", "src/cli/main.ts"];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...entry, ...args], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The JSON value on the last stdout line (the `--json` contract). */
export function lastJson(stdout: string): unknown {
  return JSON.parse(stdout.trimEnd().split("\n").pop() ?? "");
}
