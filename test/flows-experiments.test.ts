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
    // Extra fields: τ_int of the signed M and of G(0) (null only for a chain that never moved).
    for (const f of ["tauIntM", "tauIntG0"] as const) {
      const v = (s as unknown as Record<string, number | null>)[f]!;
      assert.ok(v === null || v >= 0.3, `${key} ${f} ${v}`);
    }
  }
  const hmc = e.hmc as { tauIntAbsM: number; tauIntM: number; tauIntG0: number; acceptance: number };
  assert.ok(hmc.tauIntAbsM >= 0.4 && hmc.acceptance > 0.3, JSON.stringify(hmc));
  assert.ok(hmc.tauIntM >= 0.3 && hmc.tauIntG0 >= 0.3, JSON.stringify(hmc));
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

test("flow-u1 --quick --json: { betas, flow: { tauIntQ, plaquette }, hmc: { … }, plaquetteExact } at L = 4, plots and checkpoints", {
  timeout: 120_000,
}, async () => {
  const out = join(tmp, "u1");
  const r = await cli(
    ["run", "flow-u1", "--quick", "--json", "--param", "steps=20", "--param", "samples=400", "--out", out],
    110_000,
  );
  assert.equal(r.code, 0, r.stderr);
  const json = lastJson(r.stdout) as {
    betas: number[];
    flow: { tauIntQ: (number | null)[]; plaquette: number[] };
    hmc: { tauIntQ: (number | null)[]; plaquette: number[] };
    plaquetteExact: number[];
  };
  assert.deepEqual(json.betas, [1, 3]);
  // The exact finite-lattice value (V = 16) is increasing in β and near I₁/I₀ (0.446 at β = 1).
  assert.equal(json.plaquetteExact.length, 2);
  assert.ok(Math.abs(json.plaquetteExact[0]! - 0.4464) < 1e-3, `exact ⟨cos P⟩(β = 1) ${json.plaquetteExact[0]}`);
  assert.ok(json.plaquetteExact[1]! > json.plaquetteExact[0]!);
  for (const key of ["flow", "hmc"] as const) {
    const s = json[key];
    assert.equal(s.tauIntQ.length, 2);
    assert.equal(s.plaquette.length, 2);
    for (const t of s.tauIntQ) assert.ok(t === null || t >= 0.3, `${key} τ_int(Q) ${t}`);
    for (const p of s.plaquette) assert.ok(p > 0 && p <= 1, `${key} ⟨cos P⟩ ${p}`);
  }
  // HMC is exact up to statistics: at β = 1 (τ ≈ 1) within 0.06 of the exact value.
  assert.ok(
    Math.abs(json.hmc.plaquette[0]! - json.plaquetteExact[0]!) < 0.06,
    `HMC ⟨cos P⟩ ${json.hmc.plaquette[0]} vs exact ${json.plaquetteExact[0]}`,
  );
  for (const f of ["tau-q.svg", "plaquette.svg", "q-history.svg"])
    assert.match(readFileSync(join(out, f), "utf8"), /<svg/);
  assert.ok(existsSync(join(out, "checkpoint-flow-beta3.safetensors")));
  const saved = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
  assert.deepEqual(saved.flow.tauIntQ, json.flow.tauIntQ);
  assert.deepEqual(saved.plaquetteExact, json.plaquetteExact);
});

test("flow-u1 with L not a multiple of 4: a one-line error naming L", async () => {
  const r = await cli(["run", "flow-u1", "--quick", "--param", "L=6", "--out", join(tmp, "u1-bad")], 60_000);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /multiple of 4, got L = 6/);
});

test("flow-hamiltonian --quick --json: { symmetric, unconstrained: { heldOutNLL, invarianceError } }; the symmetric density is invariant, the control is not", {
  timeout: 90_000,
}, async () => {
  const out = join(tmp, "ham");
  const r = await cli(["run", "flow-hamiltonian", "--quick", "--json", "--param", "steps=120", "--out", out], 80_000);
  assert.equal(r.code, 0, r.stderr);
  const json = lastJson(r.stdout) as Record<string, { heldOutNLL: number; invarianceError: number; params: number }> & {
    targetNLL: number;
  };
  const sym = json.symmetric!;
  const unc = json.unconstrained!;
  assert.ok(sym.invarianceError < 1e-4, `symmetric invariance error ${sym.invarianceError}`);
  assert.ok(unc.invarianceError > 1e-3, `unconstrained invariance error ${unc.invarianceError}`);
  assert.ok(Math.abs(sym.params - unc.params) <= 4, `parameter counts ${sym.params} vs ${unc.params}`);
  for (const [k, s] of Object.entries({ sym, unc })) {
    // An upper bound on the model's cross-entropy, which cannot beat the target's entropy (up to noise).
    assert.ok(Number.isFinite(s.heldOutNLL) && s.heldOutNLL > json.targetNLL - 0.1, `${k} NLL ${s.heldOutNLL}`);
  }
  // Trained: better than the untrained flow's N(0, I) on q (≈ 3.9 nats on this ring).
  assert.ok(sym.heldOutNLL < 3.7, `symmetric held-out NLL ${sym.heldOutNLL}`);
  for (const f of ["samples.svg", "radial.svg"]) assert.match(readFileSync(join(out, f), "utf8"), /<svg/);
  assert.ok(existsSync(join(out, "checkpoint-symmetric.safetensors")));
});
