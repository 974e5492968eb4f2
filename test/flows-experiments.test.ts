/**
 * The flow experiments as scripts use them: `noether run flow-phi4 --quick --json` prints the
 * pinned fields (shortened with --param steps/samples to keep the suite fast), writes its plots,
 * results and checkpoints; an odd lattice size is a one-line error naming it.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { cli, lastJson } from "./cli-support.js";

const tmp = mkdtempSync(join(tmpdir(), "noether-flows-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

interface Sampler {
  acceptance: number;
  essPerSample: number | null;
  tauIntAbsM: number | null;
}

test("flow-phi4 --quick --json: { ensembles: [{ L, lambda, flow, flowNonEquivariant, hmc }] } at L = 6, plots and checkpoints", {
  timeout: 240_000,
}, async () => {
  const out = join(tmp, "phi4");
  const r = await cli(
    ["run", "flow-phi4", "--quick", "--json", "--param", "steps=30", "--param", "samples=600", "--out", out],
    230_000,
  );
  assert.equal(r.code, 0, r.stderr);
  const json = lastJson(r.stdout) as { ensembles: Record<string, unknown>[] };
  assert.equal(json.ensembles.length, 1);
  const e = json.ensembles[0]!;
  assert.equal(e.L, 6);
  assert.equal(e.lambda, 6.975);
  for (const key of ["flow", "flowNonEquivariant"]) {
    const s = e[key] as Sampler;
    assert.ok(s.acceptance > 0 && s.acceptance <= 1, `${key} acceptance ${s.acceptance}`);
    assert.ok(s.essPerSample !== null && s.essPerSample > 0 && s.essPerSample <= 1, `${key} ESS ${s.essPerSample}`);
    assert.ok(s.tauIntAbsM === null || s.tauIntAbsM >= 0.4, `${key} τ ${s.tauIntAbsM}`);
  }
  const hmc = e.hmc as { tauIntAbsM: number; acceptance: number };
  assert.ok(hmc.tauIntAbsM >= 0.4 && hmc.acceptance > 0.3, JSON.stringify(hmc));
  for (const f of ["acceptance.svg", "autocorrelation.svg", "magnetisation.svg"])
    assert.match(readFileSync(join(out, f), "utf8"), /<svg/);
  assert.ok(existsSync(join(out, "checkpoint-flow-L6.safetensors")));
  assert.deepEqual(JSON.parse(readFileSync(join(out, "results.json"), "utf8")).ensembles, json.ensembles);
});

test("flow-phi4 with an odd lattice size: a one-line error naming L", async () => {
  const r = await cli(["run", "flow-phi4", "--quick", "--param", "L=5", "--out", join(tmp, "odd")], 60_000);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /even lattice size L ≥ 2, got L = 5/);
});
