/**
 * The groups LieConv convolves over (Finzi et al. 2020): T(n), SO(2), ℝ×SO(2), SE(2), SO(3),
 * SE(3) and the trivial group. Each is the matrix group of the catalogue (`src/groups`: its Lie
 * algebra basis fixes the log coordinates) plus what a point cloud needs: a *lift* of points to
 * group elements (with orbit samples of the stabiliser where the action is not free, and
 * orbit identifiers where it is not transitive) and the log map, in closed form, as
 * differentiable jax-js ops (and on the host in float64, for tests).
 *
 * Elements are stored in blocks: a linear part A [..., k, k] (orthogonal, or a scaled rotation for
 * ℝ×SO(2)) and a translation t [..., k] (affine groups), i.e. the matrix [[A, t], [0, 1]].
 *
 * Orbit samples are deterministic and equivariant: the stabiliser of a point is reached through a
 * reference frame built from the cloud (the direction to the masked centroid, and for SE(3) a
 * second, |·|²-weighted mean of relative positions), then rotated by a fixed set of stabiliser
 * elements (equally spaced angles for SO(2) stabilisers, a seeded set of rotations for SO(3)).
 * So lift(g·x) = g·lift(x) exactly and the networks built on it are exactly invariant — checked in
 * float64 — instead of invariant in distribution as with the paper's random samples. The frame is
 * undefined for a point at the centroid (SE(2), SE(3)) or on the line through the origin and the
 * centroid (SO(3)); points there get an arbitrary (but finite) frame.
 */
import { numpy as np, type Array as JArray } from "../../jax.js";
import { ConfigError } from "../../core/errors.js";
import { expmHost } from "../../core/expm.js";
import { fromHost, placementOf } from "../../core/host.js";
import { hostRng } from "../../core/rng.js";
import { RxSO2, SE, SO, Translations, Trivial } from "../../groups/catalog.js";
import type { Group } from "../../groups/group.js";

/** Group elements of a lifted cloud (and the orbit identifiers of its points). */
export interface LiftedElements {
  /** Linear part A [B, L, k, k], or null (translations only / trivial group). */
  rot: JArray | null;
  /** Translation t [B, L, k], or null (linear groups / trivial group). */
  trans: JArray | null;
  /** Orbit identifiers q [B, L, orbitDim], or null (transitive actions). */
  orbit: JArray | null;
}

/** A group LieConv can convolve over. */
export interface LieConvGroup {
  /** "Trivial", "T(2)", "SO(2)", "R×SO(2)", "SE(2)", "SO(3)", "SE(3)", … */
  readonly name: string;
  /** Dimension of the space the points live in. */
  readonly d: number;
  /** Dimension of the Lie algebra (log coordinates per pair). */
  readonly algebraDim: number;
  /** Orbit identifiers per point (0 for transitive actions). */
  readonly orbitDim: number;
  /** Orbit samples per point when none are asked for (1 where the action is free). */
  readonly defaultSamples: number;
  /** True when the stabiliser is non-trivial, so that `samples` > 1 is meaningful. */
  readonly hasStabilizer: boolean;
  /** The matrix group of the catalogue: elements [[A, t], [0, 1]], log coordinates in its Lie algebra basis. */
  readonly matrixGroup: Group;
  /** Whether the linear part is a scaled rotation (ℝ×SO(2)): A⁻¹ = Aᵀ/|A e₁|². */
  readonly scaled: boolean;
  /**
   * Lifts points [B, N, d] (consumed) to elements [B, N·samples, …] (point i's samples at
   * i·samples … i·samples + samples − 1). `mask` [B, N] (borrowed) weights the centroid of frames.
   */
  lift(points: JArray, mask: JArray, samples: number): LiftedElements;
  /** log coordinates [..., algebraDim] of elements given by blocks (both consumed; null where the group has none). */
  logBlocks(rot: JArray | null, trans: JArray | null): JArray;
  /** exp of log coordinates (host, float64) as the (m×m) matrix, via `expmHost` of the Lie algebra basis. */
  expHost(coords: ArrayLike<number>): Float64Array;
  /** log coordinates of a group matrix [m, m] (host, float64, closed form). */
  logHost(g: ArrayLike<number>): Float64Array;
}

