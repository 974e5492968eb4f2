#!/usr/bin/env node
/**
 * The consumer test: what `npm install noether` gives someone else's project.
 *
 * `npm pack` (prepack builds dist/ with the vendored, patched engine), then for each install mode
 * (`--ignore-scripts`, and with scripts) a fresh project outside the repository:
 *   - `npm install <tarball>`;
 *   - the README quick start (examples/quickstart.ts, imports rewritten to "noether"),
 *     type-checked against the installed .d.ts files, compiled, run, and compared line by line
 *     with the same program run from the repository's sources;
 *   - the engine canary, and one engine instance behind "noether" and "noether/jax";
 *   - the CLI: `npx noether --help` and `npx noether run mlp-fit --quick --json`.
 * Prints what the tarball holds and what the install pulls in. Exit code 1 on any failure.
 *
 * Usage: `npm run test:package` (Node on PATH is the one tested; put another first to test it).
 */
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const require = createRequire(import.meta.url);
const tsc = require.resolve("typescript/bin/tsc");
const { transformSync } = require("esbuild");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const work = mkdtempSync(join(tmpdir(), "noether-package-"));
const failures = [];
const log = (msg) => console.log(`test:package: ${msg}`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20, ...opts });
  if (r.status !== 0) {
    const tail = `${r.stdout ?? ""}\n${r.stderr ?? ""}`.trim().split("\n").slice(-25).join("\n");
    throw new Error(`${cmd} ${args.join(" ")} (in ${opts.cwd ?? root}) exited ${r.status ?? r.signal}:\n${tail}`);
  }
  return r.stdout;
}

function check(name, fn) {
  try {
    fn();
    log(`ok   ${name}`);
  } catch (e) {
    failures.push(`${name}: ${e.message}`);
    log(`FAIL ${name}: ${e.message}`);
  }
}

const du = (p) => {
  let n = 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.size;
  for (const e of readdirSync(p)) n += du(join(p, e));
  return n;
};
const mib = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;

