/**
 * U(1) lattice gauge theory in two dimensions (Kanwar et al. 2020): link angles θ [B, 2, L, L]
 * (θ[b, μ, i, j] on the link from site (i, j) in direction μ; μ = 0 along i, μ = 1 along j,
 * periodic), plaquettes P(x) = θ₀(x) + θ₁(x+0̂) − θ₀(x+1̂) − θ₁(x), the Wilson action
 * S = −β Σ_x cos P(x), the topological charge Q = (1/2π) Σ_x wrap(P(x)), gauge transformations
 * θ_μ(x) → α(x) + θ_μ(x) − α(x+μ̂), the exact ⟨cos P⟩ of the finite periodic lattice from
 * Z = Σ_n I_n(β)^V, and gauge-equivariant coupling layers: a plaquette coupling (mixtures of the
 * non-compact-projection maps on the circle, conditioned on frozen plaquettes — gauge invariant)
 * whose change of an active plaquette is carried by exactly one active link.
 */
import { nn, numpy as np, type Array as JArray } from "../jax.js";
import { ConfigError } from "../core/errors.js";
import { fromHost, placementOf } from "../core/host.js";
import type { Params } from "../core/tree.js";
import { chain, checkEvent, type Flow } from "./bijector.js";
import { periodicConvNet, type ConvNetParams } from "./coupling.js";

const TWO_PI = 2 * Math.PI;

/** x mod 2π in [0, 2π), as x − 2π⌊x/2π⌋ (np.remainder is jitted inside jax-js, which rounds its constant 2π to float32). Consumes x. */
function mod2pi(x: JArray): JArray {
  return x.ref.sub(np.floor(x.mul(1 / TWO_PI)).mul(TWO_PI));
}

/** Throws a ConfigError unless β is finite and > 0. */
export function checkBeta(what: string, beta: number): void {
  if (!(Number.isFinite(beta) && beta > 0))
    throw new ConfigError(`${what}: β must be a finite number > 0, got ${beta}`);
}

/** Plaquette angles P [B, L, L] of links θ [B, 2, L, L] (consumes θ; not wrapped). */
export function plaquettes(theta: JArray): JArray {
  const t0 = theta.ref.slice([], 0);
  const t1 = theta.slice([], 1);
  return t0.ref
    .add(np.roll(t1.ref, -1, 1))
    .sub(np.roll(t0, -1, 2))
    .sub(t1);
}

/** Wilson action S = −β Σ_x cos P(x) per sample [B] (consumes θ). */
export function wilsonAction(beta: number, theta: JArray): JArray {
  const B = theta.shape[0]!;
  return np.cos(plaquettes(theta)).reshape([B, -1]).sum(1).mul(-beta);
}

/** ∂S/∂θ [B, 2, L, L] (consumes θ): β(sin P(x) − sin P(x−1̂)) for μ = 0, β(sin P(x−0̂) − sin P(x)) for μ = 1. */
export function wilsonForce(beta: number, theta: JArray): JArray {
  const s = np.sin(plaquettes(theta));
  const f0 = s.ref.sub(np.roll(s.ref, 1, 2));
  const f1 = np.roll(s.ref, 1, 1).sub(s);
  return np.stack([f0, f1], 1).mul(beta);
}

/** Host plaquettes of one configuration θ [2·L·L] → [L·L]. */
export function plaquettesHost(theta: ArrayLike<number>, L: number): Float64Array {
  const V = L * L;
  const P = new Float64Array(V);
  for (let i = 0; i < L; i++) {
    for (let j = 0; j < L; j++) {
      const ip = (i + 1) % L;
      const jp = (j + 1) % L;
      P[i * L + j] = theta[i * L + j]! + theta[V + ip * L + j]! - theta[i * L + jp]! - theta[V + i * L + j]!;
    }
  }
  return P;
}

/** Wraps an angle to [−π, π). */
export function wrapAngle(a: number): number {
  return a - TWO_PI * Math.floor((a + Math.PI) / TWO_PI);
}

