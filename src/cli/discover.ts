/**
 * `noether discover`: a symmetry learned from the user's CSV file, written as DIR/group.json
 * (`{ name, dim, generators, discrete, diagnostics }`, readable by `groupFromJSON` and by
 * `noether run emlp-learned --group`) and DIR/generators.svg (heat maps).
 *
 * - `--method invariant --target COL [--inputs c1,…]`: an MLP is fitted to the target (80% of the
 *   rows, the rest held out), and the generators are the nullspace of ∇f·(I ⊗ L)x = 0 at the rows
 *   (src/discovery/invariant.ts); `--copies m` when each row holds m vectors transformed alike.
 * - `--method pairs --inputs x1,… --outputs x1p,…`: each row is a pair (x, x′); `--points P` when
 *   every P consecutive rows share one transformation (point clouds) (src/discovery/pairs.ts).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Command, Option } from "commander";
import { initEngine } from "../core/engine.js";
import { ConfigError } from "../core/errors.js";
import { toMatrices } from "../discovery/algebra.js";
import { groupFromGenerators, groupToJSON, type GroupJSON } from "../discovery/group.js";
import { discoverInvariant } from "../discovery/invariant.js";
import { discoverFromPairs } from "../discovery/pairs.js";
import type { Discovery } from "../discovery/result.js";
import { fitTarget } from "../experiments/discovery/shared.js";
import type { ExperimentOptions } from "../experiments/types.js";
import { readNumericCsv, selectColumns } from "../node/csv.js";
import { flattenResults } from "../experiments/types.js";
import { matrixHeatmaps } from "../plot/heatmap.js";
import { fmtValue, formatTable, outputDir, parseIntArg, showPath, type CliIO } from "./format.js";
import { createProgress } from "./progress.js";

/** The options of `noether discover` (as parsed by commander). */
export interface DiscoverOptions {
  data: string;
  method: "invariant" | "pairs";
  target?: string;
  inputs?: string;
  outputs?: string;
  out: string;
  copies: number;
  points: number;
  k?: number;
  fitSteps: number;
  name: string;
  seed: number;
}

const list = (s: string | undefined): string[] | undefined =>
  s === undefined
    ? undefined
    : s
        .split(",")
        .map((c) => c.trim())
        .filter((c) => c !== "");

/** Runs the discovery; returns the group.json object (also written to DIR). Progress and log lines go to `log`/`onProgress`. */
export async function discover(
  o: DiscoverOptions,
  log: (msg: string) => void,
  onProgress: ExperimentOptions["onProgress"],
): Promise<GroupJSON> {
  const table = readNumericCsv(o.data);
  let found: Discovery;
  let columns: string[];
  const extra: Record<string, unknown> = {};
  if (o.method === "invariant") {
    if (o.target === undefined)
      throw new ConfigError(
        "discover --method invariant needs --target COL (the column the symmetry leaves unchanged)",
      );
    if (o.outputs !== undefined)
      throw new ConfigError("discover --method invariant takes no --outputs (that is for --method pairs)");
    if (!table.columns.includes(o.target))
      throw new ConfigError(
        `${o.data}: no column ${JSON.stringify(o.target)} for --target; the columns are ${table.columns.join(", ")}`,
      );
    columns = list(o.inputs) ?? table.columns.filter((c) => c !== o.target);
    if (columns.includes(o.target))
      throw new ConfigError(`--inputs must not include the target column ${JSON.stringify(o.target)}`);
    const width = columns.length;
    if (width % o.copies !== 0)
      throw new ConfigError(`--copies ${o.copies} does not divide the ${width} input columns`);
    const d = width / o.copies;
    const x = selectColumns(table, columns, o.data);
    const y = selectColumns(table, [o.target], o.data);
    const need = Math.max(d * d, 20);
    if (table.rows < need)
      throw new ConfigError(
        `${o.data}: ${table.rows} rows are too few to identify ${d}×${d} generators; give at least ${need} (more: the fitted network's gradients are only as good as the fit)`,
      );
    await initEngine();
    const nTrain = Math.max(1, Math.round(0.8 * table.rows));
    const ctx = { quick: true, seed: o.seed, outDir: o.out, onProgress, log, params: {} } as ExperimentOptions;
    const fitted = await fitTarget(
      x,
      y,
      { n: table.rows, width, nTrain, hidden: 128, steps: o.fitSteps, seed: o.seed, label: "fit" },
      ctx,
    );
    const nAt = Math.min(table.rows, 500);
    try {
      found = await discoverInvariant(
        fitted.f,
        x.subarray(0, nAt * width),
        { n: nAt, width },
        { copies: o.copies, ...(o.k !== undefined ? { k: o.k } : {}) },
      );
    } finally {
      fitted.dispose();
    }
    extra.fitHeldOutMSE = Number(fitted.testMSE.toPrecision(4));
    extra.target = o.target;
  } else {
    const ins = list(o.inputs);
    const outs = list(o.outputs);
    if (ins === undefined || outs === undefined)
      throw new ConfigError(
        "discover --method pairs needs --inputs x1,… and --outputs x1p,… (the same number of columns: x and its transformed x′)",
      );
    if (o.target !== undefined)
      throw new ConfigError("discover --method pairs takes no --target (that is for --method invariant)");
    if (ins.length !== outs.length)
      throw new ConfigError(
        `--inputs has ${ins.length} columns but --outputs has ${outs.length}; a pair is x and x′ of the same size`,
      );
    columns = ins;
    const x = selectColumns(table, ins, o.data);
    const xp = selectColumns(table, outs, o.data);
    if (table.rows % o.points !== 0)
      throw new ConfigError(`--points ${o.points} does not divide the ${table.rows} rows`);
    await initEngine();
    found = await discoverFromPairs(
      x,
      xp,
      { n: table.rows, d: ins.length },
      { points: o.points, ...(o.k !== undefined ? { k: o.k } : {}) },
    );
    extra.outputs = outs;
    extra.points = o.points;
  }
  if (found.basis.k === 0)
    log(
      `discover: no generator found (spectrum ${found.spectrum
        .slice(0, 6)
        .map((v) => v.toPrecision(2))
        .join(", ")}, …): the data shows no continuous linear symmetry at this tolerance`,
    );
  const G = groupFromGenerators(found, { name: o.name, closureTol: 0.1, close: true });
  const json = groupToJSON(G, {
    method: found.method,
    generatorsFound: found.basis.k,
    generatorsAfterClosure: G.D,
    chosenBy: found.chosenBy,
    spectrum: found.spectrum.slice(0, 16).map((v) => Number(v.toPrecision(4))),
    closureResidual: Number(found.closureResidual.toPrecision(4)),
    rows: table.rows,
    inputs: columns,
    copies: o.copies,
    ...extra,
  });
  mkdirSync(o.out, { recursive: true });
  writeFileSync(join(o.out, "group.json"), `${JSON.stringify(json, null, 2)}\n`);
  const panels = toMatrices({ d: G.d, k: G.D, generators: G.lieAlgebra }).map((m, i) => ({
    title: `G${i + 1}`,
    matrix: m,
  }));
  writeFileSync(
    join(o.out, "generators.svg"),
    await matrixHeatmaps(panels, { title: `${o.name}: ${G.D} generator${G.D === 1 ? "" : "s"} (${found.method})` }),
  );
  return json;
}

export function addDiscoverCommand(program: Command, io: CliIO): void {
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
          { ...o, out: await outputDir("--out", o.out) },
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
}
