/**
 * The symmetry-discovery commands as scripts use them: `noether discover` on a CSV (both methods,
 * group.json shape, generators.svg, --json), `noether run emlp-learned` on its output, clear
 * one-line errors for bad files and options, and the discovery experiments' --json fields.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { cli, lastJson } from "./cli-support.js";
import { expmHost } from "../src/core/expm.js";
import { hostNormal, hostRng } from "../src/core/rng.js";
import { principalAnglesDeg } from "../src/discovery/algebra.js";
import { SO } from "../src/groups/index.js";

const tmp = mkdtempSync(join(tmpdir(), "noether-discover-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A CSV: two 3-vectors per row and an SO(3)-invariant target of them. */
function invariantCsv(rows: number, seed: number): string {
  const x = hostNormal(rows * 6, hostRng(seed));
  const lines = ["a1,a2,a3,b1,b2,b3,y"];
  for (let r = 0; r < rows; r++) {
    const a = x.subarray(6 * r, 6 * r + 3);
    const b = x.subarray(6 * r + 3, 6 * r + 6);
    const y =
      Math.sin(Math.hypot(...a)) -
      0.25 * (b[0]! ** 2 + b[1]! ** 2 + b[2]! ** 2) +
      0.5 * (a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!);
    lines.push([...a, ...b, y].map((v) => v.toFixed(6)).join(","));
  }
  return `${lines.join("\n")}\n`;
}