try {
  log(`node ${process.version}, npm ${run(npm, ["--version"]).trim()}, work dir ${work}`);

  // 1. Pack (runs prepack → npm run build).
  const packOut = run(npm, ["pack", "--json", "--pack-destination", work], { cwd: root });
  const packed = JSON.parse(packOut.slice(packOut.search(/^\[/m)))[0]; // after the prepack build's log
  const tarball = join(work, packed.filename);
  const files = packed.files.map((f) => f.path);
  log(`${packed.filename}: ${mib(packed.size)} packed, ${mib(packed.unpackedSize)} unpacked, ${files.length} files`);
  check("tarball holds dist/, the vendored engine, the CLI launcher, README and LICENSE", () => {
    for (const f of [
      "package.json",
      "README.md",
      "LICENSE",
      "bin/noether.js",
      "dist/index.js",
      "dist/index.d.ts",
      "dist/jax.js",
      "dist/cli/main.js",
      "dist/vendor/jax-js/index.js",
      "dist/vendor/jax-js/index.d.ts",
      "dist/vendor/jax-js/globals.d.ts",
      "dist/vendor/jax-js/LICENSE",
    ]) {
      if (!files.includes(f)) throw new Error(`missing ${f}`);
    }
  });
  check("tarball holds nothing a consumer does not need (sources, tests, results, patches, maps)", () => {
    const extra = files.filter(
      (f) =>
        !/^(package\.json|README\.md|LICENSE|bin\/noether\.js|dist\/.*\.(js|d\.ts)|dist\/vendor\/jax-js\/(LICENSE|README\.md))$/.test(
          f,
        ),
    );
    if (extra.length > 0)
      throw new Error(`unexpected: ${extra.slice(0, 10).join(", ")}${extra.length > 10 ? ` … (${extra.length})` : ""}`);
  });

  // 2. The quick start from the repository's sources: the reference output.
  const example = readFileSync(join(root, "examples", "quickstart.ts"), "utf8");
  const asPackage = example
    .replace(/"\.\.\/src\/index\.js"/g, '"noether"')
    .replace(/"\.\.\/src\/(\w+)\/index\.js"/g, '"noether/$1"');
  if (asPackage.includes("../src/"))
    throw new Error("examples/quickstart.ts imports from ../src/ paths other than the package's entry points");
  const repoOut = run(process.execPath, ["--import", "tsx", "examples/quickstart.ts"], { cwd: root });

  for (const mode of ["--ignore-scripts", "with scripts"]) {
    const dir = join(work, mode === "--ignore-scripts" ? "consumer-ignore-scripts" : "consumer-scripts");
    mkdirSync(dir);
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({ name: "consumer", private: true, type: "module" }, null, 2),
    );
    log(`[${mode}] npm install ${packed.filename}`);
    run(
      npm,
      [
        "install",
        tarball,
        "--no-audit",
        "--no-fund",
        "--prefer-offline",
        ...(mode === "--ignore-scripts" ? ["--ignore-scripts"] : []),
      ],
      { cwd: dir },
    );
    const nm = join(dir, "node_modules");

    check(`[${mode}] no @jax-js/jax is installed beside noether (the engine is inside it)`, () => {
      for (const p of [join(nm, "@jax-js"), join(nm, "noether", "node_modules", "@jax-js")])
        if (existsSync(p)) throw new Error(`${p} exists`);
    });
    check(`[${mode}] no build tool is installed (tsx, esbuild, typescript, patch-package)`, () => {
      const found = ["tsx", "esbuild", "typescript", "patch-package"].filter((t) => existsSync(join(nm, t)));
      if (found.length > 0) throw new Error(found.join(", "));
    });
    const pkgs = readdirSync(nm).flatMap((e) =>
      e.startsWith("@") ? readdirSync(join(nm, e)).map((s) => `${e}/${s}`) : e.startsWith(".") ? [] : [e],
    );
    log(
      `[${mode}] node_modules: ${pkgs.length} packages, ${mib(du(nm))} (noether itself ${mib(du(join(nm, "noether")))})`,
    );

    check(
      `[${mode}] quick start type-checks against the installed .d.ts, runs, and prints what the repository prints`,
      () => {
        writeFileSync(join(dir, "quickstart.ts"), asPackage);
        // Once with a lib that lacks Float16Array and WebGPU types, once with one that has Float16Array.
        for (const lib of [
          ["ES2023", "DOM"],
          ["ESNext", "DOM"],
        ]) {
          const compilerOptions = {
            target: "ES2022",
            module: "NodeNext",
            moduleResolution: "NodeNext",
            strict: true,
            noEmit: true,
            types: [],
            lib,
            skipLibCheck: false,
          };
          writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["quickstart.ts"] }));
          run(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: dir });
        }
        writeFileSync(
          join(dir, "quickstart.mjs"),
          transformSync(asPackage, { loader: "ts", format: "esm", target: "es2022" }).code,
        );
        const out = run(process.execPath, ["quickstart.mjs"], { cwd: dir });
        if (out !== repoOut)
          throw new Error(`output differs from the repository's:\n--- repo\n${repoOut}--- package\n${out}`);
      },
    );

    check(`[${mode}] engine canary passes; "noether" and "noether/jax" share one engine instance`, () => {
      const probe = `
        import * as noether from "noether";
        import * as jax from "noether/jax";
        import { engineCanaryResults } from "noether/core";
        const info = await noether.initEngine();
        const canary = engineCanaryResults();
        if (!canary || canary.some((r) => !r.ok)) throw new Error("canary: " + JSON.stringify(canary));
        if (noether.numpy !== jax.numpy || noether.Array !== jax.Array) throw new Error("two engine instances");
        const x = jax.numpy.array([1, 2, 3]);
        if (!(x instanceof noether.Array)) throw new Error("arrays from noether/jax are not noether's arrays");
        if (typeof jax.liveBuffers !== "function") throw new Error("no liveBuffers: not the patched engine");
        x.dispose();
        console.log(JSON.stringify({ device: info.device, checks: canary.map((r) => r.fix).join("") }));`;
      const out = run(process.execPath, ["--input-type=module", "-e", probe], { cwd: dir });
      const got = JSON.parse(out.trim().split("\n").pop());
      if (got.device !== "wasm" || got.checks.length < 9) throw new Error(`unexpected ${out}`);
    });

    check(`[${mode}] npx noether --help and npx noether run mlp-fit --quick --json`, () => {
      const help = run("npx", ["--no-install", "noether", "--help"], { cwd: dir });
      if (!/Usage: noether/.test(help)) throw new Error(`--help printed ${help.slice(0, 200)}`);
      const out = join(dir, "run-mlp-fit");
      const stdout = run("npx", ["--no-install", "noether", "run", "mlp-fit", "--quick", "--json", "--out", out], {
        cwd: dir,
      });
      const res = JSON.parse(stdout.trim().split("\n").pop());
      if (!(Number.isFinite(res.trainLoss) && res.trainLoss < 0.05)) throw new Error(`trainLoss ${res.trainLoss}`);
      for (const f of ["results.json", "checkpoint.safetensors", "loss.svg"])
        if (!existsSync(join(out, f))) throw new Error(`no ${f} in --out`);
    });
  }

  // 3. The same package with the stock engine swapped into dist/vendor: it must refuse to compute.
  check("with the stock engine in its place, initEngine and the CLI refuse with the canary's message", () => {
    const stock = join(work, "stock");
    cpSync(join(root, "node_modules", "@jax-js", "jax"), join(stock, "node_modules", "@jax-js", "jax"), {
      recursive: true,
    });
    run("git", ["apply", "-R", join(root, "patches", "@jax-js+jax+0.1.25.patch")], { cwd: stock });
    const dir = join(work, "consumer-ignore-scripts");
    const vendored = join(dir, "node_modules", "noether", "dist", "vendor", "jax-js");
    for (const f of readdirSync(vendored).filter((f) => f.endsWith(".js")))
      cpSync(join(stock, "node_modules", "@jax-js", "jax", "dist", f), join(vendored, f));
    const api = spawnSync(
      process.execPath,
      ["--input-type=module", "-e", 'await (await import("noether")).initEngine();'],
      { cwd: dir, encoding: "utf8" },
    );
    const cli = spawnSync(
      "npx",
      ["--no-install", "noether", "run", "mlp-fit", "--quick", "--out", join(dir, "run-stock")],
      { cwd: dir, encoding: "utf8" },
    );
    for (const [what, r] of [
      ["initEngine", api],
      ["noether run", cli],
    ]) {
      if (r.status === 0) throw new Error(`${what} exited 0 on the stock engine`);
      if (!/not noether's patched build; [89] of 9 canary checks failed/.test(r.stderr))
        throw new Error(`${what}: stderr lacks the canary's message:\n${r.stderr.slice(-800)}`);
    }
    log(`noether run on the stock engine printed:\n    ${cli.stderr.trim().split("\n").slice(0, 3).join("\n    ")}`);
  });
} catch (e) {
  failures.push(e.message);
  log(`FAIL ${e.message}`);
} finally {
  if (failures.length === 0) rmSync(work, { recursive: true, force: true });
  else log(`work dir kept for inspection: ${work}`);
}

if (failures.length > 0) {
  console.log(`test:package: ${failures.length} failed`);
  process.exit(1);
}
console.log("test:package: all passed");
