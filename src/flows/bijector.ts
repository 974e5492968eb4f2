/**
 * Bijectors and base densities for normalizing flows.
 *
 * A `Flow<P>` is a parametrised bijection of batches [B, ...event] in the library's style
 * (plain parameter tree, configuration in the closure): `forward(params, x) → [y, logDet]` with
 * logDet = log|det ∂y/∂x| per sample [B], and `inverse(params, y) → [x, logDet]` with
 * logDet = log|det ∂x/∂y| (so forward∘inverse logDets sum to 0). `bind(flow, params)` fixes
 * the parameters and gives the plain `Bijector` { forward(x), inverse(y) }. `chain` composes.
 *
 * Ownership: every function consumes its array arguments (params included); `bind` borrows the
 * params it is given until its `dispose()`.
 */
import { numpy as np, tree, type Array as JArray } from "../jax.js";
import { ConfigError, ShapeError, fmtShape } from "../core/errors.js";
import { fromHost, placementOf } from "../core/host.js";
import { hostNormal, splitKey } from "../core/rng.js";
import type { Params } from "../core/tree.js";

/** A parametrised bijection of [B, ...event] batches (see the module comment). */
export interface Flow<P extends Params = Params> {
  readonly name: string;
  /** The event shape (one sample's shape, without the batch axis). */
  readonly eventShape: readonly number[];
  /** Fresh parameters (consumes the key). */
  init(key: JArray): P;
  /** x [B, ...event] → [y, log|det ∂y/∂x| [B]]; consumes params and x. */
  forward(params: P, x: JArray): [JArray, JArray];
  /** y [B, ...event] → [x, log|det ∂x/∂y| [B]]; consumes params and y. */
  inverse(params: P, y: JArray): [JArray, JArray];
}

/** A bijection with fixed parameters: the interface `{ forward(x) → [y, logDet], inverse(y) → [x, logDet] }`. */
export interface Bijector {
  /** Consumes x. */
  forward(x: JArray): [JArray, JArray];
  /** Consumes y. */
  inverse(y: JArray): [JArray, JArray];
}

/** `flow` with `params` fixed (borrowed until `dispose()`, which releases them). */
export function bind<P extends Params>(flow: Flow<P>, params: P): Bijector & { dispose(): void } {
  return {
    forward: (x) => flow.forward(tree.ref(params), x),
    inverse: (y) => flow.inverse(tree.ref(params), y),
    dispose: () => tree.dispose(params),
  };
}

/** Checks x is [B, ...eventShape]; on failure releases x and params and throws a ShapeError. */
export function checkEvent(name: string, x: JArray, eventShape: readonly number[], params?: Params): void {
  const ok = x.ndim === eventShape.length + 1 && eventShape.every((d, i) => x.shape[i + 1] === d);
  if (!ok) {
    const shape = x.shape;
    x.dispose();
    if (params !== undefined) tree.dispose(params);
    throw new ShapeError(`${name}: expected input [B, ${eventShape.join(", ")}], got ${fmtShape(shape)}`);
  }
}

/**
 * The composition f_n ∘ … ∘ f_1 (forward applies `flows[0]` first); params are the array of
 * the members' params; logDets add.
 */
export function chain<P extends Params>(flows: Flow<P>[], name = "chain"): Flow<P[]> {
  if (flows.length === 0) throw new ConfigError("chain: expected at least one flow, got none");
  const ev = flows[0]!.eventShape;
  for (const f of flows) {
    if (f.eventShape.length !== ev.length || f.eventShape.some((d, i) => d !== ev[i]))
      throw new ConfigError(
        `chain: every flow must act on events ${fmtShape(ev)}; ${f.name} acts on ${fmtShape(f.eventShape)}`,
      );
  }
  const checkParams = (p: P[]) => {
    if (!Array.isArray(p) || p.length !== flows.length) {
      const n = Array.isArray(p) ? p.length : "no array";
      tree.dispose(p as Params);
      throw new ShapeError(`${name}: expected an array of ${flows.length} parameter trees, got ${n}`);
    }
  };
  return {
    name,
    eventShape: ev,
    init(key) {
      const keys = splitKey(key, flows.length);
      return flows.map((f, i) => f.init(keys[i]!));
    },
    forward(params, x) {
      checkParams(params);
      let y = x;
      let total: JArray | null = null;
      for (let i = 0; i < flows.length; i++) {
        const [yi, ld] = flows[i]!.forward(params[i]!, y);
        y = yi;
        total = total === null ? ld : total.add(ld);
      }
      return [y, total!];
    },
    inverse(params, y) {
      checkParams(params);
      let x = y;
      let total: JArray | null = null;
      for (let i = flows.length - 1; i >= 0; i--) {
        const [xi, ld] = flows[i]!.inverse(params[i]!, x);
        x = xi;
        total = total === null ? ld : total.add(ld);
      }
      return [x, total!];
    },
  };
}

/** A base density on events of a fixed shape: host sampling and a jax-js log density. */
export interface BaseDensity {
  readonly name: string;
  readonly eventShape: readonly number[];
  /** n samples [n, ...event] from `rng` (host-seeded), as an array of `dtype` on `device`. */
  sample(n: number, rng: () => number, opts?: { dtype?: "float32" | "float64"; device?: JArray["device"] }): JArray;
  /** log density per sample [B] of x [B, ...event]; consumes x. */
  logProb(x: JArray): JArray;
}

function eventSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Product of standard normals on events of `eventShape`: log p = −½Σx² − (D/2) log 2π. */
export function standardNormal(eventShape: readonly number[]): BaseDensity {
  const D = eventSize(eventShape);
  const c = -0.5 * D * Math.log(2 * Math.PI);
  return {
    name: "standard normal",
    eventShape,
    sample(n, rng, opts = {}) {
      return fromHost(hostNormal(n * D, rng), [n, ...eventShape], {
        dtype: opts.dtype ?? "float32",
        device: opts.device,
      });
    },
    logProb(x) {
      checkEvent("standardNormal.logProb", x, eventShape);
      const B = x.shape[0]!;
      return np
        .square(x.reshape([B, D]))
        .sum(1)
        .mul(-0.5)
        .add(c);
    },
  };
}

/** Uniform angles in [0, 2π) on events of `eventShape` (U(1) links): log p = −D log 2π. */
export function uniformAngles(eventShape: readonly number[]): BaseDensity {
  const D = eventSize(eventShape);
  const c = -D * Math.log(2 * Math.PI);
  return {
    name: "uniform angles",
    eventShape,
    sample(n, rng, opts = {}) {
      const v = new Float64Array(n * D);
      for (let i = 0; i < v.length; i++) v[i] = 2 * Math.PI * rng();
      return fromHost(v, [n, ...eventShape], { dtype: opts.dtype ?? "float32", device: opts.device });
    },
    logProb(x) {
      checkEvent("uniformAngles.logProb", x, eventShape);
      const B = x.shape[0]!;
      const where = placementOf(x);
      x.dispose();
      return np.zeros([B], where).add(c);
    },
  };
}
