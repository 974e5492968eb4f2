#!/usr/bin/env node
/**
 * Builds dist/ — the published package — with noether's patched engine inside it.
 *
 * 1. `tsc -p tsconfig.build.json` compiles src/ into dist/ (JS + .d.ts).
 * 2. The ESM build of @jax-js/jax from node_modules (patched there by patch-package; see
 *    patches/README.md) is copied into dist/vendor/jax-js/ with its licence.
 * 3. The library imports the engine in one place, src/jax.ts (`export * from "@jax-js/jax"`);
 *    its build, dist/jax.js (and .d.ts), is pointed at that copy. So the package never resolves
 *    the engine from the consumer's node_modules: a consumer cannot end up with the stock engine,
 *    and user code that imports the engine from "noether" shares the one instance the library
 *    computes with.
 * 4. The built package is checked: no other module imports the engine package, and
 *    `initEngine()` of dist/index.js passes the engine canary (src/core/canary.ts) in a child
 *    process.
 *
 * Run by `npm run build`, and by `prepack` before `npm pack` / `npm publish`.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = join(root, "dist");
const vendor = join(dist, "vendor", "jax-js");
const ENGINE = "@jax-js/jax";

const fail = (msg) => {
  console.error(`build: ${msg}`);
  process.exit(1);
};

// 1. Compile.
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
try {
  execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { stdio: "inherit", cwd: root });
} catch {
  fail("tsc failed (errors above)");
}

// 2. Vendor the engine (ESM files and their types only; the CommonJS build is not needed).
const enginePkgDir = join(root, "node_modules", ...ENGINE.split("/"));
const enginePkg = JSON.parse(readFileSync(join(enginePkgDir, "package.json"), "utf8"));
const pinned = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).devDependencies?.[ENGINE];
if (enginePkg.version !== pinned)
  fail(`node_modules has ${ENGINE} ${enginePkg.version}, package.json pins ${pinned}: run npm ci`);
mkdirSync(vendor, { recursive: true });
const engineFiles = readdirSync(join(enginePkgDir, "dist")).filter((f) => f.endsWith(".js") || f === "index.d.ts");
for (const f of engineFiles) copyFileSync(join(enginePkgDir, "dist", f), join(vendor, f));
copyFileSync(join(enginePkgDir, "LICENSE"), join(vendor, "LICENSE"));
// The engine's types name globals that not every project's TypeScript lib has (Float16Array is
// ES2025; GPUDevice/GPUBuffer come from @webgpu/types). Empty interfaces merge with the real
// declarations where a project has them, and make the types check (skipLibCheck off) where not.
writeFileSync(
  join(vendor, "globals.d.ts"),
  "// Globals named by the engine's types (see scripts/build.mjs in noether's repository).\n" +
    "declare global {\n  interface Float16Array<TArrayBuffer extends ArrayBufferLike = ArrayBufferLike> {}\n  interface GPUDevice {}\n  interface GPUBuffer {}\n}\nexport {};\n",
);
const dts = join(vendor, "index.d.ts");
writeFileSync(dts, `/// <reference path="./globals.d.ts" />\n${readFileSync(dts, "utf8")}`);
writeFileSync(
  join(vendor, "README.md"),
  `# Vendored engine\n\n${ENGINE} ${enginePkg.version} (MIT, see LICENSE), ESM build, with noether's patch\n` +
    `applied (patches/@jax-js+jax+${enginePkg.version}.patch in noether's repository; patches/README.md\n` +
    `there describes each fix). noether imports the engine only from this folder.\n`,
);

// 3. Point the library's one engine import (src/jax.ts: `export * from "@jax-js/jax"`, which every
//    other module imports the engine through) at the vendored copy.
for (const f of ["jax.js", "jax.d.ts"]) {
  const file = join(dist, f);
  const src = readFileSync(file, "utf8");
  const stmt = 'export * from "@jax-js/jax";';
  if (src.split(stmt).length !== 2) fail(`dist/${f} does not hold exactly one \`${stmt}\`: src/jax.ts changed shape`);
  writeFileSync(file, src.replace(stmt, 'export * from "./vendor/jax-js/index.js";'));
}

// 4a. No other module may import the engine package directly (it would resolve the consumer's).
const walk = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
for (const file of walk(dist)) {
  if (file.startsWith(vendor + sep) || !(file.endsWith(".js") || file.endsWith(".d.ts"))) continue;
  const left =
    /^\s*(import|export)\b[^;]*?\bfrom\s*["']@jax-js\/jax["']|\bimport\s*\(\s*["']@jax-js\/jax["']|\brequire\s*\(\s*["']@jax-js\/jax["']/m.exec(
      readFileSync(file, "utf8"),
    );
  if (left)
    fail(
      `${relative(root, file)} imports ${ENGINE} directly (${JSON.stringify(left[0].slice(0, 80))}): import the engine through src/jax.ts`,
    );
}

// 4b. The built package must compute on the patched engine (the canary runs in initEngine).
if (!existsSync(join(dist, "index.js"))) fail("dist/index.js was not built");
try {
  execFileSync(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `await (await import(${JSON.stringify(new URL("../dist/index.js", import.meta.url).href)})).initEngine();`,
    ],
    {
      stdio: ["ignore", "inherit", "pipe"],
      cwd: root,
    },
  );
} catch (e) {
  fail(`the built package failed the engine canary:\n${e.stderr?.toString() ?? e.message}`);
}
console.log(
  `build: dist/ built; ${ENGINE} ${enginePkg.version} vendored (${engineFiles.length} files) behind dist/jax.js; engine canary passed`,
);
