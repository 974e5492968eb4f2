/**
 * Markov chain Monte Carlo for lattice theories: one Metropolis–Hastings core (`metropolis`)
 * shared by Hamiltonian Monte Carlo (`hmcKernel`, leapfrog from ../physics) and the independence
 * sampler with flow proposals (`independenceKernel`); effective sample size of importance
 * weights and the integrated autocorrelation time (Sokal's automatic window).
 *
 * Chains live on the host as rows of `width` float64 numbers (a kernel may keep auxiliary
 * numbers in a row: the independence kernel keeps log w after the field); a kernel proposes a
 * new row per chain and the log acceptance ratio log α, and the core accepts iff log u < log α.
 */
import { jit, numpy as np, type Array as JArray, type Device } from "../jax.js";
import { ConfigError } from "../core/errors.js";
import { fromHost, toFloat64 } from "../core/host.js";
import { hostNormal } from "../core/rng.js";
import { leapfrog } from "../physics/integrators.js";

/** Accept/reject per chain: accept[i] = 1 iff log u_i < logAlpha[i], u_i ~ U(0, 1] from `rng`. */
export function mhAccept(logAlpha: ArrayLike<number>, rng: () => number): Uint8Array {
  const out = new Uint8Array(logAlpha.length);
  for (let i = 0; i < logAlpha.length; i++) {
    const a = logAlpha[i]!;
    // NaN (a proposal that overflowed) is rejected.
    out[i] = a >= 0 || Math.log(1 - rng()) < a ? 1 : 0;
  }
  return out;
}

/** A Metropolis–Hastings proposal on host chain states [chains · width]. */
export interface MHKernel {
  /** Numbers per chain row. */
  readonly width: number;
  /** Proposed rows and log acceptance ratios [chains] for the current rows (borrowed). */
  propose(state: Float64Array, chains: number, rng: () => number): { proposal: Float64Array; logAlpha: Float64Array };
}

/** What `metropolis` returns. */
export interface MHResult {
  /** States after each step, [steps, chains, width]. */
  samples: Float64Array;
  /** Accepted fraction over all steps and chains. */
  acceptance: number;
  /** Accepted proposals per step, [steps, chains]. */
  accepted: Uint8Array;
}

/**
 * Runs `steps` Metropolis–Hastings steps of `chains` chains from `init` [chains · width] with
 * `kernel` (host rng for the accept decisions and the kernel's own draws).
 */
export function metropolis(
  kernel: MHKernel,
  init: ArrayLike<number>,
  chains: number,
  steps: number,
  rng: () => number,
  opts: { onStep?: (step: number, acceptedSoFar: number) => void } = {},
): MHResult {
  const W = kernel.width;
  if (init.length !== chains * W)
    throw new ConfigError(`metropolis: init has ${init.length} numbers, expected chains · width = ${chains * W}`);
  if (!(Number.isInteger(steps) && steps >= 1))
    throw new ConfigError(`metropolis: steps must be a positive integer, got ${steps}`);
  let state = Float64Array.from(init);
  const samples = new Float64Array(steps * chains * W);
  const accepted = new Uint8Array(steps * chains);
  let nAcc = 0;
  for (let s = 0; s < steps; s++) {
    const { proposal, logAlpha } = kernel.propose(state, chains, rng);
    const acc = mhAccept(logAlpha, rng);
    const next = new Float64Array(chains * W);
    for (let c = 0; c < chains; c++) {
      const src = acc[c] ? proposal : state;
      next.set(src.subarray(c * W, (c + 1) * W), c * W);
      accepted[s * chains + c] = acc[c]!;
      nAcc += acc[c]!;
    }
    state = next;
    samples.set(state, s * chains * W);
    opts.onStep?.(s + 1, nAcc);
  }
  return { samples, acceptance: nAcc / (steps * chains), accepted };
}

/** Options of `hmcKernel`. */
export interface HMCOptions {
  /** Degrees of freedom per chain. */
  dim: number;
  /** S(q) per chain [C] of q [C, dim] (consumes q). */
  action: (q: JArray) => JArray;
  /** ∂S/∂q [C, dim] (consumes q). */
  force: (q: JArray) => JArray;
  /** Leapfrog step size and steps per trajectory. */
  dt: number;
  leapfrogSteps: number;
  /** Engine dtype and device of the trajectories (default float64 on the default device). */
  dtype?: "float32" | "float64";
  device?: Device;
}

/**
 * HMC proposal: p ~ N(0, I), `leapfrogSteps` Störmer–Verlet steps of H = S(q) + ½|p|² (the
 * integrator of ../physics), log α = H(q, p) − H(q', p'). One jit per trajectory. Call
 * `dispose()` to release the compiled trajectory.
 */
export function hmcKernel(o: HMCOptions): MHKernel & { dispose(): void } {
  if (!(Number.isInteger(o.leapfrogSteps) && o.leapfrogSteps >= 1))
    throw new ConfigError(`hmcKernel: leapfrogSteps must be a positive integer, got ${o.leapfrogSteps}`);
  if (!(o.dt > 0)) throw new ConfigError(`hmcKernel: dt must be > 0, got ${o.dt}`);
  const D = o.dim;
  const dtype = o.dtype ?? "float64";
  const traj = jit((q: JArray, p: JArray) => {
    const h0 = o.action(q.ref).add(np.square(p.ref).sum(1).mul(0.5));
    const x = leapfrog({ dVdq: o.force, dTdp: (pp: JArray) => pp }, np.concatenate([q, p], 1), o.dt, o.leapfrogSteps, {
      syncEvery: 0,
    });
    const q1 = x.ref.slice([], [0, D]);
    const p1 = x.slice([], [D, 2 * D]);
    const h1 = o.action(q1.ref).add(np.square(p1).sum(1).mul(0.5));
    return [q1, h0.sub(h1)];
  });
  return {
    width: D,
    propose(state, chains, rng) {
      const q = fromHost(state, [chains, D], { dtype, device: o.device });
      const p = fromHost(hostNormal(chains * D, rng), [chains, D], { dtype, device: o.device });
      const [q1, la] = traj(q, p) as [JArray, JArray];
      return { proposal: toFloat64(q1), logAlpha: toFloat64(la) };
    },
    dispose: () => traj.dispose(),
  };
}

