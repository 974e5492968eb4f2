/**
 * The standard groups (generators follow EMLP's emlp/groups.py conventions) and the
 * constructors for products and user-defined groups.
 */
import { ConfigError } from "../core/errors.js";
import { makeGroup, type Group, type MatrixList } from "./group.js";
import { eye, slice } from "../core/matrix.js";

function checkN(what: string, n: number, min: number): void {
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`${what}: expected an integer ≥ ${min}, got ${n}`);
}

function unit(d: number, entries: [number, number, number][]): Float64Array {
  const m = new Float64Array(d * d);
  for (const [i, j, v] of entries) m[i * d + j] = v;
  return m;
}

function soAlgebra(n: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let i = 0; i < n; i++)
    for (let j = 0; j < i; j++)
      out.push(
        unit(n, [
          [i, j, 1],
          [j, i, -1],
        ]),
      );
  return out;
}

/** The trivial group {I} acting on ℝⁿ (no generators). */
export function Trivial(n: number): Group {
  checkN("Trivial(n)", n, 1);
  return makeGroup({ name: `Trivial(${n})`, d: n });
}

/** SO(n): rotations of ℝⁿ; Lie algebra E_ij − E_ji (i > j), D = n(n−1)/2. */
export function SO(n: number): Group {
  checkN("SO(n)", n, 2);
  return makeGroup({ name: `SO(${n})`, d: n, lieAlgebra: soAlgebra(n) });
}

/** O(n): SO(n) plus the reflection diag(−1, 1, …, 1). */
export function O(n: number): Group {
  checkN("O(n)", n, 1);
  const refl = eye(n);
  refl[0] = -1;
  return makeGroup({ name: `O(${n})`, d: n, lieAlgebra: soAlgebra(n), discreteGenerators: [refl] });
}

