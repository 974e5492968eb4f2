import assert from "node:assert/strict";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { cli, lastJson } from "./cli-support.js";

const tmp = mkdtempSync(join(tmpdir(), "noether-cli-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

test("list prints every experiment with a description", async () => {
  const r = await cli(["list"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^mlp-fit\s+\S.+$/m);
});

test("unknown command and unknown option exit non-zero and print usage", async () => {
  const [cmd, opt, name] = await Promise.all([
    cli(["frobnicate"]),
    cli(["run", "mlp-fit", "--bogus"]),
    cli(["run", "no-such-experiment"]),
  ]);
  assert.notEqual(cmd.code, 0);
  assert.match(cmd.stderr, /unknown command 'frobnicate'/);
  assert.match(cmd.stderr, /Usage: noether/);
  assert.notEqual(opt.code, 0);
  assert.match(opt.stderr, /unknown option '--bogus'/);
  assert.match(opt.stderr, /Usage: noether run/);
  assert.notEqual(name.code, 0);
  assert.match(name.stderr, /unknown experiment "no-such-experiment"; available: .*\bmlp-fit\b/);
  assert.equal(cmd.stdout + opt.stdout + name.stdout, "");
});

test("run mlp-fit --quick --json: JSON last line, results.json, checkpoint and SVG plots", async () => {
  const out = join(tmp, "mlp-fit");
  const r = await cli(["run", "mlp-fit", "--quick", "--json", "--seed", "3", "--out", out]);
  assert.equal(r.code, 0, r.stderr);
  const res = lastJson(r.stdout) as Record<string, unknown>;
  for (const k of ["task", "trainLoss", "valLoss", "testLoss", "epochs", "steps", "seconds"])
    assert.ok(k in res, `missing ${k}`);
  for (const k of ["trainLoss", "valLoss", "testLoss"]) {
    const v = res[k] as number;
    assert.ok(Number.isFinite(v) && v > 0 && v < 0.05, `${k} = ${v}: the quick fit should get close to sin(3x)·x`);
  }
  assert.deepEqual(JSON.parse(readFileSync(join(out, "results.json"), "utf8")), res);
  const ckpt = readFileSync(join(out, "checkpoint.safetensors"));
  const headerLen = Number(ckpt.readBigUInt64LE(0));
  const header = JSON.parse(ckpt.subarray(8, 8 + headerLen).toString("utf8")) as Record<string, unknown>;
  assert.ok(
    Object.keys(header).some((k) => k.startsWith("params.")),
    "checkpoint has no params.* tensors",
  );
  const svgs = readdirSync(out).filter((f) => f.endsWith(".svg"));
  assert.deepEqual(svgs.sort(), ["loss.svg", "prediction.svg"]);
  for (const f of svgs) assert.match(readFileSync(join(out, f), "utf8"), /<path[^>]* d="M[\d.-]+,[\d.-]+L/);
  // Progress goes to stderr as plain lines under --json, never to stdout.
  assert.match(r.stderr, /mlp-fit: \d+\/\d+ steps \(\d+%/);
  assert.doesNotMatch(r.stdout, /steps \(/);
});

test("describe prints the description, data sets and parameter table; --json as one line", async () => {
  const [emlp, mlp, gcnn, bad] = await Promise.all([
    cli(["describe", "emlp-o5-invariant", "--json"]),
    cli(["describe", "mlp-fit"]),
    cli(["describe", "gcnn-rotmnist"]),
    cli(["describe", "nope"]),
  ]);
  assert.equal(emlp.code, 0, emlp.stderr);
  assert.match(emlp.stdout, /^emlp-o5-invariant: EMLP table/m);
  assert.match(emlp.stdout, /^channels\s+int ≥ 1\s+384\s+EMLP hidden channels/m);
  assert.match(emlp.stdout, /^schedule\s+string: constant\|cosine\s+constant\s/m);
  const d = lastJson(emlp.stdout) as {
    name: string;
    dataSets: unknown;
    params: { name: string; kind: string; default: string }[];
  };
  assert.equal(d.name, "emlp-o5-invariant");
  assert.equal(d.dataSets, null);
  assert.deepEqual(
    d.params.map((p) => p.name),
    ["models", "sizes", "channels", "maxSteps", "parametrization", "schedule", "warmup"],
  );
  assert.deepEqual(
    d.params.find((p) => p.name === "channels"),
    {
      name: "channels",
      kind: "int",
      min: 1,
      default: "384",
      description: "EMLP hidden channels (uniformRep); the MLP baselines stay 384 wide",
    },
  );
  assert.equal(mlp.code, 0, mlp.stderr);
  assert.match(mlp.stdout, /^parameters: none$/m);
  assert.match(gcnn.stdout, /^data sets: mnist, fashion \(--data; default mnist\)$/m);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /unknown experiment "nope"; available: .*\bmlp-fit\b/);
});

test("run --param: valid values change the run (results.json config and rows)", { timeout: 120_000 }, async () => {
  const out = join(tmp, "emlp-params");
  const args = ["run", "emlp-o5-invariant", "--quick", "--json", "--out", out];
  const r = await cli(
    [
      ...args,
      "--param",
      "models=emlp",
      "--param",
      "channels=16",
      "--param",
      "maxSteps=2",
      "--param",
      "sizes=100",
      "--param",
      "schedule=cosine",
    ],
    120_000,
  );
  assert.equal(r.code, 0, r.stderr);
  const saved = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as {
    config: Record<string, unknown>;
    results: { model: string; trainSize: number; steps: number }[];
  };
  assert.deepEqual(saved, lastJson(r.stdout));
  assert.equal(saved.config.channels, 16);
  assert.equal(saved.config.schedule, "cosine");
  assert.equal(saved.config.epochs, "min(300000/N, 300), at most 2 steps");
  assert.deepEqual(
    saved.results.map((x) => [x.model, x.trainSize, x.steps]),
    [["emlp", 100, 2]],
  );
});

test("run --param: invalid values and names are errors naming the parameter, the expectation and what was given", async () => {
  const run = (...p: string[]) =>
    cli(["run", "emlp-o5-invariant", "--quick", "--out", join(tmp, "never"), ...p.flatMap((x) => ["--param", x])]);
  const cases: [string[], RegExp][] = [
    [["channels=NaN"], /error: --param channels must be an integer ≥ 1, got "NaN"/],
    [["channels=-3"], /error: --param channels must be an integer ≥ 1, got "-3"/],
    [["channels=1.5"], /error: --param channels must be an integer ≥ 1, got "1.5"/],
    [["warmup=abc"], /error: --param warmup must be a number in \[0, 0\.99\], got "abc"/],
    [["schedule=linear"], /error: --param schedule must be one of constant, cosine, got "linear"/],
    [
      ["models=emlp,cnn"],
      /error: --param models must be a comma-separated list, each one of mlp, mlp-aug, emlp, got "emlp,cnn"/,
    ],
    [["sizes=100,-1"], /error: --param sizes must be a comma-separated list of integers ≥ 1, got "100,-1"/],
    [
      ["width=3"],
      /error: emlp-o5-invariant has no parameter "width"; its parameters: models, sizes, channels, maxSteps, parametrization, schedule, warmup/,
    ],
    [["channels"], /error: --param expects key=value, got "channels"/],
    [["channels=16", "channels=32"], /error: --param channels is given more than once/],
  ];
  const runs = await Promise.all(cases.map(([p]) => run(...p)));
  runs.forEach((r, i) => {
    assert.equal(r.code, 1, `${cases[i]![0]}: exit code`);
    assert.match(r.stderr.split("\n")[0]!, cases[i]![1]);
    assert.equal(r.stdout, "");
  });
  assert.ok(!existsSync(join(tmp, "never")), "nothing is written before the parameters are valid");
  const none = await cli(["run", "mlp-fit", "--param", "epochs=3"]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /error: mlp-fit takes no --param \(it has no parameters\); got "epochs=3"/);
  // Values handed over in code go through the same check when an experiment runs from the registry.
  const { findExperiment } = await import("../src/experiments/index.js");
  const opts = { quick: true, seed: 0, outDir: join(tmp, "never"), onProgress: () => {}, log: () => {} };
  await assert.rejects(
    findExperiment("emlp-lorentz")!.run({ ...opts, params: { channels: 0 } }),
    /emlp-lorentz: parameter channels must be an integer ≥ 1, got 0/,
  );
  await assert.rejects(
    findExperiment("mlp-fit")!.run({ ...opts, params: { epochs: 3 } }),
    /mlp-fit takes no parameters; got "epochs"/,
  );
});

test("bench mlp-step --json prints the documented shape", async () => {
  const r = await cli(["bench", "mlp-step", "--json", "--steps", "3", "--warmup", "1", "--no-reference"]);
  assert.equal(r.code, 0, r.stderr);
  const res = lastJson(r.stdout) as Record<string, unknown>;
  assert.deepEqual(Object.keys(res).sort(), ["msPerStep", "name", "ratio", "reference"]);
  assert.equal(res.name, "mlp-step");
  assert.ok(typeof res.msPerStep === "number" && res.msPerStep > 0);
  assert.equal(res.reference, null);
  assert.equal(res.ratio, null);
  const unknown = await cli(["bench", "nope"]);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /unknown benchmark "nope"; available: all, mlp-step/);
  const badData = await cli(["run", "mlp-fit", "--data", "fashion"]);
  assert.notEqual(badData.code, 0);
  assert.match(badData.stderr, /mlp-fit takes no --data option/);
  const badSet = await cli(["run", "gcnn-rotmnist", "--data", "cifar"]);
  assert.notEqual(badSet.code, 0);
  assert.match(badSet.stderr, /gcnn-rotmnist has no data set "cifar"; available: mnist, fashion/);
  const badOnly = await cli(["tour", "--only", "nope"]);
  assert.notEqual(badOnly.code, 0);
  assert.match(badOnly.stderr, /unknown experiment "nope" in --only/);
});

test("tour writes report/index.html with each experiment's numbers and inline SVG", { timeout: 180_000 }, async () => {
  const out = join(tmp, "report");
  const r = await cli(["tour", "--out", out, "--json", "--only", "mlp-fit"]);
  assert.equal(r.code, 0, r.stderr);
  const res = lastJson(r.stdout) as Record<string, Record<string, unknown>>;
  assert.ok("mlp-fit" in res);
  assert.ok(existsSync(join(out, "mlp-fit", "results.json")));
  const html = readFileSync(join(out, "index.html"), "utf8");
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /<section id="mlp-fit">/);
  assert.match(html, /<th>testLoss<\/th>/);
  assert.ok((html.match(/<svg/g) ?? []).length >= 2);
  // Both ways of running: child processes (--jobs 2, stderr lines prefixed) and in-process
  // (--jobs 1); the child processes also when started as `npx noether` is (bin/noether.js, which
  // registers tsx in-process: the children once failed there on the .ts entry).
  for (const [jobs, launcher] of [
    ["2", "tsx"],
    ["2", "bin"],
    ["1", "tsx"],
  ] as const) {
    const outJ = join(tmp, `report-jobs${jobs}-${launcher}`);
    const rj = await cli(["tour", "--out", outJ, "--json", "--only", "mlp-fit", "--jobs", jobs], 120_000, launcher);
    assert.equal(rj.code, 0, rj.stderr);
    assert.ok(
      Number.isFinite((lastJson(rj.stdout) as Record<string, { testLoss: number }>)["mlp-fit"]!.testLoss),
      `--jobs ${jobs} (${launcher})`,
    );
    assert.ok(existsSync(join(outJ, "index.html")));
    if (jobs === "2") assert.match(rj.stderr, /^\[mlp-fit\] /m);
  }
  const badJobs = await cli(["tour", "--jobs", "0"]);
  assert.notEqual(badJobs.code, 0);
  assert.match(badJobs.stderr, /--jobs must be an integer ≥ 1, got "0"/);
});

test("progress lines: a count that restarts (the next model of a sweep) measures its ETA afresh", async () => {
  const { createProgress } = await import("../src/cli/progress.js");
  const lines: string[] = [];
  const stream = { isTTY: false, write: (s: string) => (lines.push(s), true) } as unknown as NodeJS.WriteStream;
  const p = createProgress({ label: "x", stream, intervalMs: 0, bar: false });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  // Phase 1: 10 steps in ~1.2 s. Phase 2: 500 of 1000 steps in ~50 ms, so ~50 ms are left;
  // measured from phase 1's start instead, the rate would be ~400/s and the ETA ~1 s.
  p.update({ done: 0, total: 10, unit: "steps" });
  await sleep(1200);
  p.update({ done: 10, total: 10, unit: "steps" });
  p.update({ done: 0, total: 1000, unit: "steps" });
  await sleep(50);
  p.update({ done: 500, total: 1000, unit: "steps" });
  p.stop();
  const last = lines.filter((l) => l.includes("500/1000")).at(-1) ?? "";
  assert.match(last, /ETA 0s/, lines.join(""));
});

test("outputDir: a file system that does not answer is an error after the timeout, not a hang; EACCES names the folder", async () => {
  const { outputDir } = await import("../src/cli/format.js");
  const never = new Promise<never>(() => {});
  const hung = { stat: () => never, access: () => never, mkdir: () => never };
  const t0 = performance.now();
  await assert.rejects(
    outputDir("--out", join(tmp, "mnt", "x"), { timeoutMs: 50, fs: hung }),
    /^ConfigError: --out .*x: stat of .*x did not answer within 0\.05 s \(a hung or unreachable mount\?\)$/,
  );
  assert.ok(performance.now() - t0 < 2000);
  const real = await import("node:fs/promises");
  // The parent exists; mkdir hangs.
  await assert.rejects(
    outputDir("--out", join(tmp, "new"), {
      timeoutMs: 50,
      fs: { stat: real.stat, access: real.access, mkdir: () => never },
    }),
    /mkdir of .*new did not answer within 0\.05 s/,
  );
  const denied = Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" });
  await assert.rejects(
    outputDir("--out", join(tmp, "ro", "x"), {
      fs: { stat: real.stat, access: () => Promise.reject(denied), mkdir: real.mkdir },
    }),
    /^ConfigError: --out .*x: .*noether-cli-\w+ is not writable$/,
  );
  assert.equal(existsSync(join(tmp, "ro")), false, "nothing is created where the folder cannot be written");
  assert.equal(await outputDir("--out", join(tmp, "made", "deep")), join(tmp, "made", "deep"));
  assert.ok(existsSync(join(tmp, "made", "deep")));
});

test("--out: empty, through a file, a file itself, or not writable → one-line error naming --out, exit 1", async () => {
  const file = join(tmp, "a-file");
  writeFileSync(file, "x");
  const cases: [string[], RegExp][] = [
    [["run", "mlp-fit", "--quick", "--out", ""], /^noether: --out is empty; give a folder to write into$/],
    [["run", "mlp-fit", "--quick", "--out", file], /^noether: --out .*a-file: is a file, not a folder$/],
    [
      ["run", "mlp-fit", "--quick", "--out", join(file, "sub")],
      /^noether: --out .*sub: .*a-file is a file, not a folder$/,
    ],
    [["tour", "--only", "mlp-fit", "--out", file], /^noether: --out .*a-file: is a file, not a folder$/],
    [["discover", "--data", file, "--method", "pairs", "--out", ""], /^noether: --out is empty/],
  ];
  if (process.getuid?.() !== 0) {
    const ro = join(tmp, "read-only");
    mkdirSync(ro);
    chmodSync(ro, 0o555);
    cases.push([
      ["run", "mlp-fit", "--quick", "--out", join(ro, "x")],
      /^noether: --out .*x: .*read-only is not writable$/,
    ]);
  } else console.log("--out: the read-only case is skipped (running as root, which may write anywhere)");
  for (const [args, re] of cases) {
    const r = await cli(args);
    assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, `${args.join(" ")}: ${r.stderr}`);
    assert.match(lines[0]!, re);
  }
});
