/**
 * `noether run lieconv-springs --quick --json` prints the fields the issue names — per model
 * { rolloutRelErr, energyDrift, linearMomentumDrift, angularMomentumDrift } — and the conservation
 * laws hold in the trained models' float64 rollouts: T(2) keeps linear momentum and SO(2) angular
 * momentum to rounding, while the MLP and trivial-group models drift. `lieconv-rotmnist` (shrunk)
 * prints { testError: { trivial, so2, se2 } } as fractions and saves the paper's % under `paper`.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { cli, lastJson } from "./cli-support.js";

const tmp = mkdtempSync(join(tmpdir(), "noether-lieconv-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

// Shrunk with --param (2 Adam steps of batch 10 on 1-step chunks, 2 test rollouts of 20 steps): the
// conservation laws hold by construction whatever the training, and this keeps the test to ~15 s.
const SPRINGS_SMALL = ["steps=2", "batch=10", "systems=2", "testSystems=2", "rolloutSteps=20", "chunk=1"].flatMap(
  (p) => ["--param", p],
);

test("lieconv-springs --quick --json: per-model drifts; T(2)/SO(2) conserve P/L to rounding, the others do not", {
  timeout: 120_000,
}, async () => {
  const out = join(tmp, "springs");
  const r = await cli(["run", "lieconv-springs", "--quick", "--json", "--out", out, ...SPRINGS_SMALL], 110_000);
  assert.equal(r.code, 0, r.stderr);
  type M = { rolloutRelErr: number; energyDrift: number; linearMomentumDrift: number; angularMomentumDrift: number };
  const res = lastJson(r.stdout) as {
    models: Record<"mlp" | "trivial" | "t2" | "so2", M>;
    config: { optSteps: number; evalSteps: number; chunk: number };
  };
  assert.deepEqual(
    [res.config.optSteps, res.config.evalSteps, res.config.chunk],
    [2, 20, 1],
    "the --param values reach the run",
  );
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

test("lieconv-rotmnist --quick --json (shrunk): test error per group as fractions, paper anchors in %, the plot", {
  timeout: 120_000,
}, async () => {
  const out = join(tmp, "rotmnist");
  const small = ["train=200", "test=100", "steps=30", "points=16"].flatMap((p) => ["--param", p]);
  const r = await cli(["run", "lieconv-rotmnist", "--quick", "--json", "--out", out, ...small], 110_000);
  assert.equal(r.code, 0, r.stderr);
  const res = lastJson(r.stdout) as {
    testError: Record<"trivial" | "so2" | "se2", number>;
    models: Record<string, { trainLoss: number }>;
    config: { nTrain: number; nTest: number; points: number; steps: number };
  };
  assert.deepEqual(Object.keys(res.testError).sort(), ["se2", "so2", "trivial"]);
  for (const [name, e] of Object.entries(res.testError)) {
    // 100 test digits: each error is a multiple of 1/100 in [0, 1].
    assert.ok(e >= 0 && e <= 1 && Math.abs(e * 100 - Math.round(e * 100)) < 1e-9, `${name}: test error ${e}`);
    assert.ok(Number.isFinite(res.models[name]!.trainLoss), `${name}: train loss ${res.models[name]!.trainLoss}`);
  }
  assert.deepEqual(
    [res.config.nTrain, res.config.nTest, res.config.points, res.config.steps],
    [200, 100, 16, 30],
    "the --param values reach the run",
  );
  const saved = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as {
    paper: { testErrorPercent: Record<string, number> };
  };
  assert.deepEqual(saved.paper.testErrorPercent, { trivial: 1.44, t2: 1.32, so2: 1.27, se2: 1.13 });
  assert.ok(existsSync(join(out, "error.svg")), "missing error.svg");
});
