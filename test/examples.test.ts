/** The README's example is examples/quickstart.ts, and it runs. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";

test("README quickstart block equals examples/quickstart.ts (import paths aside)", () => {
  const readme = readFileSync("README.md", "utf8");
  const m = /<!-- quickstart -->\n```ts\n([\s\S]*?)```/.exec(readme);
  assert.ok(m, "README has a <!-- quickstart --> ts block");
  const example = readFileSync("examples/quickstart.ts", "utf8");
  const body = example.slice(example.indexOf("\nimport ") + 1);
  const asPackage = body
    .replace(/"\.\.\/src\/index\.js"/g, '"noether"')
    .replace(/"\.\.\/src\/(\w+)\/index\.js"/g, '"noether/$1"');
  assert.equal(m[1], asPackage);
});

test("README discovery block equals examples/discover.ts, and it finds so(1,3) and enforces it exactly", {
  timeout: 120_000,
}, async () => {
  const readme = readFileSync("README.md", "utf8");
  const m = /<!-- example: discover -->\n```ts\n([\s\S]*?)```/.exec(readme);
  assert.ok(m, "README has a <!-- example: discover --> ts block");
  const example = readFileSync("examples/discover.ts", "utf8");
  const body = example.slice(example.indexOf("\nimport ") + 1);
  assert.equal(
    m[1],
    body.replace(/"\.\.\/src\/index\.js"/g, '"noether"').replace(/"\.\.\/src\/(\w+)\/index\.js"/g, '"noether/$1"'),
  );
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "examples/discover.ts"], {
    timeout: 120_000,
  });
  assert.match(stdout, /found 6 generators/);
  assert.ok(Number(/equivariance error (\S+)/.exec(stdout)?.[1]) < 1e-9, stdout);
});

test("examples/quickstart.ts runs: MLP fits, EMLP is exactly invariant, gradcheck passes", {
  timeout: 120_000,
}, async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "examples/quickstart.ts"], {
    timeout: 120_000,
  });
  const mse = Number(/train MSE (\S+)/.exec(stdout)?.[1]);
  assert.ok(mse < 1e-2, `MLP train MSE ${mse}`);
  const eq = Number(/max equivariance error (\S+)/.exec(stdout)?.[1]);
  assert.ok(eq < 1e-9, `EMLP equivariance error ${eq}`);
  assert.match(stdout, /gradcheck: 3 entries/);
});
