import { type Command, Option } from "commander";
import { experiments, findExperiment, userDataExperiments } from "../experiments/index.js";
import { kindCell, parseParamArgs } from "../experiments/params.js";
import type { ParamValue, UserData } from "../experiments/types.js";
import { formatTable, outputDir, parseIntArg, resultsTable, showPath, timestamp, type CliIO } from "./format.js";
import { runExperiment } from "./runner.js";

export function addExperimentCommands(program: Command, io: CliIO): void {
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
        const outDir = await outputDir("--out", o.out ?? `runs/${name}-${timestamp()}`);
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
}
