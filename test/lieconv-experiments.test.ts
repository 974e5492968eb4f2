/**
 * `noether run lieconv-springs --quick --json` prints the fields the issue names — per model
 * { rolloutRelErr, energyDrift, linearMomentumDrift, angularMomentumDrift } — and the conservation
 * laws hold in the trained models' float64 rollouts: T(2) keeps linear momentum and SO(2) angular
 * momentum to rounding, while the MLP and trivial-group models drift.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { cli, lastJson } from "./cli-support.js";

const tmp = mkdtempSync(join(tmpdir(), "noether-lieconv-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

test("lieconv-springs --quick --json: per-model drifts; T(2)/SO(2) conserve P/L to rounding, the others do not", {
  timeout: 240_000,
}, async () => {
  const out = join(tmp, "springs");
  const r = await cli(["run", "lieconv-springs", "--quick", "--json", "--out", out], 230_000);
  assert.equal(r.code, 0, r.stderr);
  type M = { rolloutRelErr: number; energyDrift: number; linearMomentumDrift: number; angularMomentumDrift: number };
  const res = lastJson(r.stdout) as { models: Record<"mlp" | "trivial" | "t2" | "so2", M> };
  for (const name of ["mlp", "trivial", "t2", "so2"] as const) {
    const m = res.models[name];
    for (const k of ["rolloutRelErr", "energyDrift", "linearMomentumDrift", "angularMomentumDrift"] as const)
      assert.ok(Number.isFinite(m[k]) && m[k] >= 0, `${name}.${k} = ${m[k]}`);
    assert.ok(m.rolloutRelErr < 1, `${name}: rollout relative error ${m.rolloutRelErr} (at most 1 by definition)`);
  }
  assert.ok(res.models.t2.linearMomentumDrift < 1e-10, `t2 P drift ${res.models.t2.linearMomentumDrift}`);
  assert.ok(res.models.so2.angularMomentumDrift < 1e-10, `so2 L drift ${res.models.so2.angularMomentumDrift}`);
  assert.ok(res.models.trivial.linearMomentumDrift > 1e-6 && res.models.trivial.angularMomentumDrift > 1e-6);
  assert.ok(res.models.mlp.angularMomentumDrift > 1e-6);
  for (const f of [
    "rollout.svg",
    "energy.svg",
    "linear-momentum.svg",
    "angular-momentum.svg",
    "error.svg",
    "results.json",
  ])
    assert.ok(existsSync(join(out, f)), `missing ${f}`);
});
