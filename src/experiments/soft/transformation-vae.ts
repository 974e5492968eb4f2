/**
 * `transformation-vae`: a VAE on pairs of views of a rotating object (an asymmetric pattern of
 * three Gaussian blobs, n×n pixels, rendered at angle θ and θ + t, t ~ U[−π/2, π/2]) whose latent
 * code moves by z′ = exp(tL)z (noether/soft's transformationVAE). Reports the held-out relative
 * error ‖dec(exp(tL)μ(x)) − x′‖/‖x′‖ beside two references (x′ ≈ x, and x′ ≈ dec(μ(x)) without
 * the latent action), and the spectrum of L: a rotation by t should act as a rotation by ωt of the
 * latent plane, eigenvalues ±iω (ω = 1 for a code that winds once around the circle of views).
 * Plot: learned eigenvalues vs the true ±i in the complex plane.
 */
import { tree, type Array as JArray } from "../../jax.js";
import { initEngine } from "../../core/engine.js";
import { fromHost, toFloat64 } from "../../core/host.js";
import { hostRng, makeKey } from "../../core/rng.js";
import type { Params } from "../../core/tree.js";
import { scatterPlot } from "../../plot/index.js";
import { eigenvalues } from "../../soft/spectrum.js";
import { packPairs, transformationVAE } from "../../soft/tvae.js";
import { adam, cosine } from "../../train/optim.js";
import { makeTrainStep } from "../../train/step.js";
import { runOutput } from "../output.js";
import { intParam } from "../params.js";
import type { ExperimentOptions, ExperimentResults } from "../types.js";
import { sig } from "./shared.js";

interface Config {
  size: number;
  latent: number;
  hidden: number[];
  nTrain: number;
  nTest: number;
  steps: number;
  batch: number;
  lr: number;
  beta: number;
}

const QUICK: Config = {
  size: 12,
  latent: 2,
  hidden: [64],
  nTrain: 1024,
  nTest: 256,
  steps: 1000,
  batch: 128,
  lr: 3e-3,
  beta: 1e-3,
};
const FULL: Config = {
  size: 20,
  latent: 4,
  hidden: [256, 256],
  nTrain: 8192,
  nTest: 1024,
  steps: 8000,
  batch: 256,
  lr: 1e-3,
  beta: 1e-3,
};

/** Three blobs (centre radius, angle, width, amplitude): no rotational symmetry. */
const BLOBS = [
  [0.5, 0, 0.18, 1],
  [0.35, 2.2, 0.25, 0.6],
  [0.6, 4.0, 0.12, 0.8],
] as const;

/** The object at angle θ, n×n in [−1, 1]² (row i top to bottom, y up). */
function render(theta: number, n: number, out: Float64Array, o: number): void {
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const x = (2 * j) / (n - 1) - 1;
      const y = 1 - (2 * i) / (n - 1);
      let v = 0;
      for (const [r, a, w, amp] of BLOBS) {
        const cx = r * Math.cos(a + theta);
        const cy = r * Math.sin(a + theta);
        v += amp * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * w * w));
      }
      out[o + i * n + j] = v;
    }
}

function pairs(m: number, n: number, rng: () => number): { x: Float64Array; x2: Float64Array; t: Float64Array } {
  const D = n * n;
  const x = new Float64Array(m * D);
  const x2 = new Float64Array(m * D);
  const t = new Float64Array(m);
  for (let b = 0; b < m; b++) {
    const th = 2 * Math.PI * rng();
    t[b] = Math.PI * (rng() - 0.5);
    render(th, n, x, b * D);
    render(th + t[b]!, n, x2, b * D);
  }
  return { x, x2, t };
}

const relErr = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
};

