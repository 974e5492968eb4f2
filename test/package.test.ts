/** Package promises: browser-safe core, exports that match the sources, a pinned engine. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { build } from "esbuild";

const pkg = JSON.parse(readFileSync("package.json", "utf8")) as {
  exports: Record<string, { types: string; import: string } | string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  scripts: Record<string, string>;
  engines: { node: string };
};

test("core entry points bundle for the browser (no Node-only imports)", async () => {
  for (const entry of ["src/index.ts", "src/testing/index.ts"]) {
    const r = await build({
      entryPoints: [entry],
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      logLevel: "silent",
      external: ["@jax-js/jax"],
    });
    assert.equal(r.errors.length, 0, `${entry}: ${JSON.stringify(r.errors)}`);
    const code = r.outputFiles[0]!.text;
    assert.doesNotMatch(code, /from\s+["']node:|require\(["']node:/, `${entry} pulls in a node: module`);
  }
  // The same bundle of the Node entry must fail: the check has power.
  await assert.rejects(
    build({
      entryPoints: ["src/node.ts"],
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      logLevel: "silent",
      external: ["@jax-js/jax"],
    }),
  );
});

test("every exports entry maps to a source file with types", () => {
  for (const [key, target] of Object.entries(pkg.exports)) {
    if (key === "./package.json") continue;
    assert.ok(typeof target === "object", `${key} must give types and import`);
    assert.match(target.types, /^\.\/dist\/.*\.d\.ts$/);
    const src = target.import.replace(/^\.\/dist\//, "src/").replace(/\.js$/, ".ts");
    assert.ok(existsSync(src), `${key} → ${target.import} has no source ${src}`);
    assert.equal(target.types.replace(/\.d\.ts$/, ".js"), target.import);
  }
});

test("the engine is pinned to an exact version in package.json and the lock file", () => {
  assert.equal(pkg.devDependencies["@jax-js/jax"], "0.1.25");
  const lock = JSON.parse(readFileSync("package-lock.json", "utf8")) as {
    packages: Record<string, { version: string }>;
  };
  assert.equal(lock.packages["node_modules/@jax-js/jax"]?.version, "0.1.25");
  assert.match(pkg.engines.node, />=\s*20/);
});

test("a consumer installs no build tool and no separate engine, and runs no install script", () => {
  // The engine ships inside dist/vendor (scripts/build.mjs); build tools stay in the repository.
  for (const name of ["@jax-js/jax", "tsx", "esbuild", "typescript", "patch-package"]) {
    assert.equal(pkg.dependencies[name], undefined, `${name} is a runtime dependency`);
  }
  // Lifecycle scripts that npm runs in a consumer's install (prepare runs only in this repository).
  for (const name of ["preinstall", "install", "postinstall"])
    assert.equal(pkg.scripts[name], undefined, `package.json has a ${name} script`);
  assert.match(pkg.scripts.prepack ?? "", /npm run build/);
  assert.match(pkg.scripts.prepare ?? "", /patch-package/);
});
