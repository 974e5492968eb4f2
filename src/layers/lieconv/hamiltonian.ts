/**
 * Hamiltonian LieConv (Finzi et al. 2020, §5): H(q, p) = Σᵢ |pᵢ|²/(2mᵢ) + V(q), with the potential
 * V a LieConv network of the particle positions (values: per-particle system features such as
 * masses and spring constants). V is invariant to the chosen group, so by Noether's theorem the
 * matching momentum is conserved: T(d) → total linear momentum Σpᵢ, SO(2) → angular momentum
 * Σ qᵢ × pᵢ. With the kinetic term exactly quadratic the Hamiltonian is separable and the
 * Störmer–Verlet (leapfrog) integrator conserves both exactly (each kick and drift does), so a
 * float64 rollout keeps them to rounding error.
 *
 * States x [B, 2·n·d] are positions then momenta, particle-major: [q₀, q₁, …, p₀, p₁, …].
 * System features sys [B, n, f] and inverse masses [B, n·d] (each mass repeated d times) are
 * borrowed by every function here.
 */
import { grad, jit, numpy as np, tree, type Array as JArray } from "../../jax.js";
import { NonFiniteError, ShapeError, fmtShape } from "../../core/errors.js";
import { toFloat64 } from "../../core/host.js";
import { leapfrogStep, rk4Step } from "../../physics/integrators.js";
import type { Params } from "../../core/tree.js";
import type { SeparableSplit } from "../../physics/systems/system.js";
import { lieConvNet, type LieConvNet, type LieConvNetOptions, type LieConvNetParams } from "./conv.js";
import type { LieConvGroup } from "./groups.js";

/** What the dynamics of n particles in ℝᵈ need besides the state: per-particle features and inverse masses (borrowed). */
export interface ParticleSystem {
  /** Features [B, n, f] (the potential network's values). */
  feats: JArray;
  /** 1/mᵢ repeated per coordinate, [B, n·d]. */
  invMass: JArray;
}

/** Options of `hLieConv`: those of `lieConvNet` except its in/out sizes. */
export interface HLieConvOptions extends Omit<LieConvNetOptions, "inChannels" | "outSize"> {
  /** Particles n. */
  particles: number;
  /** Features f per particle. */
  features: number;
}

/** A Hamiltonian LieConv model. */
export interface HLieConv {
  readonly group: LieConvGroup;
  readonly net: LieConvNet;
  readonly particles: number;
  init(key: JArray): LieConvNetParams;
  /** V(q) [B] from positions q [B, n·d] (params and q consumed; sys borrowed). */
  potential(params: LieConvNetParams, q: JArray, sys: ParticleSystem): JArray;
  /** H(x) = Σ|p|²/2m + V(q), [B] (params and x consumed). */
  hamiltonian(params: LieConvNetParams, x: JArray, sys: ParticleSystem): JArray;
  /** ∂V/∂q [B, n·d] by autodiff (params and q consumed; params captured by closure so that an outer grad reaches them). */
  dVdq(params: LieConvNetParams, q: JArray, sys: ParticleSystem): JArray;
  /** dx/dt = [p/m, −∂V/∂q] (params and x consumed). */
  field(params: LieConvNetParams, x: JArray, sys: ParticleSystem): JArray;
  /** The separable split for `leapfrogStep` (params borrowed: keep them alive while it is used). */
  split(params: LieConvNetParams, sys: ParticleSystem): SeparableSplit;
}

