/**
 * Discover → enforce in a few lines: `npx tsx examples/discover.ts` (in an installed package,
 * import from "noether/…" instead of ../src).
 */
import { EMLP, initEngine, numpy as np, Scalar, V, type Array as JArray } from "../src/index.js";
import { hostNormal, hostRng } from "../src/core/index.js";
import { discoverInvariant, groupFromGenerators, principalAnglesDeg } from "../src/discovery/index.js";
import { Lorentz } from "../src/groups/index.js";
import { assertRepEquivariant } from "../src/testing/index.js";

await initEngine();

// 1. A function nobody told us the symmetry of: the Minkowski norm x₀² − x₁² − x₂² − x₃².
const f = (x: JArray) => {
  const sq = np.square(x);
  return sq.ref.slice([], 0).sub(np.sum(sq.slice([], [1, 4]), 1));
};

// 2. The linear maps L with ∇f(x)·Lx = 0 at 200 random points: the nullspace, by autodiff.
const found = await discoverInvariant(f, hostNormal(200 * 4, hostRng(0)), { n: 200, width: 4 });
const L = Lorentz();
const angles = principalAnglesDeg(found.basis, { d: 4, k: L.D, generators: L.lieAlgebra });
console.log(`found ${found.basis.k} generators, max angle to so(1,3) ${Math.max(...angles).toExponential(1)}°`);

// 3. The learned algebra as a group, and an EMLP on it: exactly equivariant, checked in float64.
const G = groupFromGenerators(found, { name: "learned" });
const model = EMLP(V(G).times(2), Scalar(G), G, { channels: 16, layers: 1 });
const report = await assertRepEquivariant(model);
console.log(`EMLP on the learned group: equivariance error ${report.maxError.toExponential(1)}`);
