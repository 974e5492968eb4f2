/**
 * Engine set-up: the one place that prepares jax-js for noether.
 *
 * - Installs a minimal `Float16Array` global where the runtime lacks one (Node 20); jax-js
 *   references the constructor in `instanceof` checks and for float16 buffers, which noether
 *   never creates.
 * - Initialises the `cpu` device (plain JS, true float64 — used by the test harness) and the
 *   compute device: WebGPU when a browser offers an adapter, otherwise Wasm.
 * - Holds the default floating dtype (float32 unless float64 is requested).
 *
 * - Runs the engine canary (./canary.ts) once: an engine without noether's fixes is refused with
 *   an error naming each missing fix, before any user computation runs on it.
 *
 * Runs unchanged in Node and in the browser: nothing here imports a Node-only module.
 */
import * as jax from "../jax.js";
import type { DType, Device } from "../jax.js";
import { assertPatchedEngine, type CanaryResult } from "./canary.js";

if (typeof (globalThis as { Float16Array?: unknown }).Float16Array === "undefined") {
  // Node 20 has no Float16Array. jax-js only needs the name to exist; float16 arrays are
  // not used by noether, so a Uint16Array subclass (raw half-precision bits) is enough.
  (globalThis as { Float16Array?: unknown }).Float16Array = class Float16Array extends Uint16Array {};
}

export type FloatDtype = "float32" | "float64";
export type ComputeDevice = "auto" | Device;

/** The jax-js dtype enum value for a float dtype name. */
export function toDType(d: FloatDtype): DType {
  return d as DType;
}

export interface EngineOptions {
  /** Compute device. "auto": WebGPU when a browser offers an adapter, else Wasm. */
  device?: ComputeDevice;
  /** Default floating dtype for parameters and data created by noether. */
  dtype?: FloatDtype;
}

export interface EngineInfo {
  /** The device arrays are created on by default. */
  device: Device;
  /** Every device that initialised. */
  available: Device[];
  dtype: FloatDtype;
}

let floatDtype: FloatDtype = "float32";
let canary: CanaryResult[] | null = null;
let current: EngineInfo | null = null;
let pending: Promise<EngineInfo> | null = null;

/** The default floating dtype ("float32" unless float64 was requested). */
export function getFloatDtype(): FloatDtype {
  return floatDtype;
}

/** Sets the default floating dtype for parameters and data created by noether. */
export function setFloatDtype(dtype: FloatDtype): void {
  if (dtype !== "float32" && dtype !== "float64") {
    throw new TypeError(`setFloatDtype: expected "float32" or "float64", got ${JSON.stringify(dtype)}`);
  }
  floatDtype = dtype;
}

function hasWebGPU(): boolean {
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  return typeof nav !== "undefined" && nav !== null && typeof nav.gpu !== "undefined";
}

async function doInit(opts: EngineOptions): Promise<EngineInfo> {
  const want = opts.device ?? "auto";
  const candidates: Device[] = want === "auto" ? (hasWebGPU() ? ["webgpu", "wasm"] : ["wasm"]) : [want];
  // `init()` with no argument touches `navigator` (absent in Node 20): always name devices.
  // Wasm is always initialised too: the canary checks fix (a), a Wasm kernel bug, there.
  const available = await jax.init(...new Set<Device>(["cpu", ...candidates, "wasm"]));
  const device = candidates.find((d) => available.includes(d));
  if (device === undefined) {
    throw new Error(
      `initEngine: device ${JSON.stringify(want)} is not available here (available: ${available.join(", ")})`,
    );
  }
  canary ??= assertPatchedEngine(jax, { wasm: available.includes("wasm") });
  jax.defaultDevice(device);
  if (opts.dtype !== undefined) setFloatDtype(opts.dtype);
  return { device, available, dtype: floatDtype };
}

/**
 * Initialises jax-js once (later calls return the same result unless a different device is
 * asked for). Call before creating arrays.
 *
 * @example
 * await initEngine();                         // wasm in Node, WebGPU in a capable browser
 * await initEngine({ device: "cpu", dtype: "float64" }); // true float64 for checks
 */
export async function initEngine(opts: EngineOptions = {}): Promise<EngineInfo> {
  if (current !== null) {
    const want = opts.device ?? "auto";
    if (want !== "auto" && want !== current.device) {
      current = await doInit(opts);
    } else if (opts.dtype !== undefined) {
      setFloatDtype(opts.dtype);
      current = { ...current, dtype: floatDtype };
    }
    return current;
  }
  pending ??= doInit(opts);
  current = await pending;
  pending = null;
  return current;
}

/** The engine state, or null before `initEngine` ran. */
export function engineInfo(): EngineInfo | null {
  return current;
}

/**
 * Runs `fn` with `device` as jax-js's default device, then restores the previous default.
 * Used by the test harness to evaluate in true float64 on the plain-JS `cpu` device.
 */
export async function withDevice<T>(device: Device, fn: () => T | Promise<T>): Promise<T> {
  const prev = jax.defaultDevice();
  jax.defaultDevice(device);
  try {
    return await fn();
  } finally {
    jax.defaultDevice(prev);
  }
}

/** The engine canary's results (every check passed), or null before `initEngine` ran. */
export function engineCanaryResults(): CanaryResult[] | null {
  return canary;
}
