/**
 * Checking a parameter tree against the one a module's `init` makes: same structure (paths) and
 * the same shape at every leaf, with an error naming the first mismatching leaf — instead of an
 * engine error from deep inside the forward pass ("Invalid reshape: [4,9] -> [2,1,3,3]").
 * Dtypes are not compared (float64 copies of float32 parameters are legitimate).
 */
import { tree } from "../jax.js";
import { ShapeError, fmtShape } from "./../core/errors.js";
import { makeKey } from "../core/rng.js";
import { flattenWithPaths, type Params } from "../core/tree.js";
import type { Module } from "./module.js";

/** A leaf is anything with a shape (arrays, and the tracers of jit/grad). */
const isLeaf = (x: unknown): boolean =>
  x !== null && typeof x === "object" && globalThis.Array.isArray((x as { shape?: unknown }).shape);

const specs = new WeakMap<object, Map<string, number[]>>();

/**
 * Paths and shapes of `init`'s parameters (one init with a fixed key, cached per module). Must
 * run outside jit/grad traces (init reads values on the host), so `withParamCheck` calls it when
 * the model is built.
 */
export function paramSpec(m: Pick<Module, "init">): Map<string, number[]> {
  let s = specs.get(m);
  if (s === undefined) {
    const p = m.init(makeKey(0));
    s = new Map(flattenWithPaths<{ shape: number[] }>(p as never, isLeaf).map(([k, a]) => [k, [...a.shape]]));
    tree.dispose(p);
    specs.set(m, s);
  }
  return s;
}

/**
 * Throws a ShapeError naming the first leaf of `params` whose path or shape differs from what
 * `m.init` produces. Borrows `params`.
 */
export function checkParamTree(what: string, want: ReadonlyMap<string, readonly number[]>, params: Params): void {
  let got: [string, { shape: number[] }][];
  try {
    got = flattenWithPaths<{ shape: number[] }>(params as never, isLeaf);
  } catch (e) {
    throw new ShapeError(`${what}: the parameters are not a tree of arrays (${(e as Error).message})`);
  }
  // Structure first (a tree from a deeper or different model), then shapes.
  const seen = new Set(got.map(([path]) => path));
  for (const [path, a] of got)
    if (!want.has(path))
      throw new ShapeError(
        `${what}: parameter ${path || "(root)"} ${fmtShape(a.shape)} is not one of this model's (made by a different model?)`,
      );
  for (const [path, w] of want)
    if (!seen.has(path)) throw new ShapeError(`${what}: parameter ${path} ${fmtShape(w)} is missing`);
  for (const [path, a] of got) {
    const w = want.get(path)!;
    if (w.length !== a.shape.length || w.some((d, i) => d !== a.shape[i]))
      throw new ShapeError(
        `${what}: parameter ${path} has shape ${fmtShape(a.shape)}, this model expects ${fmtShape(w)}`,
      );
  }
}

/** Runs the check; on failure releases what apply would have consumed, then rethrows. */
function checked(what: string, spec: ReadonlyMap<string, readonly number[]>, p: Params, x: unknown): void {
  try {
    checkParamTree(what, spec, p);
  } catch (e) {
    tree.dispose(p);
    (x as { dispose?: () => void } | null)?.dispose?.();
    throw e;
  }
}

/**
 * `m` with `apply` (and `applyT`, and each of `also`, if present: methods taking
 * `(params, x, ...rest)` that consume params and x) checking the parameter tree first; under
 * jit the check runs once per trace. `spec` (paths → shapes) when the caller knows it, else one
 * `init` now (see paramSpec).
 */
export function withParamCheck<M extends Module>(
  what: string,
  m: M,
  spec?: ReadonlyMap<string, readonly number[]>,
  also: readonly (keyof M & string)[] = [],
): M {
  const want = spec ?? paramSpec(m);
  const out = { ...m } as unknown as Record<string, unknown>;
  for (const name of ["apply", "applyT", ...also]) {
    const f = (m as unknown as Record<string, unknown>)[name];
    if (typeof f !== "function") continue;
    out[name] = (p: Params, x: unknown, ...rest: unknown[]) => {
      checked(what, want, p, x);
      return f.call(m, p, x, ...rest);
    };
  }
  return out as M;
}
