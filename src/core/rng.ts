/**
 * Explicit random keys (no global RNG). Thin helpers over `jax-js`'s `random`.
 */
import { numpy as np, random, type Array as JArray } from "../jax.js";

/** A PRNG key from an integer seed. */
export function makeKey(seed: number): JArray {
  if (!Number.isInteger(seed)) throw new TypeError(`makeKey: expected an integer seed, got ${seed}`);
  return random.key(seed >>> 0);
}

/** Splits `key` (consumed) into `n` independent keys. */
export function splitKey(key: JArray, n = 2): JArray[] {
  return np.unstack(random.split(key, n));
}

/**
 * A seeded host-side generator (mulberry32) for things that never touch the device:
 * shuffling indices, sampling data on the CPU. Same seed → same sequence everywhere.
 */
export function hostRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates permutation of 0..n-1 drawn from `rng`. */
export function permutation(n: number, rng: () => number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/** Standard normal samples on the host (Box–Muller) from `rng`. */
export function hostNormal(n: number, rng: () => number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = 1 - rng();
    const v = rng();
    const r = Math.sqrt(-2 * Math.log(u));
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}