// ---------------------------------------------------------------- safe elementwise helpers

/** atan2(y, x) in (−π, π] with finite gradients everywhere except at (0, 0) (where it returns 0 with zero gradient); consumes both. */
export function safeAtan2(y: JArray, x: JArray): JArray {
  const r2 = y.ref.mul(y.ref).add(x.ref.mul(x.ref));
  const pos = r2.ref.greater(0);
  const r = np.sqrt(np.where(pos.ref, r2, 1));
  const xNonNeg = x.ref.greaterEqual(0);
  const den1 = np.where(xNonNeg.ref, r.ref.add(x.ref), 1);
  const den1s = np.where(den1.ref.greater(0), den1, 1);
  const den2 = np.where(xNonNeg.ref, 1, r.sub(x));
  const a1 = np.atan(y.ref.div(den1s)).mul(2);
  const yNonNeg = y.ref.greaterEqual(0);
  // π as an array of y's dtype: `np.where(c, Math.PI, -Math.PI)` would make a float32 π (error 8.7e-8 in float64).
  const pi = np.fullLike(y.ref, Math.PI);
  const a2 = np.where(yNonNeg, pi.ref, pi.neg()).sub(np.atan(y.div(den2)).mul(2));
  return np.where(pos, np.where(xNonNeg, a1, a2), 0);
}

/** Euclidean norm over the last axis with keepdims, gradient 0 (not NaN) at 0; consumes v. */
export function safeNorm(v: JArray): JArray {
  const r2 = np.sum(v.ref.mul(v), -1, { keepdims: true });
  const pos = r2.ref.greater(0);
  return np.where(pos.ref, np.sqrt(np.where(pos, r2, 1)), 0);
}

/** v / |v| over the last axis (0 where v = 0); consumes v. */
function normalize(v: JArray): JArray {
  const n = safeNorm(v.ref);
  return v.div(np.where(n.ref.greater(0), n, 1));
}

/** Component i of the last axis, keeping it ([..., 1]); consumes x. */
function comp(x: JArray, i: number): JArray {
  const spec = x.shape.map((_, a) => (a === x.ndim - 1 ? [i, i + 1] : [])) as ([] | [number, number])[];
  return x.slice(...spec);
}

/** Entry (r, c) of matrices [..., k, k] as [...]; consumes m. */
function entry(m: JArray, r: number, c: number): JArray {
  const spec = m.shape.map((_, a) => (a === m.ndim - 2 ? r : a === m.ndim - 1 ? c : [])) as ([] | number)[];
  return m.slice(...spec);
}

/** Stacks [...] arrays along a new last axis (consumes them). */
function stackLast(xs: JArray[]): JArray {
  return np.stack(xs, -1);
}

/** cross(a, b) over the last axis of size 3 (consumes both). */
function cross3(a: JArray, b: JArray): JArray {
  const [a0, a1, a2] = [comp(a.ref, 0), comp(a.ref, 1), comp(a, 2)];
  const [b0, b1, b2] = [comp(b.ref, 0), comp(b.ref, 1), comp(b, 2)];
  return np.concatenate(
    [a1.ref.mul(b2.ref).sub(a2.ref.mul(b1.ref)), a2.mul(b0.ref).sub(a0.ref.mul(b2)), a0.mul(b1).sub(a1.mul(b0))],
    -1,
  );
}

/** Dot product over the last axis with keepdims (consumes both). */
function dot(a: JArray, b: JArray): JArray {
  return np.sum(a.mul(b), -1, { keepdims: true });
}

/** Masked centroid [B, 1, d] of points [B, N, d] with mask [B, N] (both consumed). */
function centroid(points: JArray, mask: JArray): JArray {
  const m = mask.reshape([mask.shape[0]!, mask.shape[1]!, 1]);
  const s = np.sum(points.mul(m.ref), 1, { keepdims: true });
  const c = np.sum(m, 1, { keepdims: true });
  return s.div(np.maximum(c, 1e-6));
}