/** Topological charge Q = (1/2π) Σ_x wrap(P(x)) of host configurations [n · 2L²] → [n] (integers up to rounding). */
export function topologicalCharge(theta: ArrayLike<number>, L: number): Float64Array {
  const D = 2 * L * L;
  const n = theta.length / D;
  const out = new Float64Array(n);
  for (let b = 0; b < n; b++) {
    const P = plaquettesHost(Array.prototype.slice.call(theta, b * D, (b + 1) * D) as number[], L);
    let q = 0;
    for (const p of P) q += wrapAngle(p);
    out[b] = Math.round((q / TWO_PI) * 1e9) / 1e9;
  }
  return out;
}

/** Mean cos P per configuration of host samples [n · 2L²] → [n]. */
export function meanPlaquette(theta: ArrayLike<number>, L: number): Float64Array {
  const D = 2 * L * L;
  const n = theta.length / D;
  const out = new Float64Array(n);
  for (let b = 0; b < n; b++) {
    const P = plaquettesHost(Array.prototype.slice.call(theta, b * D, (b + 1) * D) as number[], L);
    let s = 0;
    for (const p of P) s += Math.cos(p);
    out[b] = s / P.length;
  }
  return out;
}

/** Gauge transformation of θ [B, 2, L, L] by α [B, L, L]: θ_μ(x) + α(x) − α(x+μ̂). Consumes both. */
export function gaugeTransform(theta: JArray, alpha: JArray): JArray {
  const d0 = alpha.ref.sub(np.roll(alpha.ref, -1, 1));
  const d1 = alpha.ref.sub(np.roll(alpha, -1, 2));
  return theta.add(np.stack([d0, d1], 1));
}

/** Modified Bessel function I_n(β) = (1/π) ∫₀^π e^{β cos t} cos(nt) dt, times e^{−β} (trapezoid rule, spectrally exact). */
function besselIScaled(n: number, beta: number, points = 2048): number {
  let s = 0;
  for (let k = 0; k <= points; k++) {
    const t = (Math.PI * k) / points;
    const w = k === 0 || k === points ? 0.5 : 1;
    s += w * Math.exp(beta * (Math.cos(t) - 1)) * Math.cos(n * t);
  }
  return s / points;
}

/**
 * Exact ⟨cos P⟩ of 2-D U(1) on a periodic lattice of V plaquettes: (1/V) ∂_β log Z with
 * Z = Σ_n I_n(β)^V, i.e. Σ_n I_n^{V−1} (I_{n−1} + I_{n+1})/2 / Σ_n I_n^V (→ I₁/I₀ as V → ∞).
 */
export function u1PlaquetteExact(beta: number, V: number): number {
  checkBeta("u1PlaquetteExact", beta);
  const N = Math.ceil(10 + 3 * beta);
  const I = new Float64Array(2 * N + 3);
  for (let n = -N - 1; n <= N + 1; n++) I[n + N + 1] = besselIScaled(Math.abs(n), beta);
  const at = (n: number) => I[n + N + 1]!;
  const i0 = at(0);
  let num = 0;
  let den = 0;
  for (let n = -N; n <= N; n++) {
    const r = at(n) / i0;
    num += r ** (V - 1) * ((at(n - 1) + at(n + 1)) / 2 / i0);
    den += r ** V;
  }
  return num / den;
}

// ---------------------------------------------------------------------------------------------
// Gauge-equivariant couplings

/** Host masks of one coupling (L % 4 === 0): active links [2·L·L], and frozen / active plaquettes [L·L]. */
export function u1Masks(
  L: number,
  mu: 0 | 1,
  off: number,
): { link: Float64Array; frozen: Float64Array; active: Float64Array } {
  const V = L * L;
  const link = new Float64Array(2 * V);
  const frozen = new Float64Array(V);
  const active = new Float64Array(V);
  for (let i = 0; i < L; i++) {
    for (let j = 0; j < L; j++) {
      const c = mu === 0 ? j : i; // the coordinate across the stripes
      const r = (((c - off) % 4) + 4) % 4;
      if (r === 0) {
        link[mu * V + i * L + j] = 1;
        active[i * L + j] = 1;
      }
      if (r === 1 || r === 2) frozen[i * L + j] = 1;
    }
  }
  return { link, frozen, active };
}

