/**
 * A φ⁴ flow (Albergo, Kanwar & Shanahan 2019) trained by reverse KL in the worker with the
 * library's `phi4Flow` (translation- and Z2-equivariant conv couplings), `reverseKL` +
 * `makeTrainStep`, and sampled by independence Metropolis with flow proposals (`flowSampler`,
 * `independenceKernel`, `metropolis`) next to HMC (`hmcKernel`) on the same action.
 */
import { tree } from "../../../src/jax.js";
import { fromHost } from "../../../src/core/host.js";
import { hostRng, makeKey } from "../../../src/core/rng.js";
import type { Params } from "../../../src/core/tree.js";
import {
  bufferedDraws,
  essPerSample,
  flowSampler,
  hmcKernel,
  independenceKernel,
  metropolis,
  phi4Action,
  phi4Flow,
  phi4Force,
  reverseKL,
  standardNormal,
  type Phi4Params,
} from "../../../src/flows/index.js";
import { adam } from "../../../src/train/optim.js";
import { makeTrainStep } from "../../../src/train/step.js";
import { serveDemo, yieldNow, type DemoContext, type Row } from "../lib/protocol.js";

serveDemo({ run: train });

const BINS = 30;
/** Histogram rows of the mean field M/V over [−1.5, 1.5]. */
function histogram(name: string, rows: Float64Array, width: number, V: number): Row[] {
  const counts = new Float64Array(BINS);
  const n = rows.length / width;
  for (let i = 0; i < n; i++) {
    let m = 0;
    for (let j = 0; j < V; j++) m += rows[i * width + j]!;
    const b = Math.floor(((m / V + 1.5) / 3) * BINS);
    if (b >= 0 && b < BINS) counts[b]! += 1 / n;
  }
  return Array.from(counts, (c, b) => ({ m: -1.5 + (3 * (b + 0.5)) / BINS, density: (c * BINS) / 3, sampler: name }));
}

async function train(s: Record<string, number>, { post, signal }: DemoContext): Promise<number> {
  const L = s.L!;
  const th: Phi4Params = { L, m2: -4, lambda: s.lambda! };
  const V = L * L;
  const action = (x: Parameters<typeof phi4Action>[1]) => phi4Action(th, x);
  const flow = phi4Flow({ L, couplings: s.couplings!, hidden: [8, 8] });
  const base = standardNormal([L, L]);
  // HMC reference once, on the same action (4 chains × 200 trajectories of 10 leapfrog steps).
  const hmc = hmcKernel({
    dim: V,
    action: (q) => phi4Action(th, q.reshape([-1, L, L])),
    force: (q) => phi4Force(th, q.reshape([-1, L, L])).reshape([-1, V]),
    dt: 0.1,
    leapfrogSteps: 10,
    dtype: "float32",
  });
  const hmcRun = metropolis(hmc, new Float64Array(4 * V).fill(0.5), 4, 200, hostRng(5));
  hmc.dispose();
  const hmcHist = histogram("HMC", hmcRun.samples.subarray(4 * V * 20), V, V);
  const opt = adam();
  let params = flow.init(makeKey(0)) as Params;
  let optState = opt.init(params);
  const step = makeTrainStep<Params>((p, z, dummy) => {
    dummy.dispose();
    return reverseKL(flow, base, action, p as Params[], z);
  }, opt);
  const rng = hostRng(1);
  const steps = s.steps!;
  let done = 0;
  try {
    for (let t = 1; t <= steps && !signal.aborted; t++) {
      const z = base.sample(s.batch!, rng, { dtype: "float32" });
      const out = step(params, optState, z, fromHost([0], [1], { dtype: "float32" }), s.lr!, t);
      const loss = out.loss.item() as number;
      if (!Number.isFinite(loss)) {
        tree.dispose([out.params, out.optState]);
        throw new Error(`the reverse-KL loss became ${loss} at step ${t}; lower the learning rate`);
      }
      params = out.params;
      optState = out.optState;
      done = t;
      const metrics: Record<string, number> = { loss, hmcAcceptance: hmcRun.acceptance };
      const append: Record<string, Row[]> = { loss: [{ step: t, loss }] };
      let series: Record<string, Row[]> | undefined;
      if (t % 25 === 0 || t === steps) {
        const sampler = flowSampler({ flow, base, action, params: tree.ref(params) as Params[], seed: 100 + t });
        try {
          const next = bufferedDraws(V, 256, (n) => sampler.draw(n));
          const first = next(1);
          const init = new Float64Array(V + 1);
          init.set(first.x);
          init[V] = first.logw[0]!;
          const chain = metropolis(independenceKernel(V, next), init, 1, 512, hostRng(t));
          metrics.acceptance = chain.acceptance;
          metrics.essPerSample = essPerSample(sampler.draw(256).logw);
          append.acceptance = [
            { step: t, value: chain.acceptance, what: "flow acceptance" },
            { step: t, value: metrics.essPerSample, what: "flow ESS / sample" },
          ];
          series = { histogram: [...hmcHist, ...histogram("flow (Metropolis)", chain.samples, V + 1, V)] };
        } finally {
          sampler.dispose();
        }
      }
      post({ type: "progress", step: t, total: steps, metrics, append, ...(series ? { series } : {}) });
      await yieldNow();
    }
  } finally {
    tree.dispose([params, optState]);
    step.dispose();
  }
  return done;
}