/** Series-safe f(θ) for |θ| < small: where(|θ| < small, series(θ), exact(θ with small ones replaced by 1)); consumes θ. */
function guarded(theta: JArray, small: number, series: (t: JArray) => JArray, exact: (t: JArray) => JArray): JArray {
  const isSmall = np.abs(theta.ref).less(small);
  const safe = np.where(isSmall.ref, 1, theta.ref);
  return np.where(isSmall, series(theta), exact(safe));
}

// ---------------------------------------------------------------- host helpers

function expFromAlgebra(G: Group, coords: ArrayLike<number>): Float64Array {
  if (coords.length !== G.D)
    throw new ConfigError(`${G.name}.expHost: expected ${G.D} log coordinates, got ${coords.length}`);
  const m = G.d;
  const A = new Float64Array(m * m);
  for (let k = 0; k < G.D; k++)
    for (let i = 0; i < m * m; i++) A[i] = A[i]! + coords[k]! * G.lieAlgebra[k * m * m + i]!;
  return expmHost(A, m);
}

function hostAtan2(y: number, x: number): number {
  const a = Math.atan2(y, x);
  return a === -Math.PI ? Math.PI : a;
}

/** SE(2) V⁻¹ coefficient a(θ) = (θ/2)·cot(θ/2). */
function se2A(t: number): number {
  return Math.abs(t) < 1e-4 ? 1 - (t * t) / 12 - (t * t * t * t) / 720 : (t / 2) * (Math.cos(t / 2) / Math.sin(t / 2));
}

/** ω (axis·angle) of a rotation R [3,3] row-major, robust near 0 and π. */
function so3LogVec(R: ArrayLike<number>): [number, number, number] {
  const w = [(R[7]! - R[5]!) / 2, (R[2]! - R[6]!) / 2, (R[3]! - R[1]!) / 2];
  const s = Math.hypot(w[0]!, w[1]!, w[2]!);
  const c = (R[0]! + R[4]! + R[8]! - 1) / 2;
  const th = Math.atan2(s, c);
  if (c > 0) {
    const f = th < 1e-4 ? 1 + (th * th) / 6 + (7 * th ** 4) / 360 : th / s;
    return [f * w[0]!, f * w[1]!, f * w[2]!];
  }
  const S = [0, 1, 2].map((i) => [0, 1, 2].map((j) => (R[3 * i + j]! + R[3 * j + i]!) / 2 - (i === j ? c : 0)));
  const k = [0, 1, 2].reduce((b, i) => (S[i]![i]! > S[b]![b]! ? i : b), 0);
  const v = [S[0]![k]!, S[1]![k]!, S[2]![k]!];
  const nv = Math.hypot(v[0]!, v[1]!, v[2]!);
  const sign = v[0]! * w[0]! + v[1]! * w[1]! + v[2]! * w[2]! >= 0 ? 1 : -1;
  return [(sign * th * v[0]!) / nv, (sign * th * v[1]!) / nv, (sign * th * v[2]!) / nv];
}

/** Catalogue SO(3) coordinates (basis E₁₀−E₀₁, E₂₀−E₀₂, E₂₁−E₁₂) of ω = (ωx, ωy, ωz): (ωz, −ωy, ωx). */
function so3Coords(w: readonly number[]): number[] {
  return [w[2]!, -w[1]!, w[0]!];
}

function crossHost(a: readonly number[], b: readonly number[]): number[] {
  return [a[1]! * b[2]! - a[2]! * b[1]!, a[2]! * b[0]! - a[0]! * b[2]!, a[0]! * b[1]! - a[1]! * b[0]!];
}

// ---------------------------------------------------------------- jax log maps

/** Rotation angle of 2×2 rotations (or scaled rotations) [..., 2, 2]; consumes. */
function angle2(rot: JArray): JArray {
  return safeAtan2(entry(rot.ref, 1, 0), entry(rot, 0, 0));
}

