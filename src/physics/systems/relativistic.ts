/** A relativistic particle in a potential (Cranmer et al. 2020): L = −mc²√(1 − q̇²/c²) − V(q). */
import { grad, numpy as np, type Array as JArray } from "../../jax.js";
import { ConfigError } from "../../core/errors.js";
import { fromHost, toFloat64 } from "../../core/host.js";
import { checkBatch, checkHost, checkParam, cols, type PhysicalSystem } from "./system.js";

/** A potential V(q) on n-dimensional positions, batched for jax-js and optionally on the host. */
export interface Potential {
  readonly name: string;
  /** V(q): [B, n] → [B]. */
  V(q: JArray): JArray;
  /** ∇V(q): [B, n] → [B, n]; default: autodiff of V. */
  gradV?(q: JArray): JArray;
  /** Host V of one position (length n); needed for `energyHost`. */
  hostV?(q: ArrayLike<number>): number;
  /** Host ∇V of one position into `out`; without it `fieldHost` evaluates the jax-js field on `cpu`. */
  hostGradV?(q: ArrayLike<number>, out: Float64Array): void;
}

/** Harmonic potential V(q) = k |q|²/2 (k > 0 explicit). */
export function harmonicPotential(k: number): Potential {
  checkParam("harmonicPotential", "k", k);
  return {
    name: `harmonic(k=${k})`,
    V: (q) => np.sum(np.square(q), -1).mul(k / 2),
    gradV: (q) => q.mul(k),
    hostV: (q) => {
      let s = 0;
      for (let i = 0; i < q.length; i++) s += q[i]! * q[i]!;
      return (k / 2) * s;
    },
    hostGradV: (q, out) => {
      for (let i = 0; i < q.length; i++) out[i] = k * q[i]!;
    },
  };
}

export interface RelativisticParams {
  /** Rest mass m (default 1). */
  m?: number;
  /** Speed of light c (default 1). */
  c?: number;
  /** Spatial dimension n (default 1). */
  dof?: number;
  /** Potential V(q) (default harmonicPotential(1)). */
  potential?: Potential;
}

/**
 * Relativistic particle in a potential, x = [q, q̇] with |q̇| < c:
 * L = −m c² √(1 − |q̇|²/c²) − V(q); E = γ m c² + V(q), γ = 1/√(1 − |q̇|²/c²);
 * q̈ = (F − (F·q̇) q̇ / c²) / (γ m), F = −∇V. With c = 1: the LNN paper's L = −m√(1 − q̇²) − V(q).
 * States with |q̇| ≥ c have no real L: the jax-js functions return NaN, the host ones throw.
 */
export function relativisticParticle(
  params: RelativisticParams = {},
): PhysicalSystem & { readonly potential: Potential } {
  const name = "relativistic-particle";
  const m = checkParam(name, "m", params.m ?? 1);
  const c = checkParam(name, "c", params.c ?? 1);
  const n = params.dof ?? 1;
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${name}: dof must be a positive integer, got ${n}`);
  const pot = params.potential ?? harmonicPotential(1);
  const c2 = c * c;
  const gradV = (q: JArray): JArray => (pot.gradV ? pot.gradV(q) : grad((qq: JArray) => np.sum(pot.V(qq)))(q));
  /** √(1 − |v|²/c²): [B, n] → [B, 1]. */
  const invGamma = (v: JArray): JArray =>
    np.sqrt(
      np
        .sum(np.square(v), -1, { keepdims: true })
        .mul(-1 / c2)
        .add(1),
    );
  const speedCheck = (what: string, x: ArrayLike<number>): number => {
    let v2 = 0;
    for (let i = n; i < 2 * n; i++) v2 += x[i]! * x[i]!;
    if (!(v2 < c2)) throw new ConfigError(`${what}: speed |q̇| = ${Math.sqrt(v2)} must be below c = ${c}`);
    return v2;
  };
  const system: PhysicalSystem & { readonly potential: Potential } = {
    name,
    dof: n,
    dim: 2 * n,
    coordinates: "velocity",
    params: { m, c, dof: n },
    layout: n === 1 ? "[q, q̇]" : `[q (${n}), q̇ (${n})]`,
    potential: pot,
    lagrangian(q, qdot) {
      checkBatch(`${name}.lagrangian: q`, q, n);
      checkBatch(`${name}.lagrangian: qdot`, qdot, n);
      return np
        .sum(invGamma(qdot), -1)
        .mul(-m * c2)
        .sub(pot.V(q));
    },
    energy(x) {
      checkBatch(`${name}.energy: x`, x, 2 * n);
      const q = cols(x.ref, 0, n);
      const v = cols(x, n, 2 * n);
      return np
        .sum(np.reciprocal(invGamma(v)), -1)
        .mul(m * c2)
        .add(pot.V(q));
    },
    field(x) {
      checkBatch(`${name}.field: x`, x, 2 * n);
      const q = cols(x.ref, 0, n);
      const v = cols(x, n, 2 * n);
      const F = gradV(q).neg();
      const vF = np.sum(v.ref.mul(F.ref), -1, { keepdims: true });
      const a = F.sub(v.ref.mul(vF).mul(1 / c2))
        .mul(invGamma(v.ref))
        .mul(1 / m);
      return np.concatenate([v, a], -1);
    },
    fieldHost(x, dx) {
      const v2 = speedCheck(`${name}.fieldHost`, x);
      const F = new Float64Array(n);
      if (pot.hostGradV) {
        pot.hostGradV(Array.prototype.slice.call(x, 0, n) as number[], F);
      } else {
        const out = toFloat64(system.field(fromHost(x, [1, 2 * n], { dtype: "float64", device: "cpu" })));
        dx.set(out);
        return;
      }
      let vF = 0;
      for (let i = 0; i < n; i++) vF += x[n + i]! * -F[i]!;
      const ig = Math.sqrt(1 - v2 / c2);
      for (let i = 0; i < n; i++) {
        dx[i] = x[n + i]!;
        dx[n + i] = ((-F[i]! - (vF * x[n + i]!) / c2) * ig) / m;
      }
    },
    energyHost(x) {
      checkHost(`${name}.energyHost`, x, 2 * n);
      const v2 = speedCheck(`${name}.energyHost`, x);
      if (!pot.hostV) throw new ConfigError(`${name}.energyHost: the potential ${pot.name} has no hostV`);
      return (m * c2) / Math.sqrt(1 - v2 / c2) + pot.hostV(Array.prototype.slice.call(x, 0, n) as number[]);
    },
  };
  return system;
}
