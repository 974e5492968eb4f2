/**
 * `emlp-solve`: seconds to build the equivariant bases of the three EMLP models of the
 * synthetic table from a cold solver cache — O(5) invariant (2V → 1), O(3) inertia
 * (5·1 ⊕ 5V → V⊗V, EMLP-SO(3)) and Lorentz (4V → 1, hidden tensors up to rank 2) — with
 * EMLP's full hidden size (uniformRep(384), 3 layers). "msPerStep" is the total of the three.
 * No reference implementation exists in our ecosystem (EMLP is JAX/objax).
 */
import { initEngine } from "../src/core/engine.js";
import { emlpTasks, solveTime } from "../src/experiments/emlp.js";
import type { Benchmark, BenchOutcome } from "../src/cli/bench-types.js";

/** The emlp-solve benchmark. */
export const emlpSolve: Benchmark = {
  name: "emlp-solve",
  description:
    "ms to solve the bases of the O(5), O(3)-inertia and Lorentz EMLPs (uniformRep(384), 3 layers; Lorentz up to rank 2), cold cache",
  async run(opts): Promise<BenchOutcome> {
    await initEngine();
    const notes: string[] = [];
    let total = 0;
    const tasks = Object.values(emlpTasks);
    for (const [i, spec] of tasks.entries()) {
      const r = solveTime(spec, 384, 3);
      total += r.ms;
      notes.push(
        `${spec.name}: ${(r.ms / 1000).toFixed(2)} s (${r.coefficients} coefficients in the equivariant linear layers)`,
      );
      opts.onProgress({ done: i + 1, total: tasks.length, unit: "models" });
    }
    notes.push("float64 host solver, cold cache per model; no reference implementation in our ecosystem");
    return { name: "emlp-solve", msPerStep: total, reference: null, ratio: null, notes };
  },
};