/** ω [..., 3] of rotations [..., 3, 3] (consumes), robust near 0 and π (see `so3LogVec`). */
function so3LogJax(R: JArray): JArray {
  const e = (r: number, c: number) => entry(R.ref, r, c);
  const w = stackLast([e(2, 1).sub(e(1, 2)), e(0, 2).sub(e(2, 0)), e(1, 0).sub(e(0, 1))]).mul(0.5);
  const s = safeNorm(w.ref); // [..., 1]
  const c = stackLast([e(0, 0).add(e(1, 1)).add(e(2, 2)).sub(1).mul(0.5)]); // [..., 1]
  const th = safeAtan2(s.ref, c.ref);
  const f = guarded(
    th.ref,
    1e-4,
    (t) =>
      t.ref
        .mul(t.ref)
        .mul(1 / 6)
        .add(
          t.ref
            .mul(t.ref)
            .mul(t.ref)
            .mul(t)
            .mul(7 / 360),
        )
        .add(1),
    (t) => t.div(np.where(s.ref.greater(0), s.ref, 1)),
  );
  s.dispose();
  const branchA = w.ref.mul(f);
  // Near π: S = (R + Rᵀ)/2 − cos θ·I = (1 − cos θ) n nᵀ; its column with the largest diagonal gives ±n.
  const cs = c.ref.reshape(c.shape.slice(0, -1));
  const Sd = (i: number) => e(i, i).sub(cs.ref);
  const Sij = (i: number, j: number) => e(i, j).add(e(j, i)).mul(0.5);
  const d0 = Sd(0);
  const d1 = Sd(1);
  const d2 = Sd(2);
  const pick0 = np.logicalAnd(d0.ref.greaterEqual(d1.ref), d0.ref.greaterEqual(d2.ref));
  const pick1 = np.logicalAnd(np.logicalNot(pick0.ref), d1.ref.greaterEqual(d2.ref));
  const col0 = stackLast([d0, Sij(1, 0), Sij(2, 0)]);
  const col1 = stackLast([Sij(0, 1), d1, Sij(2, 1)]);
  const col2 = stackLast([Sij(0, 2), Sij(1, 2), d2]);
  cs.dispose();
  const p0 = pick0.reshape([...pick0.shape, 1]);
  const p1 = pick1.reshape([...pick1.shape, 1]);
  const v = np.where(p0, col0, np.where(p1, col1, col2));
  const n = normalize(v);
  const sign = np.where(dot(n.ref, w).greaterEqual(0), 1, -1);
  const branchB = n.mul(sign).mul(th);
  R.dispose();
  return np.where(c.greater(0), branchA, branchB);
}

/** SE(3) translation coordinates u = V⁻¹t = t − ½ω×t + β ω×(ω×t), β = (1 − θ sin θ / (2(1 − cos θ)))/θ². Consumes both. */
function se3Translation(w: JArray, t: JArray): JArray {
  const th = safeNorm(w.ref);
  const beta = guarded(
    th,
    1e-3,
    (x) =>
      x.ref
        .mul(x.ref)
        .mul(1 / 720)
        .add(
          x.ref
            .mul(x.ref)
            .mul(x.ref)
            .mul(x)
            .mul(1 / 30240),
        )
        .add(1 / 12),
    (x) =>
      np
        .ones(x.shape, { dtype: x.dtype, device: x.device })
        .sub(x.ref.mul(np.sin(x.ref)).div(np.cos(x.ref).neg().add(1).mul(2)))
        .div(x.ref.mul(x)),
  );
  const wxt = cross3(w.ref, t.ref);
  const wwxt = cross3(w, wxt.ref);
  return t.sub(wxt.mul(0.5)).add(wwxt.mul(beta));
}

// ---------------------------------------------------------------- lifts

/**
 * Fixed stabiliser angles 2π(k + jₖ)/s (k = 0..s−1), jₖ a seeded jitter in [0, 0.3) (j₀ = 0): not
 * equally spaced, so that no two sibling pairs lie at exactly equal distance — a tie in the
 * nearest-neighbour or farthest-point choice would be broken by rounding differently for g·x.
 */
function stabAngles(s: number): Float64Array {
  const rng = hostRng(0x5ab1e + s);
  return Float64Array.from({ length: s }, (_, k) => (2 * Math.PI * (k + (k === 0 ? 0 : 0.3 * rng()))) / s);
}

