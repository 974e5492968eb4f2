/**
 * The engine canary (src/core/canary.ts) passes on noether's patched engine and fails, naming
 * every fix, on the stock @jax-js/jax 0.1.25 — rebuilt here by reversing patches/ on a copy.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import * as jax from "../src/jax.js";
import { assertPatchedEngine, EngineError, runEngineCanary, type EngineModule } from "../src/core/canary.js";
import { engineCanaryResults, initEngine } from "../src/core/engine.js";

const FIXES = ["a", "b", "d", "e", "f", "g", "h", "i", "j"];
// Fix (e) works around a missing runtime feature (iterator helpers, Node 22+): on Node 22 and 24
// the stock engine's einsum runs, so its check passes there.
const iteratorHelpers = typeof ("ab".matchAll(/a/g) as unknown as { map?: unknown }).map === "function";
const STOCK_FAILS = FIXES.filter((f) => f !== "e" || !iteratorHelpers);

/** A copy of the installed engine with noether's patch reversed: the stock 0.1.25 build. */
async function stockEngine(): Promise<{ engine: EngineModule; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), "noether-stock-engine-"));
  cpSync("node_modules/@jax-js/jax", join(dir, "node_modules/@jax-js/jax"), { recursive: true });
  execFileSync("git", ["apply", "-R", join(process.cwd(), "patches/@jax-js+jax+0.1.25.patch")], { cwd: dir });
  const engine = (await import(
    pathToFileURL(join(dir, "node_modules/@jax-js/jax/dist/index.js")).href
  )) as EngineModule;
  await engine.init("cpu", "wasm");
  return { engine, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

test("initEngine ran the canary once and every check passed on the patched engine", async () => {
  await initEngine();
  const results = engineCanaryResults();
  assert.ok(results !== null);
  assert.deepEqual(
    results.map((r) => r.fix),
    FIXES,
  );
  assert.deepEqual(
    results.filter((r) => !r.ok),
    [],
  );
});

test("the canary leaves no live buffers behind", async () => {
  await initEngine();
  const live = jax as unknown as { liveBuffers: (d: string) => number };
  runEngineCanary(jax, { wasm: true }); // warm caches
  const before = [live.liveBuffers("cpu"), live.liveBuffers("wasm")];
  runEngineCanary(jax, { wasm: true });
  assert.deepEqual([live.liveBuffers("cpu"), live.liveBuffers("wasm")], before);
});

test("on the stock engine every check fails (but (e) on Node 22+), and assertPatchedEngine names each fix", async () => {
  const { engine, cleanup } = await stockEngine();
  try {
    assert.equal(
      typeof (engine as unknown as { liveBuffers?: unknown }).liveBuffers,
      "undefined",
      "the reversed copy still has the patch",
    );
    const results = runEngineCanary(engine, { wasm: true });
    assert.deepEqual(
      results.map((r) => [r.fix, r.ok]),
      FIXES.map((f) => [f, !STOCK_FAILS.includes(f)]),
    );
    for (const r of results.filter((x) => !x.ok))
      assert.ok(r.detail && r.detail.length > 10, `fix (${r.fix}) failed without saying how`);
    assert.match(results[0]!.detail!, /second-order float32 gradient on wasm is off by \d/);
    assert.throws(
      () => assertPatchedEngine(engine, { wasm: true }),
      (e: unknown) => {
        assert.ok(e instanceof EngineError);
        assert.match(
          e.message,
          new RegExp(`not noether's patched build; ${STOCK_FAILS.length} of 9 canary checks failed`),
        );
        for (const f of STOCK_FAILS) assert.match(e.message, new RegExp(`fix \\(${f}\\) `));
        assert.match(e.message, /import the engine from "noether"/);
        return true;
      },
    );
  } finally {
    cleanup();
  }
});
