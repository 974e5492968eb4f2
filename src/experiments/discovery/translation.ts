/**
 * `discover-translation`: Rao & Ruderman's 1-D example — band-limited periodic signals of d
 * samples, each shown before and after a circular shift by an unknown fraction of a sample. The
 * pairs method (single-vector pairs: midpoint ALS, then the exact exponential model refined by
 * Adam) must find one generator, the derivative operator D (exp(−tD) shifts by t).
 */
import { hostNormal, hostRng } from "../../core/rng.js";
import type { LieBasis } from "../../discovery/algebra.js";
import { discoverFromPairs } from "../../discovery/pairs.js";
import type { ExperimentOptions, ExperimentResults } from "../types.js";
import { runOutput } from "../output.js";
import { diagnostics, generatorPanels } from "./shared.js";

/** Signals [n, d] with no Nyquist component and their shifts by t ~ U(−maxShift, maxShift), and the true generator D. */
export function shiftedSignals(o: { n: number; d: number; maxShift: number; seed: number }): {
  x: Float64Array;
  xp: Float64Array;
  truth: LieBasis;
} {
  const { n, d } = o;
  const rng = hostRng(o.seed);
  const x = new Float64Array(n * d);
  const xp = new Float64Array(n * d);
  const sig = (c: Float64Array, t: number, out: Float64Array, off: number) => {
    for (let j = 0; j < d; j++) {
      let s = c[0]!;
      for (let k = 1; k < d / 2; k++) {
        const a = (2 * Math.PI * k * (j - t)) / d;
        s += (c[2 * k - 1]! * Math.cos(a) + c[2 * k]! * Math.sin(a)) / k; // a 1/k spectrum: smooth signals
      }
      out[off + j] = s;
    }
  };
  for (let p = 0; p < n; p++) {
    const c = hostNormal(d, rng);
    sig(c, 0, x, p * d);
    sig(c, (2 * rng() - 1) * o.maxShift, xp, p * d);
  }
  const D = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++)
      if (i !== j) D[i * d + j] = ((Math.PI / d) * (-1) ** (i - j)) / Math.tan((Math.PI * (i - j)) / d);
  return { x, xp, truth: { d, k: 1, generators: D } };
}

export async function run(opts: ExperimentOptions): Promise<ExperimentResults> {
  const out = runOutput(opts.outDir);
  const cfg = opts.quick
    ? { n: 300, d: 12, maxShift: 0.5, refine: 300 }
    : { n: 2000, d: 16, maxShift: 0.5, refine: 2000 };
  const { x, xp, truth } = shiftedSignals({ ...cfg, seed: opts.seed });
  const t0 = performance.now();
  const als = await discoverFromPairs(x, xp, { n: cfg.n, d: cfg.d });
  const alsSeconds = (performance.now() - t0) / 1000;
  opts.onProgress({ done: 1, total: 2, unit: "fits" });
  const t1 = performance.now();
  const refined = await discoverFromPairs(x, xp, { n: cfg.n, d: cfg.d }, { refine: cfg.refine });
  const refinedSeconds = (performance.now() - t1) / 1000;
  opts.onProgress({ done: 2, total: 2, unit: "fits" });
  out.write("generators.svg", await generatorPanels(refined, truth));
  return out.results({
    task: `1-D signal shifts (Rao & Ruderman 1999): ${cfg.n} pairs of ${cfg.d}-sample band-limited signals shifted by up to ±${cfg.maxShift} sample; the generator is the derivative operator`,
    midpoint: {
      ...diagnostics(als, truth),
      relativeResidual: als.details.relativeResidual as number,
      seconds: alsSeconds,
    },
    refined: {
      ...diagnostics(refined, truth),
      exactRelativeResidual: refined.details.exactRelativeResidual as number,
      seconds: refinedSeconds,
    },
    config: cfg,
  });
}