/** s rotations of ℝ³ (identity first, then seeded Haar-random ones) as [s, 3, 3]. */
function stabRotations3(s: number): Float64Array {
  const out = new Float64Array(9 * s);
  const rng = hostRng(0x1e5c0);
  const G = SO(3);
  for (let k = 0; k < s; k++) {
    const R = k === 0 ? Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1) : G.sample(rng);
    out.set(R, 9 * k);
  }
  return out;
}

/** Repeats [B, N, ...] along a new samples axis → [B, N·s, ...] (consumes x). */
export function repeatSamples(x: JArray, s: number): JArray {
  if (s === 1) return x;
  const [B, N, ...rest] = x.shape as [number, number, ...number[]];
  return np.broadcastTo(x.reshape([B, N, 1, ...rest]), [B, N, s, ...rest]).reshape([B, N * s, ...rest]);
}

/** 2-D rotations [B, N·s, 2, 2] from unit vectors u [B, N, 2] (consumed) rotated by the stabiliser angles. */
function rotations2(u: JArray, s: number): JArray {
  const [B, N] = u.shape as [number, number];
  const ang = stabAngles(s);
  const pl = placementOf(u);
  const cphi = fromHost(Float64Array.from(ang, Math.cos), [1, 1, s], pl);
  const sphi = fromHost(Float64Array.from(ang, Math.sin), [1, 1, s], pl);
  const c0 = comp(u.ref, 0); // [B, N, 1]
  const s0 = comp(u, 1);
  const c = c0.ref.mul(cphi.ref).sub(s0.ref.mul(sphi.ref)); // [B, N, s]
  const sn = s0.mul(cphi).add(c0.mul(sphi));
  const m = stackLast([c.ref, sn.ref.neg(), sn, c]); // [B, N, s, 4]
  return m.reshape([B, N * s, 2, 2]);
}

// ---------------------------------------------------------------- the groups

function checkSamples(name: string, samples: number, stabilizer: boolean): void {
  if (!Number.isInteger(samples) || samples < 1)
    throw new ConfigError(`${name}: orbit samples must be a positive integer, got ${samples}`);
  if (!stabilizer && samples !== 1)
    throw new ConfigError(`${name} acts freely: orbit samples must be 1, got ${samples}`);
}

/** The trivial group on ℝᵈ: no log coordinates; each point's orbit identifier is its position (LieConv then sees [xᵢ, xⱼ]). */
export function lieTrivial(d: number): LieConvGroup {
  const G = Trivial(d);
  return {
    name: "Trivial",
    d,
    algebraDim: 0,
    orbitDim: d,
    defaultSamples: 1,
    hasStabilizer: false,
    matrixGroup: G,
    scaled: false,
    lift(points, _mask, samples) {
      checkSamples("Trivial", samples, false);
      return { rot: null, trans: null, orbit: points };
    },
    logBlocks(rot, trans) {
      rot?.dispose();
      trans?.dispose();
      throw new ConfigError("Trivial: the trivial group has no log map (its pairs carry only orbit identifiers)");
    },
    expHost: (c) => expFromAlgebra(G, c),
    logHost: () => new Float64Array(0),
  };
}

/** Translations T(d): lift xᵢ ↦ [[I, xᵢ], [0, 1]]; log(uᵢ⁻¹uⱼ) = xⱼ − xᵢ. */
export function lieT(d: number): LieConvGroup {
  const G = Translations(d);
  return {
    name: `T(${d})`,
    d,
    algebraDim: d,
    orbitDim: 0,
    defaultSamples: 1,
    hasStabilizer: false,
    matrixGroup: G,
    scaled: false,
    lift(points, _mask, samples) {
      checkSamples(`T(${d})`, samples, false);
      return { rot: null, trans: points, orbit: null };
    },
    logBlocks(rot, trans) {
      rot?.dispose();
      return trans!;
    },
    expHost: (c) => expFromAlgebra(G, c),
    logHost: (g) => Float64Array.from({ length: d }, (_, i) => g[i * (d + 1) + d]!),
  };
}