/**
 * Independence-sampler proposal from a stream of independent draws with log importance
 * weights log w = log p(x) − log q(x) (unnormalised target): rows are [x (dim), log w]; the
 * proposal row is the next draw and log α = log w' − log w. `next(n)` returns n fresh draws.
 */
export function independenceKernel(
  dim: number,
  next: (n: number) => { x: Float64Array; logw: Float64Array },
): MHKernel {
  return {
    width: dim + 1,
    propose(state, chains) {
      const { x, logw } = next(chains);
      const proposal = new Float64Array(chains * (dim + 1));
      const logAlpha = new Float64Array(chains);
      for (let c = 0; c < chains; c++) {
        proposal.set(x.subarray(c * dim, (c + 1) * dim), c * (dim + 1));
        proposal[c * (dim + 1) + dim] = logw[c]!;
        logAlpha[c] = logw[c]! - state[c * (dim + 1) + dim]!;
      }
      return { proposal, logAlpha };
    },
  };
}

/** A buffered `next(n)` for `independenceKernel` over a batch sampler `draw(batch)`. */
export function bufferedDraws(
  dim: number,
  batch: number,
  draw: (batch: number) => { x: Float64Array; logw: Float64Array },
): (n: number) => { x: Float64Array; logw: Float64Array } {
  let bx: Float64Array = new Float64Array(0);
  let bw: Float64Array = new Float64Array(0);
  let pos = 0;
  return (n) => {
    const x = new Float64Array(n * dim);
    const logw = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (pos >= bw.length) {
        ({ x: bx, logw: bw } = draw(batch));
        pos = 0;
      }
      x.set(bx.subarray(pos * dim, (pos + 1) * dim), i * dim);
      logw[i] = bw[pos]!;
      pos++;
    }
    return { x, logw };
  };
}

/** Columns [from, to) of rows of `width` numbers: [n · (to − from)]. */
export function columns(rows: Float64Array, width: number, from: number, to: number): Float64Array {
  const n = rows.length / width;
  const out = new Float64Array(n * (to - from));
  for (let i = 0; i < n; i++) out.set(rows.subarray(i * width + from, i * width + to), i * (to - from));
  return out;
}

/** Effective sample size per sample of importance weights: (Σw)² / (N Σw²) ∈ (0, 1], from log w. */
export function essPerSample(logw: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < logw.length; i++) max = Math.max(max, logw[i]!);
  if (!Number.isFinite(max)) return Number.NaN;
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < logw.length; i++) {
    const w = Math.exp(logw[i]! - max);
    s1 += w;
    s2 += w * w;
  }
  return (s1 * s1) / (logw.length * s2);
}

/**
 * Integrated autocorrelation time τ = ½ + Σ_{t=1}^{W} ρ(t) of a series, with Sokal's automatic
 * window (the smallest W ≥ c·τ(W), c = 5). τ = ½ for independent samples. NaN for a constant
 * series (a chain that never moved: no estimate).
 */
export function integratedAutocorrTime(series: ArrayLike<number>, c = 5): number {
  const n = series.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += series[i]!;
  mean /= n;
  let c0 = 0;
  for (let i = 0; i < n; i++) c0 += (series[i]! - mean) ** 2;
  c0 /= n;
  if (!(c0 > 0)) return Number.NaN;
  let tau = 0.5;
  for (let t = 1; t < n; t++) {
    let ct = 0;
    for (let i = 0; i + t < n; i++) ct += (series[i]! - mean) * (series[i + t]! - mean);
    tau += ct / n / c0;
    if (t >= c * tau) return tau;
  }
  return tau;
}

/**
 * Integrated autocorrelation time of several chains of equal length pooled: the
 * autocovariance at lag t is averaged over chains about the grand mean and normalised by the
 * pooled variance, then summed with Sokal's window as in `integratedAutocorrTime`. A chain stuck
 * at its own value (a frozen topological sector) then counts as maximally correlated instead of
 * giving no estimate; NaN only when every number of every chain is the same. One chain gives
 * `integratedAutocorrTime`'s value.
 */
export function integratedAutocorrTimeChains(chains: ArrayLike<number>[], c = 5): number {
  if (chains.length === 0) throw new ConfigError("integratedAutocorrTimeChains: expected at least one chain, got none");
  const n = chains[0]!.length;
  if (chains.some((s) => s.length !== n))
    throw new ConfigError(
      `integratedAutocorrTimeChains: chains must have equal lengths, got [${chains.map((s) => s.length).join(", ")}]`,
    );
  let mean = 0;
  for (const s of chains) for (let i = 0; i < n; i++) mean += s[i]!;
  mean /= n * chains.length;
  const cov = (t: number) => {
    let acc = 0;
    for (const s of chains) for (let i = 0; i + t < n; i++) acc += (s[i]! - mean) * (s[i + t]! - mean);
    return acc / (n * chains.length);
  };
  const c0 = cov(0);
  if (!(c0 > 0)) return Number.NaN;
  let tau = 0.5;
  for (let t = 1; t < n; t++) {
    tau += cov(t) / c0;
    if (t >= c * tau) return tau;
  }
  return tau;
}
