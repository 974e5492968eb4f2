/**
 * `discover-rotation`: point clouds in ℝ² and ℝ³, each shown before and after an unknown rotation
 * (large angles, small noise); the pairs method (src/discovery/pairs.ts: least-squares transform
 * per cloud, its logarithm, the leading span) must find so(2) and so(3) without being told.
 * Reports, per task, the principal angles to the true algebra, the aligned cosines and the
 * closure residual; draws the learned generators beside the true ones.
 */
import { expmHost } from "../../core/expm.js";
import { hostNormal, hostRng } from "../../core/rng.js";
import type { LieBasis } from "../../discovery/algebra.js";
import { discoverFromPairs } from "../../discovery/pairs.js";
import { SO } from "../../groups/catalog.js";
import type { Group } from "../../groups/group.js";
import type { ExperimentOptions, ExperimentResults, JsonValue } from "../types.js";
import { runOutput } from "../output.js";
import { diagnostics, generatorPanels } from "./shared.js";

/** Clouds of `points` Gaussian points and their images under exp(Σ tᵢLᵢ), tᵢ ~ U(−maxT, maxT), plus noise. */
export function rotatedClouds(
  G: Group,
  o: { clouds: number; points: number; maxT: number; noise: number; seed: number },
): { x: Float64Array; xp: Float64Array } {
  const d = G.d;
  const rng = hostRng(o.seed);
  const x = hostNormal(o.clouds * o.points * d, rng);
  const xp = new Float64Array(x.length);
  const noise = hostNormal(x.length, rng);
  for (let c = 0; c < o.clouds; c++) {
    const L = new Float64Array(d * d);
    for (let k = 0; k < G.D; k++) {
      const t = (2 * rng() - 1) * o.maxT;
      for (let i = 0; i < d * d; i++) L[i] = L[i]! + t * G.lieAlgebra[k * d * d + i]!;
    }
    const g = expmHost(L, d);
    for (let p = 0; p < o.points; p++) {
      const r = (c * o.points + p) * d;
      for (let i = 0; i < d; i++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += g[i * d + j]! * x[r + j]!;
        xp[r + i] = s + o.noise * noise[r + i]!;
      }
    }
  }
  return { x, xp };
}

export async function run(opts: ExperimentOptions): Promise<ExperimentResults> {
  const out = runOutput(opts.outDir);
  const cfg = opts.quick
    ? { clouds: 40, points: 8, maxT: 1.2, noise: 0.01 }
    : { clouds: 400, points: 32, maxT: 1.2, noise: 0.01 };
  const results: { [k: string]: JsonValue } = {};
  const tasks: [string, Group][] = [
    ["so2", SO(2)],
    ["so3", SO(3)],
  ];
  for (const [i, [name, G]] of tasks.entries()) {
    const { x, xp } = rotatedClouds(G, { ...cfg, seed: opts.seed * 101 + i });
    const t0 = performance.now();
    const found = await discoverFromPairs(x, xp, { n: cfg.clouds * cfg.points, d: G.d }, { points: cfg.points });
    const truth: LieBasis = { d: G.d, k: G.D, generators: G.lieAlgebra };
    results[name] = { ...diagnostics(found, truth), seconds: (performance.now() - t0) / 1000 };
    opts.log(
      `discover-rotation ${name}: ${found.basis.k} generators, max principal angle ${Math.max(0, ...(results[name] as { principalAnglesDeg: number[] }).principalAnglesDeg)}°`,
    );
    out.write(`generators-${name}.svg`, await generatorPanels(found, truth));
    opts.onProgress({ done: i + 1, total: tasks.length, unit: "tasks" });
  }
  return out.results({
    task: "rotated point clouds (ℝ², ℝ³), large angles, noise σ = 0.01: the pairs method must find so(2) and so(3)",
    ...results,
    config: { ...cfg, method: "pairs (grouped: log of the least-squares transform per cloud, leading span)" },
  });
}