/** GL⁺(n) identity component of GL(n): Lie algebra all E_ij, D = n². */
export function GL(n: number): Group {
  checkN("GL(n)", n, 1);
  const out: Float64Array[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out.push(unit(n, [[i, j, 1]]));
  return makeGroup({ name: `GL(${n})`, d: n, lieAlgebra: out, sampleScale: 0.5 });
}

/** SL(n): det 1; Lie algebra E_ij (i ≠ j) and E_ll − E_nn, D = n² − 1. Sampled with scale 0.5. */
export function SL(n: number): Group {
  checkN("SL(n)", n, 2);
  const out: Float64Array[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) out.push(unit(n, [[i, j, 1]]));
  for (let l = 0; l < n - 1; l++)
    out.push(
      unit(n, [
        [l, l, 1],
        [n - 1, n - 1, -1],
      ]),
    );
  return makeGroup({ name: `SL(${n})`, d: n, lieAlgebra: out, sampleScale: 0.5 });
}

/** Sp(m): symplectic maps of ℝ^{2m} (gᵀJg = J, J = [[0, I], [−I, 0]]); D = m(2m+1). Sampled with scale 0.5. */
export function Sp(m: number): Group {
  checkN("Sp(m)", m, 1);
  const n = 2 * m;
  const out: Float64Array[] = [];
  for (let i = 0; i < m; i++)
    for (let j = 0; j < m; j++)
      out.push(
        unit(n, [
          [i, j, 1],
          [m + j, m + i, -1],
        ]),
      );
  for (let i = 0; i < m; i++)
    for (let j = 0; j <= i; j++) {
      out.push(
        unit(
          n,
          i === j
            ? [[m + i, j, 1]]
            : [
                [m + i, j, 1],
                [m + j, i, 1],
              ],
        ),
      );
      out.push(
        unit(
          n,
          i === j
            ? [[i, m + j, 1]]
            : [
                [i, m + j, 1],
                [j, m + i, 1],
              ],
        ),
      );
    }
  return makeGroup({ name: `Sp(${m})`, d: n, lieAlgebra: out, sampleScale: 0.5 });
}

/** The Minkowski metric η = diag(1, −1, −1, −1) used by the Lorentz groups ([4,4]). */
export const MINKOWSKI = Float64Array.from([1, 0, 0, 0, 0, -1, 0, 0, 0, 0, -1, 0, 0, 0, 0, -1]);

function lorentzAlgebra(): Float64Array[] {
  const out: Float64Array[] = [];
  for (let i = 0; i < 3; i++)
    out.push(
      unit(4, [
        [1 + i, 0, 1],
        [0, 1 + i, 1],
      ]),
    ); // boosts K_i
  for (let i = 1; i < 4; i++)
    for (let j = 1; j < i; j++)
      out.push(
        unit(4, [
          [i, j, 1],
          [j, i, -1],
        ]),
      ); // rotations
  return out;
}
const LORENTZ_SCALE = [0.3, 0.3, 0.3, 1, 1, 1];

/** SO⁺(1,3): proper orthochronous Lorentz group (gᵀηg = η, η = diag(1,−1,−1,−1)); 3 boosts + 3 rotations; boosts sampled with scale 0.3. */
export function SO13p(): Group {
  return makeGroup({ name: "SO+(1,3)", d: 4, lieAlgebra: lorentzAlgebra(), sampleScale: LORENTZ_SCALE });
}

/** O(1,3): the full Lorentz group, SO⁺(1,3) plus −I and time reversal diag(−1, 1, 1, 1) (together they give parity). */
export function O13(): Group {
  const tr = eye(4);
  tr[0] = -1;
  const minus = eye(4).map((v) => -v);
  return makeGroup({
    name: "O(1,3)",
    d: 4,
    lieAlgebra: lorentzAlgebra(),
    discreteGenerators: [minus, tr],
    sampleScale: LORENTZ_SCALE,
  });
}

/** The full Lorentz group O(1,3) (alias of `O13`). */
export const Lorentz = O13;

/**
 * SU(n) acting on ℂⁿ ≅ ℝ^{2n} (z = x + iy ↦ [x; y]); a complex X = a + ib becomes [[a, −b], [b, a]].
 * Lie algebra (traceless anti-Hermitian): E_ij − E_ji, i(E_ij + E_ji) (i > j), i(E_ll − E_nn); D = n² − 1.
 */
export function SU(n: number): Group {
  checkN("SU(n)", n, 2);
  const d = 2 * n;
  const real = (a: [number, number, number][]) =>
    unit(
      d,
      a.flatMap(
        ([i, j, v]) =>
          [
            [i, j, v],
            [n + i, n + j, v],
          ] as [number, number, number][],
      ),
    );
  const imag = (b: [number, number, number][]) =>
    unit(
      d,
      b.flatMap(
        ([i, j, v]) =>
          [
            [i, n + j, -v],
            [n + i, j, v],
          ] as [number, number, number][],
      ),
    );
  const out: Float64Array[] = [];
  for (let i = 0; i < n; i++)
    for (let j = 0; j < i; j++) {
      out.push(
        real([
          [i, j, 1],
          [j, i, -1],
        ]),
      );
      out.push(
        imag([
          [i, j, 1],
          [j, i, 1],
        ]),
      );
    }
  for (let l = 0; l < n - 1; l++)
    out.push(
      imag([
        [l, l, 1],
        [n - 1, n - 1, -1],
      ]),
    );
  return makeGroup({ name: `SU(${n})`, d, lieAlgebra: out });
}

/** U(n) acting on ℂⁿ ≅ ℝ^{2n} as SU(n) does: su(n) plus the central generator i·I; D = n². */
export function U(n: number): Group {
  checkN("U(n)", n, 1);
  const su = n > 1 ? SU(n) : null;
  const center = unit(
    2 * n,
    Array.from(
      { length: n },
      (_, i) =>
        [
          [i, n + i, -1],
          [n + i, i, 1],
        ] as [number, number, number][],
    ).flat(),
  );
  const algebra = su === null ? [center] : [...Array.from({ length: su.D }, (_, k) => su.lieGenerator(k)), center];
  return makeGroup({ name: `U(${n})`, d: 2 * n, lieAlgebra: algebra });
}

/** Translations of ℝⁿ as affine matrices [[I, t], [0, 1]] of size (n+1)×(n+1); generators E_{i,n}. Acts on [x; 1]. */
export function Translations(n: number): Group {
  checkN("Translations(n)", n, 1);
  const out: Float64Array[] = [];
  for (let i = 0; i < n; i++) out.push(unit(n + 1, [[i, n, 1]]));
  return makeGroup({ name: `T(${n})`, d: n + 1, lieAlgebra: out });
}

function shift(n: number): Float64Array {
  // (P x)_i = x_{i−1 mod n}: P e_j = e_{j+1}.
  const m = new Float64Array(n * n);
  for (let j = 0; j < n; j++) m[((j + 1) % n) * n + j] = 1;
  return m;
}

function rotation2(theta: number): Float64Array {
  return Float64Array.of(Math.cos(theta), -Math.sin(theta), Math.sin(theta), Math.cos(theta));
}

/**
 * The cyclic group Z_n. form "permutation" (default): the regular representation on ℝⁿ, generated
 * by the cyclic shift (Px)_i = x_{i−1}; form "rotation": ℝ² rotations by 2π/n (EMLP's C(n)).
 */
export function Z(n: number, form: "permutation" | "rotation" = "permutation"): Group {
  checkN("Z(n)", n, 1);
  if (form === "rotation")
    return makeGroup({ name: `C(${n})`, d: 2, discreteGenerators: [rotation2((2 * Math.PI) / n)] });
  return makeGroup({ name: `Z(${n})`, d: n, discreteGenerators: [shift(n)] });
}

/** Z_n as rotations of ℝ² by multiples of 2π/n (same as `Z(n, "rotation")`). */
export function C(n: number): Group {
  return Z(n, "rotation");
}

/** The dihedral group D_n of order 2n on ℝ²: rotation by 2π/n and the reflection diag(−1, 1). */
export function Dihedral(n: number): Group {
  checkN("Dihedral(n)", n, 1);
  return makeGroup({
    name: `D(${n})`,
    d: 2,
    discreteGenerators: [rotation2((2 * Math.PI) / n), Float64Array.of(-1, 0, 0, 1)],
  });
}

/** The permutation group S_n on ℝⁿ (permutation matrices), generated by the transposition (0 1) and the n-cycle. */
export function S(n: number): Group {
  checkN("S(n)", n, 2);
  const swap = eye(n);
  swap[0] = 0;
  swap[1] = 1;
  swap[n] = 1;
  swap[n + 1] = 0;
  return makeGroup({ name: `S(${n})`, d: n, discreteGenerators: n === 2 ? [swap] : [swap, shift(n)] });
}

function embed(m: Float64Array, dm: number, off: number, d: number, fillIdentity: boolean): Float64Array {
  const out = fillIdentity ? eye(d) : new Float64Array(d * d);
  for (let i = 0; i < dm; i++) for (let j = 0; j < dm; j++) out[(off + i) * d + off + j] = m[i * dm + j]!;
  return out;
}

/** G × H acting block-diagonally on ℝ^{d_G + d_H}: generators of each factor embedded (discrete ones padded with I). */
export function directProduct(...groups: Group[]): Group {
  if (groups.length === 0) throw new ConfigError("directProduct: expected at least one group");
  const d = groups.reduce((s, g) => s + g.d, 0);
  const lie: Float64Array[] = [];
  const disc: Float64Array[] = [];
  const scale: number[] = [];
  let off = 0;
  for (const g of groups) {
    for (let k = 0; k < g.D; k++) {
      lie.push(embed(slice(g.lieAlgebra, k, g.d), g.d, off, d, false));
      scale.push(g.sampleScale[k]!);
    }
    for (let k = 0; k < g.M; k++) disc.push(embed(slice(g.discreteGenerators, k, g.d), g.d, off, d, true));
    off += g.d;
  }
  return makeGroup({
    name: groups.map((g) => g.name).join("×"),
    d,
    lieAlgebra: lie,
    discreteGenerators: disc,
    sampleScale: scale,
  });
}

/** Options of `customGroup`: a user (or learned) group from generator matrices. */
export interface CustomGroupSpec {
  name?: string;
  /** Lie algebra basis: [D,d,d] flat (with d), or a list of d×d matrices. */
  lieAlgebra?: MatrixList;
  /** Discrete generators: [M,d,d] flat (with d), or a list of d×d matrices (must be invertible). */
  discreteGenerators?: MatrixList;
  /** Base dimension (required for flat stacks or when there are no generators). */
  d?: number;
  /** Sampling scale of the Lie coefficients. */
  sampleScale?: number | ArrayLike<number>;
  /** Tolerance of the group's constraint solves (approximate, e.g. learned, generators). */
  solveTol?: number;
}

/**
 * A group from user generator matrices — the path learned symmetries take. Validates square,
 * consistent, finite, invertible generators, with errors such as
 * "discrete generator 1 has shape [3, 2], expected [3, 3]".
 */
export function customGroup(spec: CustomGroupSpec): Group {
  return makeGroup({ name: spec.name ?? "Custom", ...spec });
}

/**
 * SE(n): rigid motions of ℝⁿ as affine matrices [[R, t], [0, 1]] of size (n+1)×(n+1); Lie algebra
 * so(n) embedded in the top-left block (the order of `SO(n)`), then translations E_{i,n}. Acts on [x; 1].
 */
export function SE(n: number): Group {
  checkN("SE(n)", n, 2);
  const d = n + 1;
  const rot = soAlgebra(n).map((A) => embed(A, n, 0, d, false));
  const trans: Float64Array[] = [];
  for (let i = 0; i < n; i++) trans.push(unit(d, [[i, n, 1]]));
  return makeGroup({ name: `SE(${n})`, d, lieAlgebra: [...rot, ...trans] });
}

/** ℝ×SO(2): rotations with positive scaling of ℝ² (matrices s·R(θ)); Lie algebra I (scaling), then E₁₀ − E₀₁ (rotation). */
export function RxSO2(): Group {
  return makeGroup({
    name: "R×SO(2)",
    d: 2,
    lieAlgebra: [
      unit(2, [
        [0, 0, 1],
        [1, 1, 1],
      ]),
      unit(2, [
        [1, 0, 1],
        [0, 1, -1],
      ]),
    ],
    sampleScale: [0.5, 1],
  });
}
