/**
 * Scalar φ⁴ theory on an L×L periodic lattice (the convention of Albergo, Kanwar & Shanahan 2019
 * and the 2021 tutorial):
 *
 *   S(φ) = Σ_x [ Σ_μ φ_x (2φ_x − φ_{x+μ} − φ_{x−μ}) + m² φ_x² + λ φ_x⁴ ],
 *
 * its force ∂S/∂φ, the magnetisation M = Σ_x φ_x, the exact ⟨φ_x²⟩ of the free field (λ = 0,
 * m² > 0: a Gaussian with precision 2(−Δ + m²)), and the flows of the papers: 2·n affine
 * couplings with alternating checkerboard masks, conditioned by periodic conv nets (translation
 * equivariant, optionally Z2-equivariant) or by dense MLPs (the control).
 */
import { numpy as np, type Array as JArray } from "../jax.js";
import { ConfigError } from "../core/errors.js";
import { chain, checkEvent, type Flow } from "./bijector.js";
import {
  affineCoupling,
  checkerboard,
  checkEvenLattice,
  convConditioner,
  denseConditioner,
  type CouplingNet,
} from "./coupling.js";
import type { Params } from "../core/tree.js";

/** Couplings of the φ⁴ action. */
export interface Phi4Params {
  L: number;
  /** Bare mass squared (the papers: −4). */
  m2: number;
  /** Quartic coupling λ ≥ 0 (> 0 when m² ≤ 0: the action must be bounded below). */
  lambda: number;
}

/** Checks the theory is well defined: L ≥ 2 integer, λ ≥ 0, and λ > 0 unless m² > 0. */
export function checkPhi4(what: string, t: Phi4Params): void {
  if (!(Number.isInteger(t.L) && t.L >= 2)) throw new ConfigError(`${what}: L must be an integer ≥ 2, got ${t.L}`);
  if (!Number.isFinite(t.m2)) throw new ConfigError(`${what}: m² must be finite, got ${t.m2}`);
  if (!(Number.isFinite(t.lambda) && t.lambda >= 0))
    throw new ConfigError(`${what}: λ must be a finite number ≥ 0, got ${t.lambda}`);
  if (t.m2 <= 0 && !(t.lambda > 0))
    throw new ConfigError(
      `${what}: with m² = ${t.m2} ≤ 0 the action is unbounded below unless λ > 0, got λ = ${t.lambda}`,
    );
}

/** S(φ) per sample [B] of φ [B, L, L] (consumes φ). */
export function phi4Action(t: Phi4Params, phi: JArray): JArray {
  try {
    checkPhi4("phi4Action", t);
  } catch (e) {
    phi.dispose();
    throw e;
  }
  checkEvent("phi4Action", phi, [t.L, t.L]);
  const B = phi.shape[0]!;
  const nb = np.roll(phi.ref, -1, 1).add(np.roll(phi.ref, -1, 2));
  // Σ_μ φ_x(2φ_x − φ_{x+μ} − φ_{x−μ}) summed over x = Σ_x (4φ_x² − 2φ_x Σ_μ φ_{x+μ}).
  const phi2 = np.square(phi.ref);
  const dens = phi2.ref
    .mul(4 + t.m2)
    .add(np.square(phi2).mul(t.lambda))
    .sub(phi.mul(nb).mul(2));
  return dens.reshape([B, t.L * t.L]).sum(1);
}

/** ∂S/∂φ [B, L, L] of φ [B, L, L] (consumes φ): 2(4φ − Σ_μ(φ_{x+μ} + φ_{x−μ})) + 2m²φ + 4λφ³. */
export function phi4Force(t: Phi4Params, phi: JArray): JArray {
  const nb = np
    .roll(phi.ref, -1, 1)
    .add(np.roll(phi.ref, 1, 1))
    .add(np.roll(phi.ref, -1, 2))
    .add(np.roll(phi.ref, 1, 2));
  const cube = np.square(phi.ref).mul(phi.ref);
  return phi
    .mul(8 + 2 * t.m2)
    .sub(nb.mul(2))
    .add(cube.mul(4 * t.lambda));
}

