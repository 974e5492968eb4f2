/**
 * The `noether` command (Node only): list and run experiments, run benchmarks, and the tour
 * that runs every experiment's quick form into an HTML report.
 *
 * Output contract: human-readable text on stdout; progress and log messages on stderr; with
 * `--json` the last stdout line is one JSON value with the results.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { relative, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { NoetherError } from "../core/errors.js";
import { CURATED_TOUR, experiments, findExperiment, userDataExperiments } from "../experiments/index.js";
import { kindCell, parseParamArgs } from "../experiments/params.js";
import { flattenResults, type ExperimentResults, type ParamValue, type UserData } from "../experiments/types.js";
import type { Benchmark, BenchOutcome, BenchResult } from "./bench-types.js";
import type { GroupJSON } from "../discovery/group.js";
import { discover, type DiscoverOptions } from "./discover.js";
import { createProgress } from "./progress.js";
import { writeReport, type ReportEntry } from "./report.js";

/** Where the CLI writes: injectable for tests. */
export interface CliIO {
  out: (line: string) => void;
  err: (line: string) => void;
}

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

function parseIntArg(name: string, min: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min)
      throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}, got ${JSON.stringify(v)}.`);
    return n;
  };
}

function timestamp(d = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, "0");
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

function showPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r === "" ? "." : r.startsWith("..") ? p : r;
}

function fmtValue(v: unknown): string {
  if (typeof v === "number") {
    if (Number.isInteger(v)) return String(v);
    return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 ? v.toPrecision(4) : v.toExponential(3);
  }
  return String(v);
}

/** Formats rows as an aligned plain-text table. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

function resultsTable(results: ExperimentResults): string {
  return formatTable(
    ["metric", "value"],
    flattenResults(results).map(([k, v]) => [k, fmtValue(v)]),
  );
}

async function runExperiment(
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
function runExperimentInChild(
  name: string,
  o: { seed: number; outDir: string },
  io: CliIO,
): Promise<ExperimentResults> {
  const main = fileURLToPath(new URL(import.meta.url.endsWith(".ts") ? "./main.ts" : "./main.js", import.meta.url));
  const args = [
    ...process.execArgv,
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

  program
    .command("list")
    .description("list the experiments with one-line descriptions")
    .option("--json", "print the list as JSON on the last stdout line")
    .action((o: { json?: boolean }) => {
      const all = [...experiments, ...userDataExperiments];
      io.out(
        formatTable(
          ["experiment", "description"],
          all.map((e) => [e.name, e.description]),
        ),
      );
      if (o.json) io.out(JSON.stringify(all.map((e) => ({ name: e.name, description: e.description }))));
    });

  program
    .command("run")
    .description("run one experiment; writes results.json, checkpoint.safetensors and SVG plots")
    .argument("<name>", "experiment name (see `noether list`)")
    .option("--quick", "small, fast form (a few seconds)")
    .addOption(new Option("--seed <n>", "random seed").argParser(parseIntArg("--seed", 0)).default(0))
    .option("--out <dir>", "output folder (default runs/<name>-<timestamp>/)")
    .option("--json", "print the results as one JSON object on the last stdout line")
    .option(
      "--data <set>",
      "data set, for experiments that offer several (e.g. gcnn-rotmnist: mnist, fashion); a CSV file for emlp-learned",
    )
    .option("--group <file>", "emlp-learned: the group.json written by `noether discover`")
    .option("--target <col>", "emlp-learned: the target column of --data")
    .option(
      "--inputs <cols>",
      "emlp-learned: comma-separated input columns (default: the group file's, else all but the target)",
    )
    .addOption(
      new Option("--train <n>", "emlp-learned: the first N rows train, the rest test (default 80%)").argParser(
        parseIntArg("--train", 1),
      ),
    )
    .addOption(
      new Option(
        "--param <key=value>",
        "set an experiment parameter (repeatable; `noether describe <name>` lists them)",
      )
        .argParser((v: string, prev: string[]) => [...prev, v])
        .default([]),
    )
    .action(
      async (
        name: string,
        o: {
          quick?: boolean;
          seed: number;
          out?: string;
          json?: boolean;
          data?: string;
          param: string[];
          group?: string;
          target?: string;
          inputs?: string;
          train?: number;
        },
        cmd: Command,
      ) => {
        const exp = findExperiment(name);
        if (exp === undefined) {
          cmd.error(
            `error: unknown experiment ${JSON.stringify(name)}; available: ${[...experiments, ...userDataExperiments].map((e) => e.name).join(", ")}`,
          );
        }
        let userData: UserData | undefined;
        const userOpts = (["group", "target", "inputs", "train"] as const).filter((k) => o[k] !== undefined);
        if (exp.userData) {
          for (const [k, v] of [
            ["--data FILE.csv", o.data],
            ["--group FILE", o.group],
            ["--target COL", o.target],
          ] as const) {
            if (v === undefined || v === "") cmd.error(`error: ${name} runs on your data and needs ${k}`);
          }
          userData = {
            data: o.data!,
            group: o.group!,
            target: o.target!,
            ...(o.inputs !== undefined ? { inputs: o.inputs.split(",").map((c) => c.trim()) } : {}),
            ...(o.train !== undefined ? { train: o.train } : {}),
          };
        } else if (userOpts.length > 0) {
          cmd.error(
            `error: ${name} takes no --${userOpts[0]} option (only experiments on your own data do: ${userDataExperiments.map((e) => e.name).join(", ")})`,
          );
        }
        if (!exp.userData && o.data !== undefined && !(exp.dataSets ?? []).includes(o.data)) {
          cmd.error(
            exp.dataSets
              ? `error: ${name} has no data set ${JSON.stringify(o.data)}; available: ${exp.dataSets.join(", ")}`
              : `error: ${name} takes no --data option (it has one built-in data set)`,
          );
        }
        let params: Record<string, ParamValue> = {};
        try {
          params = parseParamArgs(name, exp.params, o.param);
        } catch (e) {
          cmd.error(`error: ${(e as Error).message}`);
        }
        const outDir = resolve(o.out ?? `runs/${name}-${timestamp()}`);
        const results = await runExperiment(
          name,
          {
            quick: o.quick ?? false,
            seed: o.seed,
            outDir,
            json: o.json ?? false,
            ...(o.data !== undefined && !exp.userData ? { data: o.data } : {}),
            params,
            ...(userData ? { userData } : {}),
          },
          io,
        );
        io.out(`${name}${o.quick ? " (quick)" : ""}, seed ${o.seed} → ${showPath(outDir)}`);
        io.out(resultsTable(results));
        if (o.json) io.out(JSON.stringify(results));
      },
    );

  program
    .command("discover")
    .description(
      "learn a symmetry from your CSV file: Lie algebra generators → <out>/group.json and <out>/generators.svg (for `run emlp-learned --group`)",
    )
    .requiredOption("--data <file>", "CSV file with a header row")
    .addOption(
      new Option(
        "--method <m>",
        "invariant (a target column the symmetry leaves unchanged) or pairs (columns x and x′)",
      )
        .choices(["invariant", "pairs"])
        .makeOptionMandatory(),
    )
    .option("--target <col>", "invariant: the target column")
    .option("--inputs <cols>", "comma-separated input columns (invariant: default all but the target; pairs: x)")
    .option("--outputs <cols>", "pairs: the transformed columns x′, in the order of --inputs")
    .requiredOption("--out <dir>", "output folder for group.json and generators.svg")
    .addOption(
      new Option("--copies <n>", "invariant: vectors per row transformed alike (e.g. 4 four-momenta)")
        .argParser(parseIntArg("--copies", 1))
        .default(1),
    )
    .addOption(
      new Option("--points <n>", "pairs: consecutive rows sharing one transformation (a point cloud)")
        .argParser(parseIntArg("--points", 1))
        .default(1),
    )
    .addOption(
      new Option("--k <n>", "number of generators (default: read from the spectral gap)").argParser(
        parseIntArg("--k", 0),
      ),
    )
    .addOption(
      new Option("--fit-steps <n>", "invariant: Adam steps fitting the MLP whose gradients are used")
        .argParser(parseIntArg("--fit-steps", 1))
        .default(2000),
    )
    .option("--name <name>", "name of the learned group", "learned")
    .addOption(new Option("--seed <n>", "random seed").argParser(parseIntArg("--seed", 0)).default(0))
    .option("--json", "print the group.json object as one line on the last stdout line")
    .action(async (o: DiscoverOptions & { json?: boolean; out: string }) => {
      const progress = createProgress({ label: "discover", bar: !o.json });
      let json: GroupJSON;
      try {
        json = await discover(
          { ...o, out: resolve(o.out) },
          (m) => io.err(m),
          (e) => progress.update(e),
        );
      } finally {
        progress.stop();
      }
      const d = json.diagnostics as Record<string, unknown>;
      io.out(
        `${json.name}: ${json.generators.length} generator${json.generators.length === 1 ? "" : "s"} on ℝ^${json.dim} (${String(d.method)}) → ${showPath(resolve(o.out))}/group.json`,
      );
      json.generators.forEach((g, i) =>
        io.out(
          `G${i + 1} = [${g.map((r) => `[${r.map((v) => fmtValue(Number(v.toPrecision(4)))).join(", ")}]`).join(", ")}]`,
        ),
      );
      io.out(
        formatTable(
          ["diagnostic", "value"],
          flattenResults(d as never).map(([k, v]) => [k, fmtValue(v)]),
        ),
      );
      if (o.json) io.out(JSON.stringify(json));
    });

  program
    .command("describe")
    .description("describe one experiment: what it runs, its data sets and its parameters (for `run --param`)")
    .argument("<name>", "experiment name (see `noether list`)")
    .option("--json", "print {name, description, dataSets, params} as one JSON object on the last stdout line")
    .action((name: string, o: { json?: boolean }, cmd: Command) => {
      const exp = findExperiment(name);
      if (exp === undefined) {
        cmd.error(
          `error: unknown experiment ${JSON.stringify(name)}; available: ${[...experiments, ...userDataExperiments].map((e) => e.name).join(", ")}`,
        );
      }
      const params = exp.params ?? [];
      io.out(`${exp.name}: ${exp.description}`);
      io.out(
        `data sets: ${exp.dataSets ? `${exp.dataSets.join(", ")} (--data; default ${exp.dataSets[0]})` : "one, built in"}`,
      );
      if (params.length === 0) io.out("parameters: none");
      else {
        io.out(`parameters (noether run ${exp.name} --param name=value; lists comma-separated):`);
        io.out(
          formatTable(
            ["name", "kind", "default", "description"],
            params.map((p) => [p.name, kindCell(p), p.default, p.description]),
          ),
        );
      }
      if (o.json)
        io.out(
          JSON.stringify({ name: exp.name, description: exp.description, dataSets: exp.dataSets ?? null, params }),
        );
    });

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
        const outRoot = resolve(o.out);
        mkdirSync(outRoot, { recursive: true });
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

  program.addHelpText(
    "after",
    `
Examples:
  noether list
  noether run mlp-fit --quick --out /tmp/mlp-fit
  noether run mlp-fit --seed 1 --json        # last stdout line: the results as JSON
  noether describe emlp-lorentz              # its data sets and parameters
  noether run emlp-lorentz --param models=emlp --param sizes=1000
  noether bench all                          # ms per step, and the ratio to PyTorch when installed
  noether tour                               # quick form of every experiment → report/index.html`,
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
