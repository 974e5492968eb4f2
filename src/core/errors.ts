/**
 * Typed errors. Every message says what was expected and what was given.
 */

/** Base class of every error noether throws on purpose. */
export class NoetherError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** An array has the wrong shape (or rank) for the operation. */
export class ShapeError extends NoetherError {}

/** A value is NaN or ±Inf where finite numbers are required. */
export class NonFiniteError extends NoetherError {}

/** A checkpoint file is truncated, corrupt, or does not match what it is loaded into. */
export class CheckpointError extends NoetherError {}

/** A configuration value is out of range or of the wrong kind. */
export class ConfigError extends NoetherError {}

/** Formats a shape as `[a, b, c]` for messages. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** Throws a ShapeError unless `shape` equals `expected` (-1 in `expected` matches any size). */
export function checkShape(what: string, shape: readonly number[], expected: readonly number[]): void {
  const ok = shape.length === expected.length && expected.every((e, i) => e === -1 || e === shape[i]);
  if (!ok) {
    const want = `[${expected.map((e) => (e === -1 ? "*" : String(e))).join(", ")}]`;
    throw new ShapeError(`${what}: expected shape ${want}, got ${fmtShape(shape)}`);
  }
}

/** Throws a NonFiniteError naming `what` and the first bad index if `data` has NaN or ±Inf. */
export function checkFinite(what: string, data: ArrayLike<number>): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) {
      throw new NonFiniteError(`${what}: expected finite values, found ${v} at flat index ${i} (of ${data.length})`);
    }
  }
}
