/**
 * The `noether` command (Node only): list, describe and run experiments, discover a symmetry in a
 * CSV file, inspect a checkpoint, run benchmarks, and the tour that runs the quick forms into an
 * HTML report. One file per command group (experiments.ts, discover.ts, inspect.ts, bench.ts,
 * tour.ts); this one assembles them.
 *
 * Output contract: human-readable text on stdout; progress and log messages on stderr; with
 * `--json` the last stdout line is one JSON value with the results.
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { NoetherError } from "../core/errors.js";
import { addBenchCommand } from "./bench.js";
import { addDiscoverCommand } from "./discover.js";
import { addExperimentCommands } from "./experiments.js";
import { addInspectCommand } from "./inspect.js";
import type { CliIO } from "./format.js";
import { addTourCommand } from "./tour.js";

export type { CliIO } from "./format.js";

const defaultIO: CliIO = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

function packageVersion(): string {
  try {
    // ../../package.json from src/cli/ (source) and from dist/cli/ (built) alike.
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version?: string;
    };
    return pkg.version ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** Builds the commander program; `io` receives stdout/stderr lines. */
export function buildProgram(io: CliIO = defaultIO): Command {
  const program = new Command();
  program
    .name("noether")
    .description("Neural networks that respect symmetries, on jax-js: experiments, benchmarks and a tour.")
    .version(packageVersion(), "-V, --version")
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
    });

  addExperimentCommands(program, io);
  addDiscoverCommand(program, io);
  addInspectCommand(program, io);
  addBenchCommand(program, io);
  addTourCommand(program, io);
  program.addHelpText(
    "after",
    `
Examples:
  noether list
  noether run mlp-fit --quick --out /tmp/mlp-fit
  noether run mlp-fit --seed 1 --json        # last stdout line: the results as JSON
  noether describe emlp-lorentz              # its data sets and parameters
  noether inspect runs/x/checkpoint.safetensors   # verify a checkpoint, list its tensors
  noether run emlp-lorentz --param models=emlp --param sizes=1000
  noether bench all                          # ms per step, and the ratio to PyTorch when installed
  noether tour                               # the curated quick tour → report/index.html (--all: every experiment)`,
  );
  return program;
}

/** Runs the CLI on `argv` (process.argv form) and returns the exit code. */
export async function main(argv: string[] = process.argv, io: CliIO = defaultIO): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help/version exit 0; usage errors were already printed (with the help) by commander.
      if (e.code === "noether.benchUnavailable") io.err(e.message);
      return e.exitCode;
    }
    // noether's own errors say what is wrong: the message alone. Anything else is a bug: its stack.
    io.err(e instanceof NoetherError ? `noether: ${e.message}` : `noether: ${(e as Error).stack ?? String(e)}`);
    return 1;
  }
}