/** SO(2) on ℝ²: lift xᵢ ↦ R(θᵢ), θᵢ its polar angle, orbit identifier |xᵢ|; log = the relative angle in (−π, π]. */
export function lieSO2(): LieConvGroup {
  const G = SO(2);
  return {
    name: "SO(2)",
    d: 2,
    algebraDim: 1,
    orbitDim: 1,
    defaultSamples: 1,
    hasStabilizer: false,
    matrixGroup: G,
    scaled: false,
    lift(points, _mask, samples) {
      checkSamples("SO(2)", samples, false);
      const r = safeNorm(points.ref);
      return { rot: rotations2(points.div(np.where(r.ref.greater(0), r.ref, 1)), 1), trans: null, orbit: r };
    },
    logBlocks(rot, trans) {
      trans?.dispose();
      return stackLast([angle2(rot!)]);
    },
    expHost: (c) => expFromAlgebra(G, c),
    logHost: (g) => Float64Array.of(hostAtan2(g[2]!, g[0]!)),
  };
}

/** ℝ×SO(2) (scaling and rotation) on ℝ² \ {0}: lift xᵢ ↦ [[x, −y], [y, x]]; log = (log |·|, angle); free and transitive. */
export function lieRxSO2(): LieConvGroup {
  const G = RxSO2();
  return {
    name: "R×SO(2)",
    d: 2,
    algebraDim: 2,
    orbitDim: 0,
    defaultSamples: 1,
    hasStabilizer: false,
    matrixGroup: G,
    scaled: true,
    lift(points, _mask, samples) {
      checkSamples("R×SO(2)", samples, false);
      const [B, N] = points.shape as [number, number];
      const x = comp(points.ref, 0);
      const y = comp(points, 1);
      return { rot: stackLast([x.ref, y.ref.neg(), y, x]).reshape([B, N, 2, 2]), trans: null, orbit: null };
    },
    logBlocks(rot, trans) {
      trans?.dispose();
      const a = entry(rot!.ref, 0, 0);
      const b = entry(rot!.ref, 1, 0);
      const r2 = a.ref.mul(a.ref).add(b.ref.mul(b.ref));
      rot!.dispose();
      return stackLast([np.log(np.where(r2.ref.greater(0), r2, 1)).mul(0.5), safeAtan2(b, a)]);
    },
    expHost: (c) => expFromAlgebra(G, c),
    logHost: (g) => Float64Array.of(0.5 * Math.log(g[0]! ** 2 + g[2]! ** 2), hostAtan2(g[2]!, g[0]!)),
  };
}

/**
 * SE(2) on ℝ²: lift xᵢ ↦ (xᵢ, R(φᵢ + 2πk/s)), k < s, with φᵢ the direction from xᵢ to the
 * masked centroid (the stabiliser SO(2) sampled equivariantly); log = (θ, V(θ)⁻¹t), V⁻¹ = [[a, θ/2], [−θ/2, a]], a = (θ/2)cot(θ/2).
 */
export function lieSE2(): LieConvGroup {
  const G = SE(2);
  return {
    name: "SE(2)",
    d: 2,
    algebraDim: 3,
    orbitDim: 0,
    defaultSamples: 4,
    hasStabilizer: true,
    matrixGroup: G,
    scaled: false,
    lift(points, mask, samples) {
      checkSamples("SE(2)", samples, true);
      const c = centroid(points.ref, mask.ref);
      const u = normalize(c.sub(points.ref));
      return { rot: rotations2(u, samples), trans: repeatSamples(points, samples), orbit: null };
    },
    logBlocks(rot, trans) {
      const th = stackLast([angle2(rot!)]); // [..., 1]
      const a = guarded(
        th.ref,
        1e-4,
        (t) =>
          t.ref
            .mul(t.ref)
            .mul(-1 / 12)
            .sub(
              t.ref
                .mul(t.ref)
                .mul(t.ref)
                .mul(t)
                .mul(1 / 720),
            )
            .add(1),
        (t) =>
          t.ref
            .mul(0.5)
            .mul(np.cos(t.ref.mul(0.5)))
            .div(np.sin(t.mul(0.5))),
      );
      const tx = comp(trans!.ref, 0);
      const ty = comp(trans!, 1);
      const h = th.ref.mul(0.5);
      const ux = a.ref.mul(tx.ref).add(h.ref.mul(ty.ref));
      const uy = a.mul(ty).sub(h.mul(tx));
      return np.concatenate([th, ux, uy], -1);
    },
    expHost: (c) => expFromAlgebra(G, c),
    logHost(g) {
      const th = hostAtan2(g[3]!, g[0]!);
      const a = se2A(th);
      const tx = g[2]!;
      const ty = g[5]!;
      return Float64Array.of(th, a * tx + (th / 2) * ty, -(th / 2) * tx + a * ty);
    },
  };
}