export async function run(opts: ExperimentOptions): Promise<ExperimentResults> {
  await initEngine();
  const out = runOutput(opts.outDir);
  const base = opts.quick ? QUICK : FULL;
  const cfg: Config = {
    ...base,
    steps: intParam(opts.params, "steps") ?? base.steps,
    latent: intParam(opts.params, "latent") ?? base.latent,
  };
  const n = cfg.size;
  const D = n * n;
  const rng = hostRng(opts.seed ^ 0x7a3e);
  const train = pairs(cfg.nTrain, n, rng);
  const test = pairs(cfg.nTest, n, rng);
  const vae = transformationVAE({ dataSize: D, latent: cfg.latent, hidden: cfg.hidden, beta: cfg.beta });
  const optimizer = adam();
  const step = makeTrainStep((p: Params, b: JArray, y: JArray) => vae.loss(p as never, b, y), optimizer);
  const schedule = cosine({ lr: cfg.lr, totalSteps: cfg.steps, finalLr: cfg.lr / 100 });
  let params = vae.init(makeKey(opts.seed)) as unknown as Params;
  let optState = optimizer.init(params);
  const B = cfg.batch;
  const xb = new Float64Array(B * D);
  const x2b = new Float64Array(B * D);
  const tb = new Float64Array(B);
  const dummy = new Float64Array(1);
  const t0 = performance.now();
  let loss = NaN;
  for (let s = 1; s <= cfg.steps; s++) {
    for (let k = 0; k < B; k++) {
      const i = Math.floor(rng() * cfg.nTrain);
      xb.set(train.x.subarray(i * D, (i + 1) * D), k * D);
      x2b.set(train.x2.subarray(i * D, (i + 1) * D), k * D);
      tb[k] = train.t[i]!;
    }
    const batch = fromHost(packPairs(xb, x2b, tb, D, cfg.latent, rng), [B, vae.rowSize], { dtype: "float32" });
    const o = step(params, optState, batch, fromHost(dummy, [1], { dtype: "float32" }), schedule(s - 1), s);
    params = o.params;
    optState = o.optState;
    loss = o.loss.item();
    if (!Number.isFinite(loss)) throw new Error(`transformation-vae: non-finite loss at step ${s}`);
    if (s % 20 === 0) opts.onProgress({ done: s, total: cfg.steps, unit: "steps", metrics: { loss } });
  }
  step.dispose();
  tree.dispose(optState);
  const seconds = (performance.now() - t0) / 1000;
  const xT = () => fromHost(test.x, [cfg.nTest, D], { dtype: "float32" });
  const transported = toFloat64(
    vae.transport(tree.ref(params) as never, xT(), fromHost(test.t, [cfg.nTest], { dtype: "float32" })),
  );
  const reconstructed = toFloat64(vae.decode(tree.ref(params) as never, vae.encode(tree.ref(params) as never, xT())));
  const L = vae.generator(params as never);
  tree.dispose(params);
  const spectrum = eigenvalues(L, cfg.latent).map((z) => ({ re: sig(z.re), im: sig(z.im) }));
  const heldOutRelErr = relErr(transported, test.x2);
  const references = { identity: sig(relErr(test.x, test.x2)), noLatentAction: sig(relErr(reconstructed, test.x2)) };
  opts.log(
    `transformation-vae: held-out relative error ${heldOutRelErr.toPrecision(3)} (x′ ≈ x: ${references.identity}, without exp(tL): ${references.noLatentAction}); spectrum of L ${spectrum.map((z) => `${z.re}${z.im >= 0 ? "+" : ""}${z.im}i`).join(", ")} (${seconds.toFixed(1)} s, final loss ${loss.toPrecision(3)})`,
  );
  out.write(
    "latent-spectrum.svg",
    await scatterPlot({
      title: "transformation VAE: eigenvalues of the learned latent generator L vs a rotation's ±i",
      series: [
        { name: "learned L", x: spectrum.map((z) => z.re), y: spectrum.map((z) => z.im) },
        { name: "true rotation generator (±i)", x: [0, 0], y: [-1, 1] },
      ],
      xLabel: "Re λ",
      yLabel: "Im λ",
      pointSize: 60,
    }),
  );
  return out.results({
    task: "a VAE on pairs (x, rotated x) of a rotating three-blob object with latent action z′ = exp(tL)z: held-out relative error and the spectrum of L",
    heldOutRelErr: sig(heldOutRelErr),
    latentSpectrum: spectrum,
    references,
    generator: Array.from(L, sig),
    seconds: sig(seconds),
    config: { ...cfg },
  });
}