/** 2 atan(e^s tan(x/2)) mod 2π: a monotone bijection of [0, 2π) (Rezende et al. 2020's NCP map). */
function tanTransform(x: JArray, s: JArray): JArray {
  return mod2pi(np.atan(np.exp(s).mul(np.tan(x.mul(0.5)))).mul(2));
}

/** log of its derivative: −log(e^{−s} cos²(x/2) + e^{s} sin²(x/2)). */
function tanTransformLogJ(x: JArray, s: JArray): JArray {
  const h = x.mul(0.5);
  return np
    .log(
      np
        .exp(s.ref.neg())
        .mul(np.square(np.cos(h.ref)))
        .add(np.exp(s).mul(np.square(np.sin(h)))),
    )
    .neg();
}

/** Options of `u1Flow`. */
export interface U1FlowOptions {
  L: number;
  /** Couplings (default 8: both directions × four offsets). */
  couplings?: number;
  /** Mixture components of the circle map (default 2). */
  components?: number;
  /** Conv hidden channels (default [8, 8]) and kernel (default 3). */
  hidden?: number[];
  kernel?: number;
  /**
   * "plaquettes" (default): gauge-equivariant, as Kanwar et al.; "links": the non-equivariant
   * control — the same circle maps applied to the active links, conditioned on the other links.
   */
  conditionOn?: "plaquettes" | "links";
}

