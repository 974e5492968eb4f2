/**
 * `emlp-learned`: an EMLP on a learned group (a group.json from `noether discover`) against an MLP
 * of similar size, on the user's CSV file: the first `train` rows train (default 80%), the rest
 * test. Input rep: the group's vector rep V on each block of d input columns (the group acts on
 * d = group.dim; the inputs must be a whole number of blocks), output: the target as a scalar.
 * Inputs are scaled by one common factor (any per-column scaling would break the symmetry),
 * the target standardised by the training rows; MSEs are in the target's units.
 */
import { readFileSync } from "node:fs";
import { tree } from "../../jax.js";
import { ConfigError } from "../../core/errors.js";
import { makeKey } from "../../core/rng.js";
import { treeSize } from "../../core/tree.js";
import { groupFromJSON } from "../../discovery/group.js";
import { EMLP } from "../../layers/emlp/model.js";
import { MLP } from "../../nn/layers.js";
import type { Module } from "../../nn/module.js";
import { readNumericCsv, selectColumns } from "../../node/csv.js";
import { Scalar, V } from "../../reps/rep.js";
import type { ExperimentOptions, ExperimentResults } from "../types.js";
import { targetScale, trainRegressor } from "./shared.js";
import { runOutput } from "../output.js";

export async function run(opts: ExperimentOptions): Promise<ExperimentResults> {
  const u = opts.userData;
  if (u?.group === undefined || u.data === undefined || u.target === undefined) {
    throw new ConfigError(
      "emlp-learned runs on your data: give --group DIR/group.json, --data FILE.csv and --target COL",
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(u.group, "utf8"));
  } catch (e) {
    throw new ConfigError(
      `--group ${u.group}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : `not readable JSON (${(e as Error).message})`}`,
    );
  }
  const G = groupFromJSON(json, u.group);
  const table = readNumericCsv(u.data);
  if (!table.columns.includes(u.target))
    throw new ConfigError(
      `${u.data}: no column ${JSON.stringify(u.target)} for --target; the columns are ${table.columns.join(", ")}`,
    );
  const stored = (json as { diagnostics?: { inputs?: unknown } }).diagnostics?.inputs;
  const inputs =
    u.inputs ??
    (Array.isArray(stored) && stored.every((c) => typeof c === "string")
      ? (stored as string[])
      : table.columns.filter((c) => c !== u.target));
  const width = inputs.length;
  if (width % G.d !== 0)
    throw new ConfigError(
      `${u.group} acts on ${G.d} dimensions, but the ${width} input columns (${inputs.join(", ")}) are not a whole number of ${G.d}-blocks`,
    );
  const copies = width / G.d;
  const nTrain = u.train ?? Math.round(0.8 * table.rows);
  if (!(Number.isInteger(nTrain) && nTrain >= 1 && nTrain < table.rows))
    throw new ConfigError(`--train ${nTrain}: need 1 ≤ N < ${table.rows} (the rows after the first N test)`);
  const nTest = table.rows - nTrain;
  const x = selectColumns(table, inputs, u.data);
  const y = selectColumns(table, [u.target], u.data);
  let q = 0;
  for (let i = 0; i < nTrain * width; i++) q += x[i]! ** 2;
  const xScale = Math.sqrt(q / (nTrain * width)) || 1;
  const { mean: m, sd } = targetScale(y, nTrain);
  const xs = x.map((t) => t / xScale);
  const ys = y.map((t) => (t - m) / sd);
  const steps = opts.quick ? 600 : 3000;
  const channels = opts.quick ? 48 : 128;
  const rin = V(G).times(copies);
  const emlp = EMLP(rin, Scalar(G), G, { channels, layers: 2 });
  const count = (net: Module): number => {
    const p = net.init(makeKey(0));
    const n = treeSize(p);
    tree.dispose(p);
    return n;
  };
  const emlpParams = count(emlp);
  // An MLP with about as many parameters: two hidden layers of width h.
  const h = Math.max(8, Math.round((-(width + 4) + Math.sqrt((width + 4) ** 2 + 4 * emlpParams)) / 2));
  const mlp = MLP([width, h, h, 1], { activation: "silu" });
  const out = runOutput(opts.outDir);
  const results: Record<string, number> = {};
  const models: [string, Module][] = [
    ["emlp", emlp],
    ["mlp", mlp],
  ];
  for (const [i, [name, net]] of models.entries()) {
    const pred = await trainRegressor(
      {
        model: net,
        x: xs,
        y: ys,
        n: nTrain,
        width,
        testX: xs.subarray(nTrain * width),
        nTest,
        steps,
        seed: opts.seed,
        label: name,
        offset: i * steps,
        total: 2 * steps,
      },
      opts,
    );
    let s = 0;
    for (let k = 0; k < nTest; k++) s += ((pred[k]! - ys[nTrain + k]!) * sd) ** 2;
    results[name] = Number((s / nTest).toPrecision(4));
    opts.log(`emlp-learned ${name}: test MSE ${results[name]}`);
  }
  return out.results({
    task: `EMLP on the learned group ${G.name} (${G.D} generators on ℝ^${G.d}, ${copies} input block${copies === 1 ? "" : "s"}) vs an MLP, target ${u.target}`,
    testMSE: { emlp: results.emlp!, mlp: results.mlp! },
    train: nTrain,
    test: nTest,
    params: { emlp: emlpParams, mlp: count(mlp) },
    group: G.name,
    config: { steps, channels, layers: 2, mlpHidden: h, inputs, xScale: Number(xScale.toPrecision(4)) },
  });
}
