/**
 * Independently sampled states with their true derivatives (the LNN paper's training data):
 * uniform boxes in state space, evaluated by the system's host field, seeded with `hostRng`.
 */
import { ConfigError, ShapeError } from "../core/errors.js";
import { hostRng } from "../core/rng.js";
import { doublePendulum, relativisticParticle, type PhysicalSystem } from "../physics/systems.js";
import { checkCount, checkRange } from "./trajectories.js";

/** Independently sampled states with their true derivatives, for velocity-coordinate systems. */
export interface StateSamples {
  /** States [n, dim] = [q, q̇]. */
  x: Float64Array;
  /** Accelerations q̈ [n, dof] (the LNN targets). */
  qdd: Float64Array;
  /** Full derivatives [q̇, q̈] [n, dim]. */
  dx: Float64Array;
  /** Energy [n]. */
  energy: Float64Array;
  n: number;
  dim: number;
  dof: number;
}

/** Samples n states with coordinate j ~ U(ranges[j][0], ranges[j][1]) and evaluates the true field (seeded). */
export function uniformStateSamples(
  system: PhysicalSystem,
  ranges: readonly (readonly [number, number])[],
  n: number,
  seed: number,
): StateSamples {
  const D = system.dim;
  const nq = system.dof;
  if (ranges.length !== D)
    throw new ShapeError(
      `uniformStateSamples(${system.name}): expected ${D} ranges (one per state coordinate), got ${ranges.length}`,
    );
  ranges.forEach((r, j) => checkRange(`uniformStateSamples: ranges[${j}]`, r as [number, number]));
  checkCount("uniformStateSamples: n", n, 1);
  if (!Number.isInteger(seed)) throw new ConfigError(`uniformStateSamples: seed must be an integer, got ${seed}`);
  const rng = hostRng(seed);
  const x = new Float64Array(n * D);
  const dx = new Float64Array(n * D);
  const qdd = new Float64Array(n * nq);
  const energy = new Float64Array(n);
  const d = new Float64Array(D);
  for (let i = 0; i < n; i++) {
    const s = x.subarray(i * D, (i + 1) * D);
    for (let j = 0; j < D; j++) {
      const [lo, hi] = ranges[j]!;
      s[j] = lo + (hi - lo) * rng();
    }
    system.fieldHost(s, d);
    dx.set(d, i * D);
    qdd.set(d.subarray(nq), i * nq);
    energy[i] = system.energyHost(s);
  }
  return { x, qdd, dx, energy, n, dim: D, dof: nq };
}

/**
 * LNN double-pendulum training states: θ ~ U[0, 2π)², ω ~ U[−10, 10]², targets q̈ from the
 * analytic equations of motion (doublePendulum(): m = l = 1, g = 9.8 unless given).
 */
export function doublePendulumSamples(o: {
  n: number;
  seed: number;
  system?: ReturnType<typeof doublePendulum>;
  omegaMax?: number;
}): StateSamples {
  const system = o.system ?? doublePendulum();
  const w = o.omegaMax ?? 10;
  const tau = 2 * Math.PI;
  return uniformStateSamples(
    system,
    [
      [0, tau],
      [0, tau],
      [-w, w],
      [-w, w],
    ],
    o.n,
    o.seed,
  );
}

/**
 * LNN relativistic-particle states: q ~ U[−qMax, qMax] (default 10), q̇ ~ U[−vMax, vMax]
 * (default 0.99, in units of c = 1), targets q̈ (relativisticParticle() unless given; 1 DOF).
 */
export function relativisticSamples(o: {
  n: number;
  seed: number;
  system?: ReturnType<typeof relativisticParticle>;
  qMax?: number;
  vMax?: number;
}): StateSamples {
  const system = o.system ?? relativisticParticle();
  if (system.dof !== 1) throw new ConfigError(`relativisticSamples: expected a 1-DOF particle, got dof ${system.dof}`);
  const qMax = o.qMax ?? 10;
  const vMax = o.vMax ?? 0.99;
  return uniformStateSamples(
    system,
    [
      [-qMax, qMax],
      [-vMax, vMax],
    ],
    o.n,
    o.seed,
  );
}
