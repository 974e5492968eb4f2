/**
 * What every integrator shares: the field types (batched jax-js and host), the error an adaptive
 * integrator throws, and the check of a batch of states.
 */
import type { Array as JArray } from "../jax.js";
import { ConfigError, NoetherError } from "../core/errors.js";

/** A batched autonomous vector field: x [B, D] → dx/dt [B, D] (consumes x). */
export type Field = (x: JArray) => JArray;

/** A host vector field on one state: writes dy/dt at (t, y) into dy. */
export type HostField = (t: number, y: Float64Array, dy: Float64Array) => void;

/** Thrown when an adaptive integrator cannot meet its tolerance (step underflow or too many steps). */
export class IntegrationError extends NoetherError {}

/** Throws a ConfigError unless x is a batch of states [B, D]. */
export function checkState(what: string, x: JArray): void {
  if (x.shape.length !== 2)
    throw new ConfigError(`${what}: expected a batch of states [B, D], got shape [${x.shape.join(", ")}]`);
}
