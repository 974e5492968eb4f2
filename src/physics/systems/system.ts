/**
 * The physical-system contract: analytic Hamiltonians and/or Lagrangians, their energy and their true
 * vector fields — both as batched jax-js functions (differentiable) and as host float64
 * functions on one state (fast, for data generation and ground truth).
 *
 * Every physical parameter is explicit (no hidden unit masses, g or G); defaults reproduce the
 * settings of the papers (Greydanus et al. 2019; Cranmer et al. 2020).
 *
 * State conventions: a system with `coordinates: "canonical"` has states x = [q, p] (n
 * positions then n momenta); one with `coordinates: "velocity"` has x = [q, q̇]. Batched
 * functions take x of shape [B, dim] and consume their array arguments.
 */
import type { Array as JArray } from "../../jax.js";
import { checkShape, ConfigError } from "../../core/errors.js";

/** Separable H(q, p) = T(p) + V(q): the two gradients leapfrog needs, on [B, n] batches. */
export interface SeparableSplit {
  /** ∂T/∂p: [B, n] → [B, n] (= dq/dt). */
  dTdp(p: JArray): JArray;
  /** ∂V/∂q: [B, n] → [B, n] (= −dp/dt). */
  dVdq(q: JArray): JArray;
}

/** A physical system: its state layout, analytic H and/or L, energy and true vector field. */
export interface PhysicalSystem {
  /** Short name, e.g. "mass-spring". */
  readonly name: string;
  /** Degrees of freedom n. */
  readonly dof: number;
  /** State dimension D = 2n. */
  readonly dim: number;
  /** "canonical": x = [q, p]; "velocity": x = [q, q̇]. */
  readonly coordinates: "canonical" | "velocity";
  /** The physical parameters in use (after defaults). */
  readonly params: Readonly<Record<string, number>>;
  /** Human-readable description of the state layout. */
  readonly layout: string;
  /** H(x): [B, 2n] → [B] (canonical systems). */
  hamiltonian?(x: JArray): JArray;
  /** L(q, q̇): [B, n], [B, n] → [B]. */
  lagrangian?(q: JArray, qdot: JArray): JArray;
  /** Total energy E(x): [B, D] → [B]. */
  energy(x: JArray): JArray;
  /** True vector field dx/dt: [B, D] → [B, D]. */
  field(x: JArray): JArray;
  /** H = T(p) + V(q) split for symplectic integrators (separable canonical systems only). */
  separable?: SeparableSplit;
  /** Host float64 field on one state: writes dx/dt of x (length D) into dx (length D). */
  fieldHost(x: ArrayLike<number>, dx: Float64Array): void;
  /** Host float64 energy of one state (length D). */
  energyHost(x: ArrayLike<number>): number;
}

export function checkParam(system: string, name: string, v: number, positive = true): number {
  if (!Number.isFinite(v) || (positive && !(v > 0))) {
    throw new ConfigError(
      `${system}: parameter ${name} must be a ${positive ? "positive " : ""}finite number, got ${v}`,
    );
  }
  return v;
}

export function checkBatch(what: string, x: JArray, dim: number): void {
  checkShape(what, x.shape, [-1, dim]);
}

export function checkHost(what: string, x: ArrayLike<number>, dim: number): void {
  if (x.length !== dim) throw new ConfigError(`${what}: expected a state of length ${dim}, got length ${x.length}`);
}

/** Column i of a [B, D] batch as [B, 1] (consumes x). */
export function col(x: JArray, i: number): JArray {
  return x.slice([], [i, i + 1]);
}

/** Columns [a, b) of a [B, D] batch (consumes x). */
export function cols(x: JArray, a: number, b: number): JArray {
  return x.slice([], [a, b]);
}
