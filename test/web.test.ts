/**
 * The playground in a real browser (Debian's Chromium through playwright-core): each demo page
 * loads, starts training in its worker, and after some steps its loss has gone down and its plots
 * hold data; a screenshot of each lands in test-artifacts/web/. Bad numbers typed into a control
 * are refused with a message and keep Start disabled. Skipped (with the reason printed) where
 * Chromium is not installed; `.ci/run` installs it.
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { buildWeb, chromiumPath, launch, startPreview } from "./web/browser.js";

const exe = chromiumPath();
const skip = exe === null ? "Chromium is not installed (apt-get install chromium)" : false;
if (skip) console.log(`web tests skipped: ${skip}`);
const ARTIFACTS = "test-artifacts/web";

let browser: Browser;
let server: { url: string; close(): Promise<void> };

before(async () => {
  if (skip) return;
  buildWeb();
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await startPreview();
  browser = await launch(exe!);
});
after(async () => {
  await browser?.close();
  await server?.close();
});

const dataset = (page: Page) => page.evaluate(() => ({ ...document.body.dataset }));

async function open(name: string): Promise<{ page: Page; errors: string[]; readyMs: number }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1500 } });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  // Offline once built: any request that leaves the preview server is refused and reported.
  await page.route(
    (u) => !u.href.startsWith(server.url) && !u.protocol.startsWith("data") && !u.protocol.startsWith("blob"),
    (route) => {
      errors.push(`request outside the build: ${route.request().url()}`);
      return route.abort();
    },
  );
  const t0 = Date.now();
  await page.goto(`${server.url}${name}.html`);
  await page.waitForFunction(() => ["ready", "error"].includes(document.body.dataset.state ?? ""), null, {
    timeout: 60_000,
  });
  const d = await dataset(page);
  assert.equal(d.state, "ready", `${name}: ${await page.textContent("#status")}`);
  assert.match((await page.textContent("#engine")) ?? "", /engine: (Wasm|WebGPU)/);
  return { page, errors, readyMs: Date.now() - t0 };
}

/** Fills the controls, starts, waits for the end; returns the page's dataset and timings. */
async function train(page: Page, settings: Record<string, string>, timeout = 180_000) {
  for (const [k, v] of Object.entries(settings)) await page.fill(`#control-${k}`, v);
  const t0 = Date.now();
  await page.click("#start");
  await page.waitForFunction(() => Number(document.body.dataset.step) >= 1, null, { timeout });
  const firstStepMs = Date.now() - t0;
  await page.waitForFunction(() => ["done", "error"].includes(document.body.dataset.state ?? ""), null, { timeout });
  const d = await dataset(page);
  assert.equal(d.state, "done", (await page.textContent("#status")) ?? "");
  const points = await page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll<HTMLElement>(".chart")].map((e) => [e.id, Number(e.dataset.points)]),
    ),
  );
  const steps = Number(d.step);
  const seconds = (Date.now() - t0 - firstStepMs) / 1000;
  return { d, points, firstStepMs, stepsPerSecond: (steps - 1) / seconds };
}

test("hnn demo: both models train, the losses fall, and the phase portrait and energy plots fill", {
  skip,
}, async () => {
  const { page, errors, readyMs } = await open("hnn");
  const r = await train(page, { steps: "150" });
  console.log(
    `hnn: ready ${readyMs} ms, first step ${r.firstStepMs} ms, ${r.stepsPerSecond.toFixed(1)} steps/s`,
    r.points,
  );
  assert.ok(Number(r.d.hnnLoss) < 0.5 * Number(r.d.firstHnnLoss), `HNN loss ${r.d.firstHnnLoss} → ${r.d.hnnLoss}`);
  assert.ok(Number(r.d.baselineLoss) < 0.5 * Number(r.d.firstBaselineLoss));
  assert.equal(r.points["chart-loss"], 300);
  assert.ok(r.points["chart-phase"]! >= 600 && r.points["chart-energy"]! >= 600);
  await page.screenshot({ path: `${ARTIFACTS}/hnn.png` });
  assert.deepEqual(errors, []);
  await page.close();
});

