/**
 * `detect-embedding`: Krippendorf & Syvaeri's examples — points in the box [−1, 1]^d labelled by
 * which level set (one of C equal-count bins) of V(x) = |x|² they lie in; a classifier learns the
 * labels, and the generators are read off its embedding by local linear fits
 * (src/discovery/embedding.ts). The count of significant components must be the algebra's
 * dimension: 1 for SO(2) on ℝ², 3 for SO(3) on ℝ³. Also a control without the symmetry,
 * V = x₁² + 3x₂² (its symmetry is the elliptic rotation, not so(2)).
 */
import { hostRng } from "../../core/rng.js";
import type { LieBasis } from "../../discovery/algebra.js";
import { discoverEmbedding, levelSetLabels } from "../../discovery/embedding.js";
import { SO } from "../../groups/catalog.js";
import type { ExperimentOptions, ExperimentResults, JsonValue } from "../types.js";
import { runOutput } from "../output.js";
import { diagnostics, generatorPanels } from "./shared.js";

export async function run(opts: ExperimentOptions): Promise<ExperimentResults> {
  const out = runOutput(opts.outDir);
  const cfg = opts.quick ? { n: 2000, classes: 8, steps: 400 } : { n: 8000, classes: 10, steps: 1500 };
  const ellipse: LieBasis = { d: 2, k: 1, generators: Float64Array.of(0, -1, 1 / 3, 0) };
  const tasks: { name: string; d: number; V: (x: ArrayLike<number>, o: number) => number; truth: LieBasis }[] = [
    {
      name: "so2",
      d: 2,
      V: (x, o) => x[o]! ** 2 + x[o + 1]! ** 2,
      truth: { d: 2, k: 1, generators: SO(2).lieAlgebra },
    },
    {
      name: "so3",
      d: 3,
      V: (x, o) => x[o]! ** 2 + x[o + 1]! ** 2 + x[o + 2]! ** 2,
      truth: { d: 3, k: 3, generators: SO(3).lieAlgebra },
    },
    { name: "ellipse", d: 2, V: (x, o) => x[o]! ** 2 + 3 * x[o + 1]! ** 2, truth: ellipse },
  ];
  const results: { [k: string]: JsonValue } = {};
  for (const [i, t] of tasks.entries()) {
    const rng = hostRng(opts.seed * 31 + i);
    const x = Float64Array.from({ length: cfg.n * t.d }, () => 2 * rng() - 1);
    const labels = levelSetLabels(
      Float64Array.from({ length: cfg.n }, (_, s) => t.V(x, s * t.d)),
      cfg.classes,
    );
    const t0 = performance.now();
    const found = await discoverEmbedding(x, labels, { n: cfg.n, d: t.d }, { steps: cfg.steps, seed: opts.seed });
    const so2: LieBasis = { d: 2, k: 1, generators: SO(2).lieAlgebra };
    results[t.name] = {
      componentsFound: found.basis.k,
      componentsTrue: t.truth.k,
      ...diagnostics(found, t.truth),
      ...(t.name === "ellipse" ? { principalAngleToSo2Deg: diagnostics(found, so2).principalAnglesDeg! } : {}),
      seconds: (performance.now() - t0) / 1000,
    };
    out.write(`generators-${t.name}.svg`, await generatorPanels(found, t.truth));
    opts.onProgress({ done: i + 1, total: tasks.length, unit: "tasks" });
  }
  return out.results({
    task: "embedding detection (Krippendorf & Syvaeri 2020): level sets of V classified, generators from the embedding's local linear fits; so(2), so(3), and an ellipse control",
    ...results,
    config: cfg,
  });
}
