/**
 * The soft-symmetry experiments' --json fields as scripts read them (quick forms, cut further
 * by --param so that the file stays fast): soft-vs-exact's per-task arrays aligned with sizes,
 * augerino-rotmnist's widths, transformation-vae's held-out error and latent spectrum,
 * vdw-invariance's test errors, bounds and learned range, and
 * their plots.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { cli, lastJson } from "./cli-support.js";

const tmp = mkdtempSync(join(tmpdir(), "noether-soft-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

const MODELS = ["mlp", "penalty", "augmentation", "augerino", "exact"];

test("soft-vs-exact --quick --json: tasks[].{name, sizes, testError, equivarianceError} with arrays aligned to sizes", {
  timeout: 180_000,
}, async () => {
  const out = join(tmp, "sve");
  const r = await cli([
    "run",
    "soft-vs-exact",
    "--quick",
    "--param",
    "sizes=60,120",
    "--param",
    "steps=80",
    "--out",
    out,
    "--json",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const json = lastJson(r.stdout) as {
    tasks: {
      name: string;
      sizes: number[];
      testError: Record<string, number[]>;
      equivarianceError: Record<string, number[]>;
      penaltyByWeight: Record<string, { testError: number[] }>;
    }[];
  };
  assert.equal(json.tasks.length, 1);
  const t = json.tasks[0]!;
  assert.equal(t.name, "o5-invariant");
  assert.deepEqual(t.sizes, [60, 120]);
  for (const key of ["testError", "equivarianceError"] as const) {
    assert.deepEqual(Object.keys(t[key]).sort(), [...MODELS].sort());
    for (const m of MODELS) {
      assert.equal(t[key][m]!.length, 2, `${key}.${m}`);
      assert.ok(
        t[key][m]!.every((v) => Number.isFinite(v) && v >= 0),
        `${key}.${m}: ${t[key][m]}`,
      );
    }
  }
  assert.equal(Object.keys(t.penaltyByWeight).length, 3);
  // The harness's numbers: EMLP exact to float32, the plain MLP far from it.
  assert.ok(Math.max(...t.equivarianceError.exact!) < 1e-4, `exact: ${t.equivarianceError.exact}`);
  assert.ok(Math.min(...t.equivarianceError.mlp!) > 1e-2, `mlp: ${t.equivarianceError.mlp}`);
  for (const f of ["test-error.svg", "equivariance-error.svg"])
    assert.match(readFileSync(join(out, f), "utf8"), /<svg/);
});

test("augerino-rotmnist --quick --json: test errors, six named widths, their history; widths.svg", {
  timeout: 180_000,
}, async () => {
  const out = join(tmp, "arm");
  const r = await cli(["run", "augerino-rotmnist", "--quick", "--param", "steps=40", "--out", out, "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const json = lastJson(r.stdout) as {
    mlp: { testError: number };
    rotationAugmentation: { testError: number };
    augerino: { testError: number; widths: Record<string, number>; rotationRangeDeg: number };
    widthHistory: { step: number; widths: number[] }[];
  };
  for (const e of [json.mlp.testError, json.rotationAugmentation.testError, json.augerino.testError])
    assert.ok(e >= 0 && e <= 1, String(e));
  assert.deepEqual(Object.keys(json.augerino.widths), ["tx", "ty", "rotation", "scale", "stretch", "shear"]);
  assert.ok(json.widthHistory.length >= 2 && json.widthHistory.every((h) => h.widths.length === 6));
  // The widths moved from their initial value (1) during training.
  assert.ok(
    Object.values(json.augerino.widths).some((w) => Math.abs(w - 1) > 1e-3),
    JSON.stringify(json.augerino.widths),
  );
  assert.ok(existsSync(join(out, "widths.svg")));
});

test("transformation-vae --quick --json: heldOutRelErr and latentSpectrum (a conjugate pair for k = 2)", {
  timeout: 180_000,
}, async () => {
  const out = join(tmp, "tvae");
  const r = await cli(["run", "transformation-vae", "--quick", "--param", "steps=300", "--out", out, "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const json = lastJson(r.stdout) as {
    heldOutRelErr: number;
    latentSpectrum: { re: number; im: number }[];
    references: { identity: number; noLatentAction: number };
  };
  assert.ok(Number.isFinite(json.heldOutRelErr) && json.heldOutRelErr > 0, String(json.heldOutRelErr));
  assert.equal(json.latentSpectrum.length, 2);
  const [a, b] = json.latentSpectrum as [{ re: number; im: number }, { re: number; im: number }];
  assert.ok(Math.abs(a.re - b.re) < 1e-3 * (1 + Math.abs(a.re)) && Math.abs(a.im + b.im) < 1e-3 * (1 + Math.abs(a.im)));
  assert.ok(json.references.identity > 0 && json.references.noLatentAction > 0);
  assert.match(readFileSync(join(out, "latent-spectrum.svg"), "utf8"), /<svg/);
});

test("vdw-invariance --quick --json: testError and bound {plain, invariant}, learnedRangeDeg; range.svg, bound.svg", {
  timeout: 180_000,
}, async () => {
  const out = join(tmp, "vdw");
  const r = await cli([
    "run",
    "vdw-invariance",
    "--quick",
    "--param",
    "steps=20",
    "--param",
    "train=150",
    "--param",
    "inducing=30",
    "--out",
    out,
    "--json",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const json = lastJson(r.stdout) as {
    testError: { plain: number; invariant: number };
    learnedRangeDeg: number;
    bound: { plain: number; invariant: number };
    rangeHistory: { step: number; rangeDeg: number }[];
    paper: { source: string };
  };
  for (const e of [json.testError.plain, json.testError.invariant]) assert.ok(e >= 0 && e <= 1, String(e));
  // The range moved from its initial 45° and stays inside (0°, 180°).
  assert.ok(
    json.learnedRangeDeg > 0 && json.learnedRangeDeg < 180 && Math.abs(json.learnedRangeDeg - 45) > 1,
    String(json.learnedRangeDeg),
  );
  assert.ok(json.rangeHistory.length >= 2 && json.rangeHistory.at(-1)!.rangeDeg === json.learnedRangeDeg);
  // The paper's headline on rotated digits: the invariant kernel's bound is the higher one.
  assert.ok(Number.isFinite(json.bound.plain) && json.bound.invariant > json.bound.plain, JSON.stringify(json.bound));
  assert.match(json.paper.source, /van der Wilk/);
  for (const f of ["range.svg", "bound.svg"]) assert.match(readFileSync(join(out, f), "utf8"), /<svg/);
});
