/**
 * Hamiltonian flows (Rezende et al. 2019, "Equivariant Hamiltonian Flows"): a density on phase
 * space z = (q, p) ∈ ℝ²ⁿ pushed from an isotropic Gaussian through a learned scaling and `steps`
 * Störmer–Verlet steps (../physics leapfrog, volume preserving) of a learned separable
 * Hamiltonian H = V(q) + T(p). With the "invariant" construction V and T are MLPs of the SO(2)
 * invariants |q|², |p|² (for q, p ∈ ℝ²) and the scaling is one scalar per block, so the flow
 * commutes with rotating q and p together and the density is SO(2)-invariant; "unconstrained"
 * feeds q and p themselves (the control, same depth and width).
 *
 * Gradients of V and T are written in closed form (one tanh hidden layer), so training is one
 * level of autodiff.
 */
import { numpy as np, random, type Array as JArray } from "../jax.js";
import { getFloatDtype, toDType } from "../core/engine.js";
import { ConfigError } from "../core/errors.js";
import { splitKey } from "../core/rng.js";
import { leapfrog } from "../physics/integrators.js";
import { checkEvent, type Flow } from "./bijector.js";

/** One tanh hidden layer, scalar output: u [B, d] → Σ_h w2_h tanh(u W1 + b1)_h. */
interface ScalarNet {
  [k: string]: JArray;
  w1: JArray;
  b1: JArray;
  w2: JArray;
}

/** ∂/∂u of the net at u [B, d] → [B, d] (consumes p and u): ((1 − h²) ⊙ w2ᵀ) W1ᵀ. */
function netGrad(p: ScalarNet, u: JArray): JArray {
  const h = np.tanh(np.matmul(u, p.w1.ref).add(p.b1));
  const g = np
    .ones(h.shape, { dtype: h.dtype, device: h.device })
    .sub(np.square(h))
    .mul(p.w2.reshape([1, -1]));
  return np.matmul(g, np.transpose(p.w1));
}

/** Parameters of a Hamiltonian flow. */
export interface HamiltonianFlowParams {
  [k: string]: JArray | ScalarNet;
  V: ScalarNet;
  T: ScalarNet;
  /** log-scales of q and p: [1] (invariant) or [2n] (unconstrained). */
  logScaleQ: JArray;
  logScaleP: JArray;
}

/** Options of `hamiltonianFlow`. */
export interface HamiltonianFlowOptions {
  /** Configuration dimension n (phase space 2n; the invariant form needs n = 2). */
  n?: number;
  construction: "invariant" | "unconstrained";
  hidden?: number;
  steps?: number;
  dt?: number;
}

/** The Hamiltonian flow on events [2n] = [q, p] (see the module comment). */
export function hamiltonianFlow(o: HamiltonianFlowOptions): Flow<HamiltonianFlowParams> {
  const n = o.n ?? 2;
  const inv = o.construction === "invariant";
  if (inv && n !== 2) throw new ConfigError(`hamiltonianFlow: the SO(2)-invariant form acts on q ∈ ℝ², got n = ${n}`);
  const H = o.hidden ?? 32;
  const steps = o.steps ?? 8;
  const dt = o.dt ?? 0.25;
  const din = inv ? 1 : n;
  const scaleSize = inv ? 1 : n;
  /** ∂/∂x of a net of x (via |x|² for the invariant form). */
  const grad = (p: ScalarNet, x: JArray): JArray => {
    if (!inv) return netGrad(p, x);
    const u = np.square(x.ref).sum(1, { keepdims: true });
    return x.mul(netGrad(p, u)).mul(2);
  };
  const flowMap = (params: HamiltonianFlowParams, z: JArray, dir: 1 | -1): [JArray, JArray] => {
    const B = z.shape[0]!;
    const { V, T, logScaleQ, logScaleP } = params;
    const split = {
      dVdq: (q: JArray) => grad({ w1: V.w1.ref, b1: V.b1.ref, w2: V.w2.ref }, q),
      dTdp: (p: JArray) => grad({ w1: T.w1.ref, b1: T.b1.ref, w2: T.w2.ref }, p),
    };
    const ldPerSample = logScaleQ.ref
      .sum()
      .mul(n / scaleSize)
      .add(logScaleP.ref.sum().mul(n / scaleSize));
    let out: JArray;
    if (dir === 1) {
      const q = z.ref.slice([], [0, n]).mul(np.exp(logScaleQ.reshape([1, -1])));
      const p = z.slice([], [n, 2 * n]).mul(np.exp(logScaleP.reshape([1, -1])));
      out = leapfrog(split, np.concatenate([q, p], 1), dt, steps, { syncEvery: 0 });
    } else {
      const x = leapfrog(split, z, -dt, steps, { syncEvery: 0 });
      const q = x.ref.slice([], [0, n]).mul(np.exp(logScaleQ.reshape([1, -1]).neg()));
      const p = x.slice([], [n, 2 * n]).mul(np.exp(logScaleP.reshape([1, -1]).neg()));
      out = np.concatenate([q, p], 1);
    }
    for (const net of [V, T]) for (const leaf of Object.values(net)) leaf.dispose();
    const ld = np.zeros([B], { dtype: out.dtype, device: out.device }).add(ldPerSample);
    return [out, dir === 1 ? ld : ld.neg()];
  };
  const name = `hamiltonianFlow(${o.construction}, ${steps} leapfrog steps)`;
  return {
    name,
    eventShape: [2 * n],
    init(key) {
      const dtype = toDType(getFloatDtype());
      const ks = splitKey(key, 6);
      const mk = (k1: JArray, k2: JArray, k3: JArray): ScalarNet => ({
        w1: random
          .normal(k1, [din, H])
          .mul(1 / Math.sqrt(din))
          .astype(dtype),
        b1: random.normal(k2, [H]).mul(0.5).astype(dtype),
        w2: random
          .normal(k3, [H])
          .mul(0.1 / Math.sqrt(H))
          .astype(dtype),
      });
      return {
        V: mk(ks[0]!, ks[1]!, ks[2]!),
        T: mk(ks[3]!, ks[4]!, ks[5]!),
        logScaleQ: np.zeros([scaleSize], { dtype }),
        logScaleP: np.zeros([scaleSize], { dtype }),
      };
    },
    forward(params, z) {
      checkEvent(name, z, [2 * n], params);
      return flowMap(params, z, 1);
    },
    inverse(params, x) {
      checkEvent(`${name}.inverse`, x, [2 * n], params);
      return flowMap(params, x, -1);
    },
  };
}

/** Rotates q and p of z [B, 4] together by angle a (consumes z): the SO(2) action on phase space. */
export function rotatePhaseSpace(a: number, z: JArray): JArray {
  const c = Math.cos(a);
  const s = Math.sin(a);
  const R = np.array(
    [
      [c, s, 0, 0],
      [-s, c, 0, 0],
      [0, 0, c, s],
      [0, 0, -s, c],
    ],
    { dtype: z.dtype, device: z.device },
  );
  return np.matmul(z, R);
}