/** Frames [B, N, 3, 3] (columns e₁, e₂, e₃) from unit e₁ and a second direction a (both [B, N, 3], consumed). */
function frame3(e1: JArray, a: JArray, e3First: boolean): JArray {
  const [B, N] = e1.shape as [number, number];
  const a2 = normalize(a.sub(e1.ref.mul(dot(a.ref, e1.ref))));
  if (e3First) {
    // columns (a2, e1 × a2, e1): e₃ = e1 is the point's direction.
    const b = cross3(e1.ref, a2.ref);
    return np.stack([a2, b, e1], -1).reshape([B, N, 3, 3]);
  }
  const e3 = cross3(e1.ref, a2.ref);
  return np.stack([e1, a2, e3], -1).reshape([B, N, 3, 3]);
}

/** Frames F [B, N, 3, 3] times the stabiliser set Q [s, 3, 3] → [B, N·s, 3, 3] (F consumed). */
function timesStabilizer(F: JArray, Q: Float64Array, s: number): JArray {
  const [B, N] = F.shape as [number, number];
  if (s === 1) return F;
  const q = fromHost(Q, [s, 3, 3], placementOf(F));
  // (F Q_k)[r, c] = Σ_m F[r, m] Q_k[m, c]: F [B·N·3, 3] @ Qᵀ-stacked [3, s·3].
  const qs = q.transpose([1, 0, 2]).reshape([3, s * 3]); // [m, (k, c)]
  const prod = np.matmul(F.reshape([B * N * 3, 3]), qs).reshape([B, N, 3, s, 3]);
  return prod.transpose([0, 1, 3, 2, 4]).reshape([B, N * s, 3, 3]);
}

/**
 * SO(3) on ℝ³: lift xᵢ ↦ Rᵢ·Q_k with Rᵢe₃ = xᵢ/|xᵢ| and Rᵢe₁ along the centroid direction
 * projected ⟂ xᵢ (Q_k: rotations about e₃ by 2πk/s, the stabiliser); orbit identifier |xᵢ|;
 * log = axis·angle in the catalogue basis, robust near 0 and π.
 */
export function lieSO3(): LieConvGroup {
  const G = SO(3);
  return {
    name: "SO(3)",
    d: 3,
    algebraDim: 3,
    orbitDim: 1,
    defaultSamples: 4,
    hasStabilizer: true,
    matrixGroup: G,
    scaled: false,
    lift(points, mask, samples) {
      checkSamples("SO(3)", samples, true);
      const r = safeNorm(points.ref);
      const z = points.ref.div(np.where(r.ref.greater(0), r.ref, 1));
      const c = centroid(points, mask.ref);
      const [B, N] = z.shape as [number, number];
      const F = frame3(z, np.broadcastTo(c, [B, N, 3]), true);
      const ang = stabAngles(samples);
      const Q = new Float64Array(9 * samples);
      ang.forEach((t, k) => Q.set([Math.cos(t), -Math.sin(t), 0, Math.sin(t), Math.cos(t), 0, 0, 0, 1], 9 * k));
      return { rot: timesStabilizer(F, Q, samples), trans: null, orbit: repeatSamples(r, samples) };
    },
    logBlocks(rot, trans) {
      trans?.dispose();
      const w = so3LogJax(rot!);
      return np.concatenate([comp(w.ref, 2), comp(w.ref, 1).neg(), comp(w, 0)], -1);
    },
    expHost: (c) => expFromAlgebra(G, c),
    logHost: (g) => Float64Array.from(so3Coords(so3LogVec(g))),
  };
}

