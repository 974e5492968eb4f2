/**
 * `flow-hamiltonian`: a ring density on positions q ∈ ℝ² (radius R = 2, radial width σ = 0.3,
 * uniform angle: SO(2)-invariant), learned by maximum likelihood with Hamiltonian flows
 * (Rezende et al. 2019) on phase space (q, p), the momenta p ~ N(0, I₂) drawn independently as
 * auxiliary variables. Two flows of about the same parameter count: the SO(2)-invariant
 * construction (V(|q|²), T(|p|²), one scale per block) and the unconstrained one (V(q), T(p),
 * per-coordinate scales). Reported on held-out samples:
 * - heldOutNLL: mean of −log m(q, p) + log N(p; 0, I), an upper bound (Jensen) on the model's
 *   −log m(q) in nats, beside the target's own −log p(q) (`targetNLL`, the best possible);
 * - invarianceError: mean |log m(R_a·(q, p)) − log m(q, p)| over held-out points and random
 *   rotations a of q and p together (the max beside it).
 * Plots: q-samples of both flows over the target's, and their radial densities against the exact one.
 */
import { initEngine } from "../../core/engine.js";
import { fromHost, toFloat64 } from "../../core/host.js";
import { hostNormal, hostRng, makeKey } from "../../core/rng.js";
import { mean } from "../../core/stats.js";
import { hamiltonianFlow, negLogLikelihood, rotatePhaseSpace, standardNormal } from "../../flows/index.js";
import { tree, type Array as JArray } from "../../jax.js";
import { linePlot, scatterPlot } from "../../plot/index.js";
import { adam } from "../../train/optim.js";
import { makeTrainStep } from "../../train/step.js";
import { runOutput } from "../output.js";
import type { ExperimentOptions, ExperimentResults, JsonValue } from "../types.js";
import { histogram, num } from "./shared.js";

const R = 2;
const SIGMA = 0.3;

/** n ring samples (q) with independent N(0, I) momenta: rows [q1, q2, p1, p2]. */
function ringData(n: number, rng: () => number): Float64Array {
  const out = new Float64Array(4 * n);
  const g = hostNormal(3 * n, rng);
  for (let i = 0; i < n; i++) {
    let r = R + SIGMA * g[3 * i]!;
    while (r <= 0) r = R + SIGMA * hostNormal(1, rng)[0]!;
    const a = 2 * Math.PI * rng();
    out.set([r * Math.cos(a), r * Math.sin(a), g[3 * i + 1]!, g[3 * i + 2]!], 4 * i);
  }
  return out;
}

/** −log p(q) of the ring density, p(q) = N(|q|; R, σ) / (2π|q|) (truncation at r ≤ 0 ignored: Φ(−R/σ) ≈ 1e-11). */
function ringNLL(q1: number, q2: number): number {
  const r = Math.hypot(q1, q2);
  return ((r - R) / SIGMA) ** 2 / 2 + Math.log(SIGMA * Math.sqrt(2 * Math.PI)) + Math.log(2 * Math.PI * r);
}

