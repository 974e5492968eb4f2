/**
 * EMLP's synthetic regression tasks (Finzi, Welling, Wilson 2021), generated on the host in
 * float64 from a seeded generator. Each task names its group and representations and gives the
 * equivariance-preserving standardisation EMLP uses (one scale per vector, invariant targets
 * centred and scaled).
 *
 * - O(5) invariant: x1, x2 ~ N(0, I₅), y = sin‖x1‖ − ½‖x2‖³ + x1·x2/(‖x1‖‖x2‖); 2V → 1.
 * - O(3) inertia: 5 masses m = softplus(N(0,1)), positions r ~ N(0, I₃),
 *   y = Σᵢ mᵢ(‖rᵢ‖²I − rᵢrᵢᵀ) (9 outputs); x = [m₁…m₅, r₁…r₅]: 5·1 ⊕ 5V → V⊗V.
 * - Lorentz: four four-momenta p1…p4 ~ N(0, 1)/4, η = diag(1, −1, −1, −1), ⟨a, b⟩ = aᵀηb,
 *   Lₑ = p1 p3ᵀ − (⟨p1,p3⟩ − ⟨p1,p1⟩)η, L_μ = (ηp2)(ηp4)ᵀ − (⟨p2,p4⟩ − ⟨p2,p2⟩)η,
 *   y = 4 Σ_ab (Lₑ)_ab (L_μ)_ab (EMLP's ParticleInteraction, e–μ scattering); 4V → 1.
 */
import { hostNormal } from "../core/rng.js";

/** A generated data set: x [N, nIn], y [N, nOut] row-major float64. */
export interface SyntheticData {
  n: number;
  nIn: number;
  nOut: number;
  x: Float64Array;
  y: Float64Array;
}

/** Standardisation that commutes with the group: x ← x / xScale (per feature), y ← (y − yMean) / yStd. */
export interface Standardization {
  xScale: Float64Array;
  yMean: Float64Array;
  yStd: Float64Array;
}

const norm = (a: ArrayLike<number>, o: number, d: number) => {
  let s = 0;
  for (let i = 0; i < d; i++) s += a[o + i]! ** 2;
  return Math.sqrt(s);
};

/** The O(5)-invariant target at one sample x = [x1, x2] (10 values from offset o). */
export function o5Target(x: ArrayLike<number>, o = 0): number {
  const n1 = norm(x, o, 5);
  const n2 = norm(x, o + 5, 5);
  let dot = 0;
  for (let i = 0; i < 5; i++) dot += x[o + i]! * x[o + 5 + i]!;
  return Math.sin(n1) - 0.5 * n2 ** 3 + dot / (n1 * n2);
}

/** O(5) invariant task. */
export function o5Synthetic(n: number, rng: () => number): SyntheticData {
  const x = hostNormal(n * 10, rng);
  const y = new Float64Array(n);
  for (let k = 0; k < n; k++) y[k] = o5Target(x, k * 10);
  return { n, nIn: 10, nOut: 1, x, y };
}

/** O(3) inertia task (5 masses). */
export function inertia(n: number, rng: () => number, k = 5): SyntheticData {
  const nIn = 4 * k;
  const x = hostNormal(n * nIn, rng);
  const y = new Float64Array(n * 9);
  for (let s = 0; s < n; s++) {
    const o = s * nIn;
    for (let i = 0; i < k; i++) x[o + i] = Math.log1p(Math.exp(x[o + i]!));
    for (let i = 0; i < k; i++) {
      const m = x[o + i]!;
      const r = [x[o + k + 3 * i]!, x[o + k + 3 * i + 1]!, x[o + k + 3 * i + 2]!];
      const r2 = r[0]! ** 2 + r[1]! ** 2 + r[2]! ** 2;
      for (let a = 0; a < 3; a++)
        for (let b = 0; b < 3; b++) y[s * 9 + a * 3 + b]! += m * ((a === b ? r2 : 0) - r[a]! * r[b]!);
    }
  }
  return { n, nIn, nOut: 9, x, y };
}

const ETA = [1, -1, -1, -1];

/** The e–μ scattering amplitude at one sample x = [p1, p2, p3, p4] (16 values from offset o). */
export function particleAmplitude(x: ArrayLike<number>, o = 0): number {
  const mdot = (o1: number, o2: number) => {
    let s = 0;
    for (let a = 0; a < 4; a++) s += ETA[a]! * x[o1 + a]! * x[o2 + a]!;
    return s;
  };
  const [p1, p2, p3, p4] = [o, o + 4, o + 8, o + 12];
  const ce = mdot(p1, p3) - mdot(p1, p1);
  const cm = mdot(p2, p4) - mdot(p2, p2);
  let m = 0;
  for (let a = 0; a < 4; a++)
    for (let b = 0; b < 4; b++) {
      const eta = a === b ? ETA[a]! : 0;
      const le = x[p1 + a]! * x[p3 + b]! - ce * eta;
      const lm = ETA[a]! * x[p2 + a]! * ETA[b]! * x[p4 + b]! - cm * eta;
      m += le * lm;
    }
  return 4 * m;
}

/** Lorentz-invariant e–μ scattering amplitude task. */
export function particleInteraction(n: number, rng: () => number): SyntheticData {
  const x = hostNormal(n * 16, rng).map((v) => v / 4);
  const y = new Float64Array(n);
  for (let s = 0; s < n; s++) y[s] = particleAmplitude(x, s * 16);
  return { n, nIn: 16, nOut: 1, x, y };
}

/** The EMLP standardisations (computed on the training set). */
export function standardization(task: "o5" | "inertia" | "lorentz", d: SyntheticData): Standardization {
  const xScale = new Float64Array(d.nIn).fill(1);
  const yMean = new Float64Array(d.nOut);
  const yStd = new Float64Array(d.nOut).fill(1);
  if (task === "inertia") return { xScale, yMean, yStd };
  const dim = task === "o5" ? 5 : 4;
  const nv = d.nIn / dim;
  for (let v = 0; v < nv; v++) {
    let s = 0;
    for (let k = 0; k < d.n; k++)
      for (let a = 0; a < dim; a++) {
        const xv = d.x[k * d.nIn + v * dim + a]!;
        s += task === "o5" ? xv * xv : Math.abs(ETA[a]! * xv * xv);
      }
    const sc = Math.sqrt(s / (d.n * dim));
    for (let a = 0; a < dim; a++) xScale[v * dim + a] = sc;
  }
  let m = 0;
  for (let k = 0; k < d.n; k++) m += d.y[k]!;
  m /= d.n;
  let v2 = 0;
  for (let k = 0; k < d.n; k++) v2 += (d.y[k]! - m) ** 2;
  yMean[0] = m;
  yStd[0] = Math.sqrt(v2 / d.n) || 1;
  return { xScale, yMean, yStd };
}

/** Applies a standardisation: returns new x and y arrays. */
export function standardize(d: SyntheticData, s: Standardization): SyntheticData {
  const x = d.x.map((v, i) => v / s.xScale[i % d.nIn]!);
  const y = d.y.map((v, i) => (v - s.yMean[i % d.nOut]!) / s.yStd[i % d.nOut]!);
  return { ...d, x, y };
}

/** The first `n` examples of `d` (views into its arrays, no copy): the training prefix of a pool. */
export function firstRows(d: SyntheticData, n: number): SyntheticData {
  return { ...d, n, x: d.x.subarray(0, n * d.nIn), y: d.y.subarray(0, n * d.nOut) };
}