test("discover --method invariant: so(3) from a CSV → group.json of the pinned shape, generators.svg, --json; emlp-learned runs on it", {
  timeout: 240_000,
}, async () => {
  const csv = join(tmp, "so3.csv");
  writeFileSync(csv, invariantCsv(800, 1));
  const out = join(tmp, "disc");
  const r = await cli([
    "discover",
    "--data",
    csv,
    "--method",
    "invariant",
    "--target",
    "y",
    "--copies",
    "2",
    "--fit-steps",
    "800",
    "--out",
    out,
    "--json",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const json = lastJson(r.stdout) as {
    name: string;
    dim: number;
    generators: number[][][];
    discrete: number[][][];
    diagnostics: Record<string, unknown>;
  };
  assert.deepEqual(
    Object.keys(json)
      .filter((k) => k !== "solveTol" && k !== "approximate")
      .sort(),
    ["diagnostics", "dim", "discrete", "generators", "name"],
  );
  assert.equal(json.dim, 3);
  assert.equal(json.generators.length, 3, JSON.stringify(json.diagnostics.spectrum));
  assert.deepEqual(json.discrete, []);
  const learned = { d: 3, k: 3, generators: Float64Array.from(json.generators.flat(2)) };
  const so3 = SO(3);
  const angles = principalAnglesDeg(learned, { d: 3, k: 3, generators: so3.lieAlgebra });
  assert.ok(Math.max(...angles) < 5, `angles ${angles}`);
  assert.deepEqual(JSON.parse(readFileSync(join(out, "group.json"), "utf8")), json);
  assert.match(readFileSync(join(out, "generators.svg"), "utf8"), /<svg/);
  assert.match(r.stdout, /^G1 = \[\[/m);
  // The learned group feeds a later run: EMLP on it vs an MLP, first 200 rows train.
  const run = await cli([
    "run",
    "emlp-learned",
    "--group",
    join(out, "group.json"),
    "--data",
    csv,
    "--target",
    "y",
    "--train",
    "200",
    "--quick",
    "--json",
    "--out",
    join(tmp, "el"),
  ]);
  assert.equal(run.code, 0, run.stderr);
  const res = lastJson(run.stdout) as { testMSE: { emlp: number; mlp: number }; train: number; test: number };
  assert.deepEqual([res.train, res.test], [200, 600]);
  assert.ok(Number.isFinite(res.testMSE.emlp) && Number.isFinite(res.testMSE.mlp), JSON.stringify(res));
});

test("discover --method pairs: rotated point clouds (x, x′ columns, --points) → so(2)", {
  timeout: 120_000,
}, async () => {
  const rng = hostRng(3);
  const lines = ["x,y,xp,yp"];
  for (let c = 0; c < 20; c++) {
    const t = (2 * rng() - 1) * 2;
    const g = expmHost([0, -t, t, 0], 2);
    for (let p = 0; p < 6; p++) {
      const [a, b] = hostNormal(2, rng);
      lines.push([a!, b!, g[0]! * a! + g[1]! * b!, g[2]! * a! + g[3]! * b!].map((v) => v.toFixed(8)).join(","));
    }
  }
  const csv = join(tmp, "pairs.csv");
  writeFileSync(csv, `${lines.join("\n")}\n`);
  const r = await cli([
    "discover",
    "--data",
    csv,
    "--method",
    "pairs",
    "--inputs",
    "x,y",
    "--outputs",
    "xp,yp",
    "--points",
    "6",
    "--out",
    join(tmp, "pairs"),
    "--json",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const json = lastJson(r.stdout) as { generators: number[][][] };
  assert.equal(json.generators.length, 1);
  const [a, b, c, d] = json.generators[0]!.flat();
  assert.ok(Math.abs(a!) < 1e-5 && Math.abs(d!) < 1e-5 && Math.abs(b! + c!) < 1e-5, JSON.stringify(json.generators));
});

test("discover and emlp-learned: bad files and options are one-line errors naming the problem", {
  timeout: 120_000,
}, async () => {
  const write = (name: string, text: string) => {
    const f = join(tmp, name);
    writeFileSync(f, text);
    return f;
  };
  const cases: [string[], RegExp][] = [
    [
      [
        "discover",
        "--data",
        write("noheader.csv", "1,2\n3,4\n"),
        "--method",
        "invariant",
        "--target",
        "y",
        "--out",
        tmp,
      ],
      /a header row of column names is missing/,
    ],
    [
      [
        "discover",
        "--data",
        write("ragged.csv", "a,y\n1,2\n3\n"),
        "--method",
        "invariant",
        "--target",
        "y",
        "--out",
        tmp,
      ],
      /line 3 has 1 fields, the header has 2/,
    ],
    [
      ["discover", "--data", write("text.csv", "a,y\n1,x\n"), "--method", "invariant", "--target", "y", "--out", tmp],
      /line 2, column "y" is "x", not a number/,
    ],
    [
      ["discover", "--data", write("nan.csv", "a,y\n1,NaN\n"), "--method", "invariant", "--target", "y", "--out", tmp],
      /line 2, column "y" is NaN/,
    ],
    [
      [
        "discover",
        "--data",
        write("few.csv", "a,b,c,y\n1,2,3,4\n5,6,7,8\n"),
        "--method",
        "invariant",
        "--target",
        "y",
        "--out",
        tmp,
      ],
      /2 rows are too few to identify 3×3 generators/,
    ],
    [
      ["discover", "--data", write("ok.csv", "a,y\n1,2\n"), "--method", "invariant", "--target", "z", "--out", tmp],
      /no column "z" for --target; the columns are a, y/,
    ],
    [
      [
        "discover",
        "--data",
        join(tmp, "absent.csv"),
        "--method",
        "pairs",
        "--inputs",
        "a",
        "--outputs",
        "b",
        "--out",
        tmp,
      ],
      /no file .*absent\.csv/,
    ],
    [
      ["discover", "--data", join(tmp, "ok.csv"), "--method", "pairs", "--inputs", "a", "--out", tmp],
      /needs --inputs x1,… and --outputs/,
    ],
    [
      ["discover", "--data", join(tmp, "ok.csv"), "--method", "magic", "--out", tmp],
      /argument 'magic' is invalid. Allowed choices are invariant, pairs/,
    ],
    [
      ["run", "emlp-learned", "--data", join(tmp, "ok.csv"), "--target", "y"],
      /emlp-learned runs on your data and needs --group FILE/,
    ],
    [
      ["run", "emlp-learned", "--group", write("bad.json", "{"), "--data", join(tmp, "ok.csv"), "--target", "y"],
      /bad\.json: not readable JSON/,
    ],
    [
      [
        "run",
        "emlp-learned",
        "--group",
        write("g.json", '{"name":"g","dim":2,"generators":[[[0,1],[2]]]}'),
        "--data",
        join(tmp, "ok.csv"),
        "--target",
        "y",
      ],
      /"generators"\[0\] is not a 2×2 matrix/,
    ],
    [["run", "mlp-fit", "--group", "x.json"], /mlp-fit takes no --group option/],
    [["tour", "--only", "emlp-learned"], /emlp-learned runs on your own data and is not part of a tour/],
  ];
  const runs = await Promise.all(cases.map(([args]) => cli(args)));
  runs.forEach((r, i) => {
    const [args, re] = cases[i]!;
    assert.notEqual(r.code, 0, `${args.join(" ")} exited 0`);
    assert.match(r.stderr, re, `${args.join(" ")}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /^\s+at /m, `${args.join(" ")} printed a stack trace`);
  });
});

test("discovery experiments' quick forms print the --json fields the issue names", { timeout: 300_000 }, async () => {
  const rot = await cli(["run", "discover-rotation", "--quick", "--json", "--out", join(tmp, "rot")]);
  assert.equal(rot.code, 0, rot.stderr);
  const r = lastJson(rot.stdout) as Record<
    string,
    { principalAnglesDeg: number[]; cosine: number[]; closureResidual: number; generatorsFound: number }
  >;
  assert.equal(r.so2!.generatorsFound, 1);
  assert.equal(r.so3!.generatorsFound, 3);
  for (const t of [r.so2!, r.so3!]) {
    assert.ok(Math.max(...t.principalAnglesDeg) < 1, JSON.stringify(t));
    assert.ok(t.cosine.every((c) => c > 0.999) && t.closureResidual < 0.05, JSON.stringify(t));
  }
  assert.ok(existsSync(join(tmp, "rot", "generators-so3.svg")));
  // The headline, shrunk to one task and one size (the contract, not the numbers).
  const head = await cli([
    "run",
    "discover-then-enforce",
    "--quick",
    "--json",
    "--out",
    join(tmp, "dte"),
    "--param",
    "tasks=conjugate-so3",
    "--param",
    "sizes=50",
    "--param",
    "steps=20",
    "--param",
    "discoverySamples=400",
  ]);
  assert.equal(head.code, 0, head.stderr);
  const h = lastJson(head.stdout) as {
    tasks: {
      name: string;
      sizes: number[];
      testMSE: Record<string, number[]>;
      discovery: { principalAnglesDeg: number[]; closureResidual: number };
    }[];
  };
  assert.equal(h.tasks.length, 1);
  assert.deepEqual(h.tasks[0]!.sizes, [50]);
  assert.deepEqual(Object.keys(h.tasks[0]!.testMSE).sort(), ["emlpDiscovered", "emlpTrue", "mlp", "mlpPenalty"]);
  for (const v of Object.values(h.tasks[0]!.testMSE)) assert.ok(v.length === 1 && Number.isFinite(v[0]!));
  assert.ok(
    Array.isArray(h.tasks[0]!.discovery.principalAnglesDeg) && Number.isFinite(h.tasks[0]!.discovery.closureResidual),
  );
  assert.ok(existsSync(join(tmp, "dte", "test-mse.svg")));
});