/** One coupling of `u1Flow` (see the module comment). Inverse by bisection (60 halvings) of the monotone circle map. */
export function u1Coupling(o: U1FlowOptions & { mu: 0 | 1; off: number }): Flow<ConvNetParams> {
  const L = o.L;
  if (!(Number.isInteger(L) && L >= 4 && L % 4 === 0))
    throw new ConfigError(`u1Coupling: the stripe masks repeat every 4 sites; L must be a multiple of 4, got L = ${L}`);
  const K = o.components ?? 2;
  const byLinks = (o.conditionOn ?? "plaquettes") === "links";
  const net = periodicConvNet(byLinks ? 4 : 2, K + 1, {
    hidden: o.hidden ?? [8, 8],
    kernel: o.kernel ?? 3,
    finalTanh: false,
  });
  const masks = u1Masks(L, o.mu, o.off);
  const V = L * L;
  const sign = o.mu === 0 ? 1 : -1;
  const ev = [2, L, L];
  // Link-active mask of component μ as a [L·L] map.
  const linkMu = masks.link.subarray(o.mu * V, (o.mu + 1) * V);
  const activeHost = byLinks ? linkMu : masks.active;
  const frozenLinks = Float64Array.from(masks.link, (v) => 1 - v);
  const c = (v: Float64Array, shape: number[], like: JArray) => fromHost(v, shape, placementOf(like));

  /** [s (K, B, L, L), t (B, L, L)] from the conditioning input of θ (borrowed as θ.ref by the caller). */
  const conditioner = (params: ConvNetParams, theta: JArray): [JArray, JArray] => {
    const B = theta.shape[0]!;
    let inp: JArray;
    if (byLinks) {
      const fl = theta.mul(c(frozenLinks, [1, 2, L, L], theta)); // [B, 2, L, L]
      const t = np.transpose(fl, [1, 0, 2, 3]); // [2, B, L, L]
      inp = np.concatenate([np.cos(t.ref), np.sin(t)], 0);
    } else {
      const fp = plaquettes(theta.ref).mul(c(masks.frozen, [1, L, L], theta)); // [B, L, L]
      inp = np.stack([np.cos(fp.ref), np.sin(fp)], 0);
      theta.dispose();
    }
    const h = net.apply(params, inp.reshape([inp.shape[0]!, B, L, L]));
    return [h.ref.slice([0, K]), h.slice(K)];
  };
  /** The angle the circle map acts on, wrapped to [0, 2π): the active plaquette or link. */
  const target = (theta: JArray): JArray => mod2pi(byLinks ? theta.slice([], o.mu) : plaquettes(theta));
  /** Links θ + sign·Δ on the active links (Δ [B, L, L] the change of the target angle), wrapped. */
  const update = (theta: JArray, delta: JArray, dir: 1 | -1): JArray => {
    const d = delta.mul((byLinks ? 1 : sign) * dir);
    const zero = np.zeros(d.shape, placementOf(d));
    const full = o.mu === 0 ? np.stack([d, zero], 1) : np.stack([zero, d], 1);
    const lm = c(masks.link, [1, 2, L, L], theta);
    const moved = mod2pi(theta.ref.add(full));
    return moved.mul(lm.ref).add(theta.mul(np.ones(lm.shape, placementOf(lm)).sub(lm)));
  };
  const mixture = (x: JArray, s: JArray): JArray => {
    let acc: JArray | null = null;
    for (let k = 0; k < K; k++) {
      const v = tanTransform(x.ref, s.ref.slice(k));
      acc = acc === null ? v : acc.add(v);
    }
    x.dispose();
    s.dispose();
    return acc!.mul(1 / K);
  };
  const mixtureLogJ = (x: JArray, s: JArray): JArray => {
    const parts: JArray[] = [];
    for (let k = 0; k < K; k++) parts.push(tanTransformLogJ(x.ref, s.ref.slice(k)));
    x.dispose();
    s.dispose();
    return nn.logmeanexp(np.stack(parts, 0), 0);
  };
  const name = `u1Coupling(${byLinks ? "links" : "plaquettes"}, μ=${o.mu}, off=${o.off})`;
  return {
    name,
    eventShape: ev,
    init: (key) => net.init(key),
    forward(params, theta) {
      checkEvent(name, theta, ev, params);
      const B = theta.shape[0]!;
      const [s, t] = conditioner(params, theta.ref);
      const x = target(theta.ref);
      const am = c(activeHost, [1, L, L], theta);
      const logJ = mixtureLogJ(x.ref, s.ref).mul(am.ref).reshape([B, V]).sum(1);
      const y = mod2pi(mixture(x.ref, s).add(t));
      const delta = y.sub(x).mul(am);
      return [update(theta, delta, 1), logJ];
    },
    inverse(params, theta) {
      checkEvent(`${name}.inverse`, theta, ev, params);
      const B = theta.shape[0]!;
      const [s, t] = conditioner(params, theta.ref);
      const y = target(theta.ref);
      const goal = mod2pi(y.ref.sub(t));
      let lo = np.zeros(goal.shape, placementOf(goal));
      let hi = np.full(goal.shape, TWO_PI, placementOf(goal));
      for (let it = 0; it < 60; it++) {
        const mid = lo.ref.add(hi.ref).mul(0.5);
        const below = np.less(mixture(mid.ref, s.ref), goal.ref);
        lo = np.where(below.ref, mid.ref, lo);
        hi = np.where(below, hi, mid);
      }
      goal.dispose();
      const x = lo.add(hi).mul(0.5);
      const am = c(activeHost, [1, L, L], theta);
      const logJ = mixtureLogJ(x.ref, s).mul(am.ref).reshape([B, V]).sum(1).neg();
      const delta = y.sub(x).mul(am);
      return [update(theta, delta, -1), logJ];
    },
  };
}

/** The U(1) flow: couplings i = 0 … n−1 with μ = i mod 2 and stripe offset ⌊i/2⌋ mod 4 (L a multiple of 4). */
export function u1Flow(o: U1FlowOptions): Flow<Params[]> {
  const n = o.couplings ?? 8;
  if (!(Number.isInteger(n) && n >= 1)) throw new ConfigError(`u1Flow: couplings must be a positive integer, got ${n}`);
  const layers: Flow<Params>[] = [];
  for (let i = 0; i < n; i++)
    layers.push(u1Coupling({ ...o, mu: (i % 2) as 0 | 1, off: Math.floor(i / 2) % 4 }) as unknown as Flow<Params>);
  return chain(layers, `u1Flow(${o.conditionOn ?? "plaquettes"}, ${n} couplings)`);
}
