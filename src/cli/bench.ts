/** `noether bench`: benchmarks from bench/ (source checkouts only), a table of ms/step and reference ratios. */
import { type Command, CommanderError, Option } from "commander";
import type { Benchmark, BenchOutcome, BenchResult } from "./bench-types.js";
import { formatTable, parseIntArg, type CliIO } from "./format.js";
import { createProgress } from "./progress.js";

async function loadBenchmarks(): Promise<Benchmark[]> {
  // bench/ sits next to src/ in a source checkout and is not part of the built package.
  const url = new URL("../../bench/index.ts", import.meta.url);
  try {
    const mod = (await import(url.href)) as { benchmarks: Benchmark[] };
    return mod.benchmarks;
  } catch (e) {
    throw new CommanderError(
      1,
      "noether.benchUnavailable",
      `error: benchmarks live in bench/ of a source checkout and run through tsx (${(e as Error).message})`,
    );
  }
}

function benchJson(r: BenchOutcome): BenchResult {
  return { name: r.name, msPerStep: r.msPerStep, reference: r.reference, ratio: r.ratio };
}

export function addBenchCommand(program: Command, io: CliIO): void {
  program
    .command("bench")
    .description("run a benchmark (or all) and print ms per step, with the PyTorch ratio where available")
    .argument("<name>", "benchmark name or `all`")
    .addOption(new Option("--steps <n>", "timed steps (default per benchmark)").argParser(parseIntArg("--steps", 1)))
    .addOption(
      new Option("--warmup <n>", "warm-up steps (default per benchmark)").argParser(parseIntArg("--warmup", 0)),
    )
    .option("--no-reference", "skip the reference implementation (PyTorch)")
    .addOption(
      new Option("--ref-threads <n>", "threads for the reference (default: CPU cores)").argParser(
        parseIntArg("--ref-threads", 1),
      ),
    )
    .option("--json", 'last stdout line: {"name","msPerStep","reference","ratio"} (an array of them for `all`)')
    .action(
      async (
        name: string,
        o: { steps?: number; warmup?: number; reference: boolean; refThreads?: number; json?: boolean },
        cmd: Command,
      ) => {
        const all = await loadBenchmarks();
        const chosen = name === "all" ? all : all.filter((b) => b.name === name);
        if (chosen.length === 0) {
          cmd.error(
            `error: unknown benchmark ${JSON.stringify(name)}; available: all, ${all.map((b) => b.name).join(", ")}`,
          );
        }
        const outcomes: BenchOutcome[] = [];
        for (const b of chosen) {
          io.err(`${b.name}: ${b.description}`);
          const progress = createProgress({ label: b.name, bar: !o.json });
          try {
            outcomes.push(
              await b.run({
                ...(o.steps !== undefined ? { steps: o.steps } : {}),
                ...(o.warmup !== undefined ? { warmup: o.warmup } : {}),
                reference: o.reference,
                ...(o.refThreads !== undefined ? { referenceThreads: o.refThreads } : {}),
                onProgress: (e) => progress.update(e),
                log: (msg) => io.err(msg),
              }),
            );
          } finally {
            progress.stop();
          }
        }
        io.out(
          formatTable(
            ["benchmark", "ms/step", "reference", "ref ms/step", "ratio (ours/ref)"],
            outcomes.map((r) => [
              r.name,
              r.msPerStep.toFixed(2),
              r.reference?.impl ?? "—",
              r.reference ? r.reference.msPerStep.toFixed(2) : "—",
              r.ratio !== null ? r.ratio.toFixed(2) : "—",
            ]),
          ),
        );
        for (const r of outcomes) for (const n of r.notes) io.out(`  ${r.name}: ${n}`);
        if (o.json) io.out(JSON.stringify(name === "all" ? outcomes.map(benchJson) : benchJson(outcomes[0]!)));
      },
    );
}