/**
 * SE(3) on ℝ³: lift xᵢ ↦ (xᵢ, Fᵢ·Q_k) with Fᵢ the frame of the directions to the centroid and to a
 * |·|²-weighted mean of relative positions, Q_k a fixed seeded set of rotations (identity first; the
 * stabiliser SO(3)); log = (ω, V⁻¹t) in the catalogue basis.
 */
export function lieSE3(): LieConvGroup {
  const G = SE(3);
  return {
    name: "SE(3)",
    d: 3,
    algebraDim: 6,
    orbitDim: 0,
    defaultSamples: 4,
    hasStabilizer: true,
    matrixGroup: G,
    scaled: false,
    lift(points, mask, samples) {
      checkSamples("SE(3)", samples, true);
      const [B, N] = points.shape as [number, number];
      const c = centroid(points.ref, mask.ref);
      const e1 = normalize(c.sub(points.ref));
      // Second reference: Σⱼ mⱼ (xⱼ − xᵢ)|xⱼ − xᵢ|² / Σ mⱼ.
      const rel = points.ref.reshape([B, 1, N, 3]).sub(points.ref.reshape([B, N, 1, 3])); // [B, i, j, 3]
      const w = np.sum(rel.ref.mul(rel.ref), -1, { keepdims: true }).mul(mask.ref.reshape([B, 1, N, 1]));
      const m2 = np.sum(rel.mul(w), 2).div(np.maximum(np.sum(mask.ref, 1).reshape([B, 1, 1]), 1e-6));
      const F = frame3(e1, m2, false);
      return {
        rot: timesStabilizer(F, stabRotations3(samples), samples),
        trans: repeatSamples(points, samples),
        orbit: null,
      };
    },
    logBlocks(rot, trans) {
      const w = so3LogJax(rot!);
      const u = se3Translation(w.ref, trans!);
      return np.concatenate([comp(w.ref, 2), comp(w.ref, 1).neg(), comp(w, 0), u], -1);
    },
    expHost: (c) => expFromAlgebra(G, c),
    logHost(g) {
      const R = [g[0]!, g[1]!, g[2]!, g[4]!, g[5]!, g[6]!, g[8]!, g[9]!, g[10]!];
      const t = [g[3]!, g[7]!, g[11]!];
      const w = so3LogVec(R);
      const th = Math.hypot(...w);
      const beta =
        th < 1e-3
          ? 1 / 12 + (th * th) / 720 + th ** 4 / 30240
          : (1 - (th * Math.sin(th)) / (2 * (1 - Math.cos(th)))) / th ** 2;
      const wxt = crossHost(w, t);
      const wwxt = crossHost(w, wxt);
      const u = t.map((ti, i) => ti - 0.5 * wxt[i]! + beta * wwxt[i]!);
      return Float64Array.from([...so3Coords(w), ...u]);
    },
  };
}

/** The LieConv group called `name` ("Trivial" | "T(2)" | "T(3)" | "SO(2)" | "R×SO(2)" | "SE(2)" | "SO(3)" | "SE(3)"). */
export function lieConvGroup(name: string): LieConvGroup {
  switch (name) {
    case "Trivial":
    case "trivial":
      return lieTrivial(2);
    case "T(2)":
    case "t2":
      return lieT(2);
    case "T(3)":
    case "t3":
      return lieT(3);
    case "SO(2)":
    case "so2":
      return lieSO2();
    case "R×SO(2)":
    case "rxso2":
      return lieRxSO2();
    case "SE(2)":
    case "se2":
      return lieSE2();
    case "SO(3)":
    case "so3":
      return lieSO3();
    case "SE(3)":
    case "se3":
      return lieSE3();
    default:
      throw new ConfigError(
        `unknown LieConv group ${JSON.stringify(name)}; expected Trivial, T(2), T(3), SO(2), R×SO(2), SE(2), SO(3) or SE(3)`,
      );
  }
}