/** S(φ) of one configuration on the host (float64), φ row-major L×L. */
export function phi4ActionHost(t: Phi4Params, phi: ArrayLike<number>): number {
  const L = t.L;
  let s = 0;
  for (let i = 0; i < L; i++) {
    for (let j = 0; j < L; j++) {
      const v = phi[i * L + j]!;
      const nb = phi[((i + 1) % L) * L + j]! + phi[i * L + ((j + 1) % L)]!;
      s += (4 + t.m2) * v * v + t.lambda * v ** 4 - 2 * v * nb;
    }
  }
  return s;
}

/** Exact ⟨φ_x²⟩ of the free field (λ = 0, m² > 0): (1/V) Σ_k 1 / (2(k̂² + m²)), k̂² = Σ_μ 4 sin²(k_μ/2). */
export function freeFieldPhi2(L: number, m2: number): number {
  if (!(m2 > 0)) throw new ConfigError(`freeFieldPhi2: the free field needs m² > 0, got ${m2}`);
  let s = 0;
  for (let a = 0; a < L; a++) {
    for (let b = 0; b < L; b++) {
      const k2 = 4 * Math.sin((Math.PI * a) / L) ** 2 + 4 * Math.sin((Math.PI * b) / L) ** 2;
      s += 1 / (2 * (k2 + m2));
    }
  }
  return s / (L * L);
}

/** Options of `phi4Flow`. */
export interface Phi4FlowOptions {
  L: number;
  /** Number of affine couplings (even; masks alternate; default 16, the tutorial's). */
  couplings?: number;
  /** Conditioner: "conv" (periodic convolutions, translation equivariant; default) or "dense" (MLP). */
  conditioner?: "conv" | "dense";
  /** Hidden sizes: conv channels (default [8, 8]) or MLP widths. */
  hidden?: number[];
  /** Conv kernel (default 3). */
  kernel?: number;
  /** Z2 symmetrisation of the conv conditioner (default true for "conv"). */
  z2?: boolean;
}

/**
 * The φ⁴ flow: `couplings` affine couplings with alternating checkerboard masks (even L). The
 * conv form commutes with the translations that keep the checkerboard (even shifts) and, with
 * `z2`, with φ → −φ.
 */
export function phi4Flow(o: Phi4FlowOptions): Flow<Params[]> {
  checkEvenLattice("phi4Flow", o.L);
  const n = o.couplings ?? 16;
  if (!(Number.isInteger(n) && n >= 1))
    throw new ConfigError(`phi4Flow: couplings must be a positive integer, got ${n}`);
  const kind = o.conditioner ?? "conv";
  const hidden = o.hidden ?? [8, 8];
  const ev = [o.L, o.L];
  const layers: Flow<Params>[] = [];
  for (let i = 0; i < n; i++) {
    const net: CouplingNet<Params> =
      kind === "conv"
        ? (convConditioner(o.L, { hidden, kernel: o.kernel ?? 3, z2: o.z2 ?? true }) as CouplingNet<Params>)
        : (denseConditioner(ev, hidden) as CouplingNet<Params>);
    layers.push(affineCoupling(ev, checkerboard(o.L, o.L, (i % 2) as 0 | 1), net, `coupling ${i}`));
  }
  return chain(layers, `phi4Flow(${kind}${kind === "conv" && (o.z2 ?? true) ? ", Z2" : ""}, ${n} couplings)`);
}

/** |M| = |Σ_x φ_x| per configuration of host samples [n·L²]. */
export function absMagnetisation(samples: ArrayLike<number>, L: number): Float64Array {
  const V = L * L;
  const n = samples.length / V;
  const out = new Float64Array(n);
  for (let b = 0; b < n; b++) {
    let m = 0;
    for (let i = 0; i < V; i++) m += samples[b * V + i]!;
    out[b] = Math.abs(m);
  }
  return out;
}

/** The two-point function at zero separation per configuration, G(0) = (1/V) Σ_x φ_x², of host samples [n·L²]. */
export function twoPointG0(samples: ArrayLike<number>, L: number): Float64Array {
  const V = L * L;
  const n = samples.length / V;
  const out = new Float64Array(n);
  for (let b = 0; b < n; b++) {
    let s = 0;
    for (let i = 0; i < V; i++) s += samples[b * V + i]! ** 2;
    out[b] = s / V;
  }
  return out;
}