/** Builds a Hamiltonian LieConv for n particles in ℝ^group.d with f features each. */
export function hLieConv(group: LieConvGroup, opts: HLieConvOptions): HLieConv {
  const n = opts.particles;
  const d = group.d;
  const nd = n * d;
  const net = lieConvNet(group, { ...opts, nbhd: opts.nbhd ?? n, inChannels: opts.features, outSize: 1 });
  const checkX = (who: string, x: JArray, width: number, params: Params) => {
    if (x.ndim !== 2 || x.shape[1] !== width) {
      const s = x.shape;
      x.dispose();
      tree.dispose(params);
      throw new ShapeError(`${who}: expected [B, ${width}] for ${n} particles in ℝ^${d}, got ${fmtShape(s)}`);
    }
  };
  const potential = (params: LieConvNetParams, q: JArray, sys: ParticleSystem): JArray => {
    checkX("hLieConv.potential", q, nd, params);
    const B = q.shape[0]!;
    return net.apply(params, { points: q.reshape([B, n, d]), values: sys.feats.ref }).reshape([B]);
  };
  const dVdq = (params: LieConvNetParams, q: JArray, sys: ParticleSystem): JArray => {
    const g = grad((qq: JArray) => np.sum(potential(tree.ref(params), qq, sys)))(q);
    tree.dispose(params);
    return g;
  };
  return {
    group,
    net,
    particles: n,
    init: (key) => net.init(key),
    potential,
    dVdq,
    hamiltonian(params, x, sys) {
      checkX("hLieConv.hamiltonian", x, 2 * nd, params);
      const p = x.ref.slice([], [nd, 2 * nd]);
      const T = np.sum(p.ref.mul(p).mul(sys.invMass.ref), -1).mul(0.5);
      return T.add(potential(params, x.slice([], [0, nd]), sys));
    },
    field(params, x, sys) {
      checkX("hLieConv.field", x, 2 * nd, params);
      const dq = x.ref.slice([], [nd, 2 * nd]).mul(sys.invMass.ref);
      const dp = dVdq(params, x.slice([], [0, nd]), sys).neg();
      return np.concatenate([dq, dp], 1);
    },
    split(params, sys) {
      return {
        dTdp: (p) => p.mul(sys.invMass.ref),
        dVdq: (q) => dVdq(tree.ref(params), q, sys),
      };
    },
  };
}

/** Options of `rolloutHLieConv`. */
export interface HRolloutOptions {
  dt: number;
  steps: number;
  /** "leapfrog" (default; conserves the momenta of an invariant V exactly) or "rk4". */
  method?: "leapfrog" | "rk4";
}

/**
 * Integrates a Hamiltonian LieConv from x0 [B, 2nd] (consumed; params and sys borrowed), one
 * `jit`-compiled step per record, and returns the states [B, steps + 1, 2nd] on the host. Throws a
 * NonFiniteError naming the step if a state is not finite.
 */
export function rolloutHLieConv(
  model: HLieConv,
  params: LieConvNetParams,
  x0: JArray,
  sys: ParticleSystem,
  opts: HRolloutOptions,
): Float64Array {
  const [B, D] = x0.shape as [number, number];
  const method = opts.method ?? "leapfrog";
  const step = jit((p: LieConvNetParams, x: JArray, feats: JArray, invMass: JArray) => {
    const s = { feats, invMass };
    const out =
      method === "leapfrog"
        ? leapfrogStep(model.split(p, s), x, opts.dt)
        : rk4Step((xx) => model.field(tree.ref(p), xx, s), x, opts.dt);
    tree.dispose([p, feats, invMass]);
    return out;
  });
  const T = opts.steps + 1;
  const out = new Float64Array(B * T * D);
  let x = x0;
  const put = (h: Float64Array, t: number) => {
    for (let b = 0; b < B; b++) out.set(h.subarray(b * D, (b + 1) * D), (b * T + t) * D);
  };
  try {
    put(toFloat64(x.ref), 0);
    for (let t = 1; t < T; t++) {
      x = step(tree.ref(params), x, sys.feats.ref, sys.invMass.ref) as JArray;
      const h = toFloat64(x.ref);
      const bad = h.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0)
        throw new NonFiniteError(`rolloutHLieConv: non-finite state at step ${t} (trajectory ${Math.floor(bad / D)})`);
      put(h, t);
    }
  } finally {
    x.dispose();
    step.dispose();
  }
  return out;
}

/** Total linear momentum Σᵢ pᵢ [d] of host states x [2·n·d] (positions then momenta). */
export function linearMomentumHost(x: ArrayLike<number>, n: number, d: number): Float64Array {
  const P = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let a = 0; a < d; a++) P[a] = P[a]! + x[n * d + i * d + a]!;
  return P;
}

/** Total angular momentum Σᵢ qᵢ × pᵢ of host planar states x [4n] (positions then momenta). */
export function angularMomentumHost(x: ArrayLike<number>, n: number): number {
  let L = 0;
  for (let i = 0; i < n; i++) L += x[2 * i]! * x[2 * n + 2 * i + 1]! - x[2 * i + 1]! * x[2 * n + 2 * i]!;
  return L;
}
