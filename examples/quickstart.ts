/**
 * The README's API example, runnable: `npx tsx examples/quickstart.ts`.
 * (In an installed package, import from "noether", "noether/core" and "noether/testing" instead of ../src.)
 */
import {
  adam,
  castTree,
  EMLP,
  fit,
  fromHost,
  initEngine,
  makeKey,
  MLP,
  numpy as np,
  O,
  repAction,
  Scalar,
  tree,
  V,
  type Array as JArray,
} from "../src/index.js";
import { hostNormal, hostRng } from "../src/core/index.js";
import { assertEquivariant, gradcheck } from "../src/testing/index.js";

await initEngine(); // wasm in Node, WebGPU in a capable browser; float32 by default

// 1. Fit an MLP to y = sin(3x) on 512 points: models are { init(key), apply(params, x) }.
const xs = Float32Array.from({ length: 512 }, (_, i) => -1 + (2 * i) / 511);
const x = fromHost(xs, [512, 1], { dtype: "float32" });
const y = fromHost(
  xs.map((v) => Math.sin(3 * v)),
  [512, 1],
  { dtype: "float32" },
);
const net = MLP([1, 32, 32, 1], { activation: "tanh" });
const res = await fit({
  model: net,
  params: net.init(makeKey(0)),
  data: { x, y },
  epochs: 30,
  batchSize: 64,
  optimizer: adam(),
  schedule: 1e-2,
  seed: 0,
});
console.log(`MLP: ${res.steps} steps, train MSE ${res.history.at(-1)!.trainLoss.toExponential(2)}`);
tree.dispose([res.params, res.optState, x, y]);

// 2. An O(3)-invariant EMLP on two vectors, checked exactly by the shared harness
//    (float64 on the plain-JS cpu device; sampled group elements; throws naming the worst one).
const G = O(3);
const repIn = V(G).times(2);
const model = EMLP(repIn, Scalar(G), G, { channels: 16, layers: 2 });
const p64 = castTree(model.init(makeKey(1)), { dtype: "float64", device: "cpu" });
const report = await assertEquivariant((v: JArray) => model.apply(tree.ref(p64), v), {
  group: G,
  actIn: repAction(repIn),
  actOut: repAction(Scalar(G)),
  input: ({ dtype }) => fromHost(hostNormal(4 * 6, hostRng(2)), [4, 6], { dtype }),
});
console.log(
  `EMLP: max equivariance error ${report.maxError.toExponential(2)} over ${report.errors.length} elements of ${G.name}`,
);

// 3. Autodiff against central finite differences (float64, cpu).
const gc = await gradcheck((v: JArray) => np.sum(np.tanh(v)), { data: [0.1, -0.4, 2], shape: [3] });
console.log(`gradcheck: ${gc.checked} entries, max |autodiff − numeric| ${gc.maxAbsError.toExponential(2)}`);
tree.dispose(p64);
