/**
 * The graph experiments' quick forms as scripts use them: `noether run gn-springs|hgn-springs|
 * egnn-nbody --quick --json` print the fields the issue names, the plots are written, and the
 * quick forms keep the orderings they exist to show (GN beats the padded MLP on unseen chain
 * lengths, the HGN drifts less in energy than the plain GN, EGNN beats the GNN).
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { cli, lastJson } from "./cli-support.js";

const tmp = mkdtempSync(join(tmpdir(), "noether-graph-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

const finite = (v: unknown) => typeof v === "number" && Number.isFinite(v);

test("gn-springs, hgn-springs and egnn-nbody --quick --json: the named fields, plots, and the orderings", {
  timeout: 400_000,
}, async () => {
  const run = (name: string) => cli(["run", name, "--quick", "--json", "--out", join(tmp, name)], 380_000);
  const [gn, hgn, egnn] = await Promise.all([run("gn-springs"), run("hgn-springs"), run("egnn-nbody")]);

  assert.equal(gn.code, 0, gn.stderr);
  const g = lastJson(gn.stdout) as { models: Record<"gn" | "mlp", Record<string, unknown>> };
  for (const m of ["gn", "mlp"] as const)
    for (const k of ["mse4", "mse9"]) assert.ok(finite(g.models[m][k]), `gn-springs ${m}.${k}`);
  assert.ok((g.models.gn.mse9 as number) < (g.models.mlp.mse9 as number), JSON.stringify(g.models));
  for (const f of ["error-vs-time.svg", "paths.svg", "results.json"])
    assert.ok(existsSync(join(tmp, "gn-springs", f)), f);

  assert.equal(hgn.code, 0, hgn.stderr);
  const h = lastJson(hgn.stdout) as { models: Record<"hgn" | "gn", Record<string, unknown>> };
  for (const m of ["hgn", "gn"] as const)
    for (const k of ["energyDrift", "rolloutMSE"])
      assert.ok(finite(h.models[m][k]), `hgn-springs ${m}.${k}: ${h.models[m][k]}`);
  assert.ok((h.models.hgn.energyDrift as number) < (h.models.gn.energyDrift as number), JSON.stringify(h.models));
  for (const f of ["energy.svg", "error-vs-time.svg"]) assert.ok(existsSync(join(tmp, "hgn-springs", f)), f);

  assert.equal(egnn.code, 0, egnn.stderr);
  const e = lastJson(egnn.stdout) as { testMSE: Record<string, number> };
  for (const k of ["egnn", "gnn", "linear"]) assert.ok(finite(e.testMSE[k]), `egnn-nbody testMSE.${k}`);
  assert.ok(e.testMSE.egnn! < e.testMSE.gnn!, JSON.stringify(e.testMSE));
  const saved = JSON.parse(readFileSync(join(tmp, "egnn-nbody", "results.json"), "utf8")) as {
    testMSE: Record<string, number>;
    paper: { testMSE: Record<string, number> };
  };
  assert.deepEqual(saved.testMSE, e.testMSE);
  assert.equal(saved.paper.testMSE.egnn, 0.0071);
  assert.equal(saved.paper.testMSE.gnn, 0.0107);
  for (const f of ["val-mse.svg", "positions.svg"]) assert.ok(existsSync(join(tmp, "egnn-nbody", f)), f);
});
