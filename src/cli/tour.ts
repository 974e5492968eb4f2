/** `noether tour`: the curated quick tour (or every experiment's quick form) into an HTML report. */
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { type Command, CommanderError, Option } from "commander";
import { CURATED_TOUR, experiments, findExperiment } from "../experiments/index.js";
import { outputDir, parseIntArg, resultsTable, showPath, type CliIO } from "./format.js";
import { writeReport, type ReportEntry } from "./report.js";
import { runExperiment, runExperimentInChild } from "./runner.js";

export function addTourCommand(program: Command, io: CliIO): void {
  program
    .command("tour")
    .description(
      "run the curated quick tour (the headline first; --all: every experiment's quick form) into <out>/<name>/ and write <out>/index.html",
    )
    .option("--out <dir>", "report folder", "report")
    .addOption(new Option("--seed <n>", "random seed").argParser(parseIntArg("--seed", 0)).default(0))
    .option("--json", "print {name: results} as one JSON object on the last stdout line")
    .option("--all", "every experiment's quick form, not only the curated tour")
    .option("--only <names>", "comma-separated experiments to include (instead of the curated tour)")
    .addOption(
      new Option("--jobs <n>", "experiments run at once, each in its own process (jax-js on Wasm uses one core)")
        .argParser(parseIntArg("--jobs", 1))
        .default(Math.min(2, availableParallelism()), "min(2, CPU cores)"),
    )
    .action(
      async (
        o: { out: string; seed: number; json?: boolean; only?: string; all?: boolean; jobs: number },
        cmd: Command,
      ) => {
        if (o.all && o.only !== undefined) cmd.error("error: --all and --only exclude each other");
        const names =
          o.only !== undefined
            ? o.only.split(",").map((n) => n.trim())
            : o.all
              ? experiments.map((e) => e.name)
              : CURATED_TOUR;
        const chosen = names.map((n) => {
          const exp = experiments.find((e) => e.name === n);
          if (exp === undefined) {
            cmd.error(
              findExperiment(n) !== undefined
                ? `error: ${n} runs on your own data and is not part of a tour`
                : `error: unknown experiment ${JSON.stringify(n)} in --only; available: ${experiments.map((e) => e.name).join(", ")}`,
            );
          }
          return exp;
        });
        const outRoot = await outputDir("--out", o.out);
        const done: (ReportEntry | undefined)[] = chosen.map(() => undefined);
        const failures: string[] = [];
        const t0 = performance.now();
        const runOne = async (i: number): Promise<void> => {
          const exp = chosen[i]!;
          io.err(`tour: ${exp.name} — ${exp.description}`);
          const dir = resolve(outRoot, exp.name);
          const s0 = performance.now();
          try {
            const results =
              o.jobs > 1
                ? await runExperimentInChild(exp.name, { seed: o.seed, outDir: dir }, io)
                : await runExperiment(exp.name, { quick: true, seed: o.seed, outDir: dir, json: o.json ?? false }, io);
            done[i] = { experiment: exp, results, dir, seconds: (performance.now() - s0) / 1000 };
            io.out(`${exp.name} (quick)`);
            io.out(resultsTable(results));
            io.out("");
          } catch (e) {
            failures.push(`${exp.name}: ${(e as Error).message}`);
            io.err(`tour: ${exp.name} failed: ${(e as Error).message}`);
          }
        };
        // A pool of `jobs` workers taking experiments in order; the report keeps the list's order.
        let next = 0;
        const worker = async (): Promise<void> => {
          while (next < chosen.length) await runOne(next++);
        };
        await Promise.all(Array.from({ length: Math.min(o.jobs, chosen.length) }, worker));
        const entries = done.filter((e): e is ReportEntry => e !== undefined);
        const index = writeReport(outRoot, entries, { seed: o.seed, seconds: (performance.now() - t0) / 1000 });
        io.out(`report: ${showPath(index)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
        if (failures.length > 0)
          throw new CommanderError(
            1,
            "noether.tourFailed",
            `error: ${failures.length} experiment(s) failed; the report has the others:\n  ${failures.join("\n  ")}`,
          );
        if (o.json) io.out(JSON.stringify(Object.fromEntries(entries.map((e) => [e.experiment.name, e.results]))));
      },
    );
}
