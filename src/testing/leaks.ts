/**
 * Leak checks: counts live device buffers (a diagnostic added by noether's patch of jax-js,
 * see patches/README.md) before and after repeated calls.
 */
import * as jax from "../jax.js";
import type { Device } from "../jax.js";
import { NoetherError } from "../core/errors.js";

/** Number of live buffers on `device` (default: the default device). */
export function liveBufferCount(device?: Device): number {
  const f = (jax as unknown as { liveBuffers?: (d?: Device) => number }).liveBuffers;
  if (typeof f !== "function") {
    throw new NoetherError(
      "liveBufferCount: @jax-js/jax lacks liveBuffers(); the noether patch is not applied (run `npm install`, which runs patch-package)",
    );
  }
  return f(device);
}

/** Bytes of device memory: held by live buffers, and reserved from the system. */
export interface DeviceMemory {
  live: number;
  /** On `wasm` the size of the linear memory: it only grows, so it is a high-water mark. */
  reserved: number;
}

/** Device memory of `device` (default: the default device). */
export function deviceMemory(device?: Device): DeviceMemory {
  const f = (jax as unknown as { deviceMemory?: (d?: Device) => DeviceMemory | null }).deviceMemory;
  if (typeof f !== "function") {
    throw new NoetherError(
      "deviceMemory: @jax-js/jax lacks deviceMemory(); the noether patch is not applied (run `npm install`, which runs patch-package)",
    );
  }
  const m = f(device);
  if (!m) throw new NoetherError(`deviceMemory: the ${device ?? "default"} device does not report its memory`);
  return m;
}

/** Thrown by `expectNoLeaks`. */
export class LeakError extends NoetherError {}

export interface LeakReport {
  /** Live buffers per device before and after the measured calls. */
  before: Record<string, number>;
  after: Record<string, number>;
  iterations: number;
}

/**
 * Calls `fn` `warmup` times (caches, jit compilation), then `iterations` more times, and
 * throws LeakError if the number of live buffers on any of `devices` grew by more than
 * `slack`. `fn` must release what it creates (read or dispose its results).
 *
 * @example await expectNoLeaks(async () => { const y = f(x.ref); await y.jsAsync(); });
 */
export async function expectNoLeaks(
  fn: () => unknown | Promise<unknown>,
  opts: { warmup?: number; iterations?: number; devices?: Device[]; slack?: number } = {},
): Promise<LeakReport> {
  const devices = opts.devices ?? ["cpu", "wasm"];
  const iterations = opts.iterations ?? 5;
  const count = () => Object.fromEntries(devices.map((d) => [d, liveBufferCount(d)]));
  for (let i = 0; i < (opts.warmup ?? 2); i++) await fn();
  const before = count();
  for (let i = 0; i < iterations; i++) await fn();
  const after = count();
  for (const d of devices) {
    const grew = after[d]! - before[d]!;
    if (grew > (opts.slack ?? 0)) {
      throw new LeakError(
        `leak on ${d}: ${grew} live buffers more after ${iterations} calls (${before[d]} → ${after[d]}, ~${(grew / iterations).toFixed(1)} per call)`,
      );
    }
  }
  return { before, after, iterations };
}