export async function run(opts: ExperimentOptions): Promise<ExperimentResults> {
  const t0 = performance.now();
  await initEngine();
  const output = runOutput(opts.outDir);
  const quick = opts.quick;
  const steps = (opts.params.steps as number | undefined) ?? (quick ? 300 : 4000);
  const nTrain = (opts.params.train as number | undefined) ?? (quick ? 2000 : 20000);
  const nTest = quick ? 1000 : 5000;
  const batch = 256;
  const lr = 1e-2;
  const leapfrogSteps = 8;
  // Parameter counts: invariant 6H + 2 (H = 32: 194), unconstrained 8H + 4 (H = 24: 196).
  const variants = [
    ["symmetric", hamiltonianFlow({ construction: "invariant", hidden: 32, steps: leapfrogSteps })],
    ["unconstrained", hamiltonianFlow({ construction: "unconstrained", hidden: 24, steps: leapfrogSteps })],
  ] as const;
  const rng = hostRng(opts.seed);
  const train = ringData(nTrain, rng);
  const test = ringData(nTest, rng);
  const base = standardNormal([4]);
  const logNp = (p1: number, p2: number) => -0.5 * (p1 * p1 + p2 * p2) - Math.log(2 * Math.PI);
  let targetNLL = 0;
  for (let i = 0; i < nTest; i++) targetNLL += ringNLL(test[4 * i]!, test[4 * i + 1]!);
  targetNLL /= nTest;
  const results: Record<string, JsonValue> = {};
  const scatter: { name: string; x: Float64Array; y: Float64Array }[] = [];
  const radial: { name: string; x: Float64Array; y: Float64Array; dashed?: boolean }[] = [];
  const nShow = 600;
  {
    const x = Float64Array.from({ length: nShow }, (_, i) => test[4 * i]!);
    const y = Float64Array.from({ length: nShow }, (_, i) => test[4 * i + 1]!);
    scatter.push({ name: "target", x, y });
  }
  for (const [vi, [key, flow]] of variants.entries()) {
    const ts = performance.now();
    let params = flow.init(makeKey(opts.seed + 1 + vi));
    const paramCount = (tree.leaves(params) as JArray[]).reduce((a, l) => a + l.size, 0);
    const optimizer = adam();
    let optState = optimizer.init(params);
    const step = makeTrainStep<typeof params>((p, xb, yb) => {
      yb.dispose();
      return negLogLikelihood(flow, base, p, xb).mean();
    }, optimizer);
    const brng = hostRng(opts.seed + 10 + vi);
    const losses: number[] = [];
    let stopReason = "completed";
    const xb = new Float64Array(batch * 4);
    try {
      for (let t = 1; t <= steps; t++) {
        for (let i = 0; i < batch; i++) {
          const k = Math.floor(brng() * nTrain);
          xb.set(train.subarray(4 * k, 4 * k + 4), 4 * i);
        }
        const keep = { params: tree.ref(params) as typeof params, optState: tree.ref(optState) };
        const out = step(params, optState, fromHost(xb, [batch, 4]), fromHost([0], [1]), lr, t);
        const loss = out.loss.item() as number;
        if (!Number.isFinite(loss)) {
          tree.dispose([out.params, out.optState]);
          params = keep.params;
          optState = keep.optState;
          stopReason = `non-finite loss ${loss} at step ${t}; kept the parameters of step ${t - 1}`;
          opts.log(`flow-hamiltonian ${key}: ${stopReason}`);
          break;
        }
        tree.dispose([keep.params, keep.optState]);
        params = out.params as typeof params;
        optState = out.optState;
        losses.push(loss);
        opts.onProgress({ done: vi * steps + t, total: 2 * steps, unit: "steps", metrics: { [key]: loss } });
      }
    } finally {
      step.dispose();
    }
    const trainSeconds = (performance.now() - ts) / 1000;
    await output.saveCheckpoint(`checkpoint-${key}.safetensors`, {
      params,
      optState,
      meta: {
        step: losses.length,
        epoch: 0,
        seed: opts.seed,
        config: { experiment: "flow-hamiltonian", flow: flow.name },
      },
    });
    tree.dispose(optState);
    // Held-out NLL bound and invariance error.
    const nll = toFloat64(negLogLikelihood(flow, base, tree.ref(params), fromHost(test, [nTest, 4])));
    let bound = 0;
    for (let i = 0; i < nTest; i++) bound += nll[i]! + logNp(test[4 * i + 2]!, test[4 * i + 3]!);
    bound /= nTest;
    const arng = hostRng(opts.seed + 20);
    const diffs: number[] = [];
    for (let k = 0; k < 4; k++) {
      const a = 2 * Math.PI * arng();
      const rot = toFloat64(
        negLogLikelihood(flow, base, tree.ref(params), rotatePhaseSpace(a, fromHost(test, [nTest, 4]))),
      );
      for (let i = 0; i < nTest; i++) diffs.push(Math.abs(rot[i]! - nll[i]!));
    }
    // Samples: q of f(z), z ~ N(0, I₄).
    const [xs] = flow.forward(tree.ref(params), base.sample(4000, hostRng(opts.seed + 30 + vi)));
    const samp = toFloat64(xs);
    const radii = Float64Array.from({ length: 4000 }, (_, i) => Math.hypot(samp[4 * i]!, samp[4 * i + 1]!));
    scatter.push({
      name: key,
      x: Float64Array.from({ length: nShow }, (_, i) => samp[4 * i]!),
      y: Float64Array.from({ length: nShow }, (_, i) => samp[4 * i + 1]!),
    });
    radial.push({ name: key, ...histogram(radii, 0, 4, 40) });
    tree.dispose(params);
    const invMean = mean(diffs);
    const invMax = Math.max(...diffs);
    results[key] = {
      heldOutNLL: num(bound),
      invarianceError: num(invMean),
      invarianceErrorMax: num(invMax),
      meanRadius: mean(radii),
      finalTrainLoss: num(losses[losses.length - 1] ?? Number.NaN),
      stopReason,
      params: paramCount,
      trainSeconds,
    };
    opts.log(
      `flow-hamiltonian ${key}: held-out NLL ≤ ${bound.toFixed(3)} nats (target ${targetNLL.toFixed(3)}), invariance error ${invMean.toExponential(2)} (max ${invMax.toExponential(2)}), ${paramCount} params, ${trainSeconds.toFixed(1)} s`,
    );
  }
  const rs = Float64Array.from({ length: 81 }, (_, i) => (4 * i) / 80);
  radial.push({
    name: "exact",
    x: rs,
    y: rs.map((r) => Math.exp(-(((r - R) / SIGMA) ** 2) / 2) / (SIGMA * Math.sqrt(2 * Math.PI))),
    dashed: true,
  });
  output.write(
    "samples.svg",
    await scatterPlot({
      title: `flow-hamiltonian: q of ${nShow} samples of each flow vs the target ring`,
      series: scatter,
      xLabel: "q₁",
      yLabel: "q₂",
      pointSize: 8,
      width: 360,
      height: 360,
    }),
  );
  output.write(
    "radial.svg",
    await linePlot({
      title: "flow-hamiltonian: density of |q| of the flows' samples vs the exact ring",
      series: radial,
      xLabel: "|q|",
      yLabel: "density",
    }),
  );
  return output.results({
    ...results,
    targetNLL,
    notes:
      "heldOutNLL = mean(−log m(q, p) + log N(p)) over held-out (q, p), an upper bound on −log m(q) in nats; targetNLL is the ring's own −log p(q) on the same points; invarianceError = mean |Δ log m| under joint rotations of (q, p) (float32)",
    settings: { quick, steps, nTrain, nTest, batch, lr, leapfrogSteps, R, sigma: SIGMA },
    seconds: (performance.now() - t0) / 1000,
  });
}
