/**
 * Every RepModule (test/support.ts LAYER_CASES) is equivariant to every group of the catalogue
 * (GROUPS): float64 on the cpu device within 1e-9, and the whole EMLP in float32 on Wasm within
 * 1e-4. Beside each group, the negative control: a plain MLP between the same reps fails the
 * same check by orders of magnitude (the test has power).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { initEngine } from "../src/core/engine.js";
import { assertRepEquivariant } from "../src/testing/equivariance.js";
import { GROUPS, LAYER_CASES, mlpEquivarianceError, smallReps } from "./support.js";

await initEngine();

for (const G of GROUPS) {
  test(`${G.name}: ${LAYER_CASES.map((c) => c.name).join(", ")} are equivariant (f64 cpu ≤ 1e-9, EMLP f32 wasm ≤ 1e-4); a plain MLP is not`, async () => {
    for (const [i, c] of LAYER_CASES.entries()) await assertRepEquivariant(c.make(G), { seed: 10 * i });
    await assertRepEquivariant(LAYER_CASES.find((c) => c.name === "EMLP")!.make(G), {
      dtype: "float32",
      device: "wasm",
      seed: 40,
    });
    const { rin, rout } = smallReps(G);
    const bad = await mlpEquivarianceError(rin, rout);
    assert.ok(bad > 1e-3, `MLP error ${bad} under ${G.name} should be ≫ 1e-4`);
  });
}