test("gcnn demo: the losses fall; rotating the digit by 90° leaves the p4 prediction unchanged", { skip }, async () => {
  const { page, errors, readyMs } = await open("gcnn");
  const r = await train(page, { steps: "40", channels: "2", batch: "16" });
  console.log(
    `gcnn: ready ${readyMs} ms, first step ${r.firstStepMs} ms, ${r.stepsPerSecond.toFixed(2)} steps/s`,
    r.points,
  );
  assert.ok(Number(r.d.p4Loss) < Number(r.d.firstP4Loss), `p4 loss ${r.d.firstP4Loss} → ${r.d.p4Loss}`);
  assert.ok(Number(r.d.z2Loss) < Number(r.d.firstZ2Loss));
  assert.ok(r.points["chart-probs"] === 20 && r.points["chart-features"]! > 0 && r.points["chart-input"] === 784);
  // The worker redraws on each slider move (data-views counts the redraws).
  const at = async (angle: string, n: number) => {
    await page.locator("#angle").fill(angle);
    await page.waitForFunction((k) => Number(document.body.dataset.views ?? 0) >= k, n, { timeout: 30_000 });
    const v = await dataset(page);
    assert.equal(v.viewAngle, angle);
    return v;
  };
  const r0 = await at("0", 1);
  const r90 = await at("90", 2);
  const r180 = await at("180", 3);
  console.log(
    "gcnn shown digit at 0/90/180°:",
    [r0, r90, r180].map((v) => [v.viewP4Shown, v.viewP4ShownProb, v.viewZ2Shown, v.viewZ2ShownProb]),
  );
  for (const v of [r90, r180]) {
    assert.equal(v.viewP4Shown, r0.viewP4Shown, "p4's prediction is invariant to 90° rotations");
    assert.ok(Math.abs(Number(v.viewP4ShownProb) - Number(r0.viewP4ShownProb)) < 1e-4);
  }
  const z2Moved = [r90, r180].some((v) => Math.abs(Number(v.viewZ2ShownProb) - Number(r0.viewZ2ShownProb)) > 1e-3);
  assert.ok(z2Moved, "the ordinary CNN's output changes under rotation");
  await page.screenshot({ path: `${ARTIFACTS}/gcnn.png` });
  assert.deepEqual(errors, []);
  await page.close();
});

test("discovery demo: the learned generator turns towards the hidden rotation", { skip }, async () => {
  const { page, errors, readyMs } = await open("discovery");
  const r = await train(page, { steps: "300", samples: "1000" });
  console.log(
    `discovery: ready ${readyMs} ms, first step ${r.firstStepMs} ms`,
    r.points,
    r.d.firstAngle,
    "→",
    r.d.angle,
  );
  assert.ok(Number(r.d.angle) < Number(r.d.firstAngle), `angle ${r.d.firstAngle} → ${r.d.angle}`);
  assert.ok(r.points["chart-angle"]! >= 30 && r.points["chart-generators"] === 18 && r.points["chart-cloud"] === 600);
  await page.screenshot({ path: `${ARTIFACTS}/discovery.png` });
  assert.deepEqual(errors, []);
  await page.close();
});

test("controls refuse bad numbers with a message and keep Start disabled", { skip }, async () => {
  const { page } = await open("hnn");
  for (const bad of ["abc", "", "NaN", "1e999", "-3", "2.5"]) {
    await page.fill("#control-steps", bad);
    assert.equal(await page.isDisabled("#start"), true, `Start enabled with steps = ${JSON.stringify(bad)}`);
    assert.match(
      (await page.textContent("#control-steps-error")) ?? "",
      /training steps: expected an integer from 10 to 5000, got/,
    );
  }
  await page.fill("#control-steps", "20");
  assert.equal(await page.isDisabled("#start"), false);
  assert.equal(await page.textContent("#control-steps-error"), "");
  await page.close();
});

test("phi4 demo: the reverse-KL loss falls and the flow sampler's acceptance is reported beside HMC's", {
  skip,
}, async () => {
  const { page, errors, readyMs } = await open("phi4");
  await page.fill("#control-L", "5");
  assert.equal(await page.isDisabled("#start"), true);
  assert.match(
    (await page.textContent("#control-L-error")) ?? "",
    /lattice size L: expected a multiple of 2 from 2 to 16, got 5/,
  );
  const r = await train(page, { L: "4", steps: "50", couplings: "4" });
  console.log(
    `phi4: ready ${readyMs} ms, first step ${r.firstStepMs} ms, ${r.stepsPerSecond.toFixed(2)} steps/s`,
    r.points,
    r.d,
  );
  assert.ok(Number(r.d.loss) < Number(r.d.firstLoss), `loss ${r.d.firstLoss} → ${r.d.loss}`);
  for (const k of ["acceptance", "essPerSample", "hmcAcceptance"]) {
    const v = Number(r.d[k]);
    assert.ok(v > 0 && v <= 1, `${k} = ${r.d[k]}`);
  }
  assert.equal(r.points["chart-loss"], 50);
  assert.equal(r.points["chart-acceptance"], 4);
  assert.equal(r.points["chart-histogram"], 60);
  await page.screenshot({ path: `${ARTIFACTS}/phi4.png` });
  assert.deepEqual(errors, []);
  await page.close();
});

test("Stop stops training in the worker (the page stays responsive while it trains)", { skip }, async () => {
  const { page, errors } = await open("hnn");
  await page.fill("#control-steps", "5000");
  await page.click("#start");
  await page.waitForFunction(() => Number(document.body.dataset.step) >= 5, null, { timeout: 60_000 });
  // The main thread answers while the worker trains.
  const t0 = Date.now();
  assert.equal(await page.evaluate(() => 1 + 1), 2);
  assert.ok(Date.now() - t0 < 1000);
  await page.click("#stop");
  await page.waitForFunction(() => document.body.dataset.state === "done", null, { timeout: 30_000 });
  const d = await dataset(page);
  assert.ok(Number(d.step) < 5000, `stopped at step ${d.step}`);
  assert.match((await page.textContent("#status")) ?? "", /stopped$/);
  assert.equal(await page.isDisabled("#start"), false);
  assert.deepEqual(errors, []);
  await page.close();
});
