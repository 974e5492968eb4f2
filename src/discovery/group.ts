/**
 * Enforcing what was learned: a discovered Lie algebra (plus discrete generators, if any) becomes
 * a `Group` like any in the catalogue, so `V(G)`, tensor reps, `equivariantBasis`, `EMLP` and the
 * equivariance harness work on it unchanged; and it round-trips through JSON (`group.json` of
 * `noether discover`).
 *
 * Two tolerances decide what survives, because learned generators are approximate:
 * - closure: a span whose commutators leave it (closureResidual > `closureTol`) is not a Lie
 *   algebra; `groupFromGenerators` refuses it, or with `close: true` takes its Lie closure
 *   (the smallest algebra containing it, brackets counted inside within `closureTol`).
 * - the solver: a learned group is `approximate`, so each constraint nullspace is read from the
 *   full spectrum and cut at its gap (solve/basis.ts, core/linalg.ts `spectralCut`): the true
 *   equivariant maps of the learned group sit at its error level (measured 6e-3–2e-2 relative
 *   singular value for generators 1–2° off), the next directions at 0.1–0.8. `solveTol` is the
 *   upper bound of what can count as equivariant (default 0.1). A single fixed threshold failed
 *   both ways on the discover-then-enforce tasks: 0.011 cut O(5)'s metric (σ 0.018), 0.11 let
 *   spurious maps into A·SO(3)·A⁻¹ (test MSE 0.1 → 3).
 */
import { ConfigError } from "../core/errors.js";
import type { Group } from "../groups/group.js";
import { makeGroup } from "../groups/group.js";
import { closureResidual, lieBasis, lieClosure, toMatrices, type LieBasis } from "./algebra.js";
import type { Discovery } from "./result.js";

/** Options of `groupFromGenerators`. */
export interface LearnedGroupOptions {
  /** Printable name (default "learned"). */
  name?: string;
  /** Discrete generators (d×d, invertible), e.g. a learned reflection. */
  discrete?: readonly (ArrayLike<number> | readonly (readonly number[])[])[];
  /** Commutators may leave the span by this much (relative) and still count as closed (default 1e-6; see the module comment). */
  closureTol?: number;
  /** Take the Lie closure of a span that is not closed instead of refusing it (default false). */
  close?: boolean;
  /** Largest relative singular value that can count as equivariant in the group's constraint solves (default 0.1, see the module comment). */
  solveTol?: number;
  /** Cut constraint nullspaces by singular value (default true: learned generators are approximate). */
  approximate?: boolean;
  /** Sampling scale of the Lie coefficients (default 1). */
  sampleScale?: number;
}

/**
 * A Group from learned generators (a LieBasis, or a Discovery's basis). Throws a ConfigError when
 * the span is not closed under the bracket (naming the residual and what to do), unless `close`.
 *
 * @example const G = groupFromGenerators(await discoverInvariant(f, x, { n, width: 4 }), { name: "learned-Lorentz" });
 */
export function groupFromGenerators(
  from: LieBasis | Discovery,
  opts: LearnedGroupOptions = {},
): Group & { learned: { closureResidual: number; addedByClosure: number } } {
  let basis = "basis" in from ? from.basis : from;
  const name = opts.name ?? "learned";
  const tol = opts.closureTol ?? 1e-6;
  if (!(Number.isFinite(tol) && tol >= 0))
    throw new ConfigError(`groupFromGenerators: closureTol must be ≥ 0, got ${tol}`);
  const residual = closureResidual(basis);
  let added = 0;
  if (residual > tol) {
    if (!opts.close) {
      throw new ConfigError(
        `groupFromGenerators(${name}): the ${basis.k} generators are not closed under the commutator (residual ${residual.toExponential(2)} > closureTol ${tol}); ` +
          `pass { close: true } to use their Lie closure, or a larger closureTol if the residual is estimation error`,
      );
    }
    ({ basis, added } = lieClosure(basis, { tol }));
  }
  const solveTol = opts.solveTol ?? 0.1;
  const discrete = opts.discrete === undefined ? [] : lieBasis(opts.discrete, basis.d).generators;
  const G = makeGroup({
    name,
    d: basis.d,
    lieAlgebra: basis.generators,
    discreteGenerators: discrete,
    solveTol,
    approximate: opts.approximate ?? true,
    ...(opts.sampleScale !== undefined ? { sampleScale: opts.sampleScale } : {}),
  });
  return Object.assign(G, { learned: { closureResidual: residual, addedByClosure: added } });
}

/** The JSON form of a (learned) group: what `noether discover` writes as group.json. */
export interface GroupJSON {
  name: string;
  /** The dimension d the group acts on (generators are d×d). */
  dim: number;
  /** Lie algebra generators, each d×d. */
  generators: number[][][];
  /** Discrete generators, each d×d. */
  discrete: number[][][];
  /** The constraint-solve tolerance (absent: the solver's default). */
  solveTol?: number;
  /** Approximate generators: nullspaces cut by singular value (see `Group.approximate`). */
  approximate?: boolean;
  /** How the generators were found (method, spectrum, closure residual, …). */
  diagnostics: Record<string, unknown>;
}

/** A group as JSON (`diagnostics` stored as given). */
export function groupToJSON(G: Group, diagnostics: Record<string, unknown> = {}): GroupJSON {
  const mats = (stack: Float64Array, k: number) => toMatrices({ d: G.d, k, generators: stack });
  return {
    name: G.name,
    dim: G.d,
    generators: mats(G.lieAlgebra, G.D),
    discrete: mats(G.discreteGenerators, G.M),
    ...(G.solveTol !== undefined ? { solveTol: G.solveTol } : {}),
    ...(G.approximate ? { approximate: true } : {}),
    diagnostics,
  };
}

/** A group from its JSON form, validated field by field (errors name the field and what was found). */
export function groupFromJSON(json: unknown, where = "group.json"): Group {
  const fail = (msg: string): never => {
    throw new ConfigError(`${where}: ${msg}`);
  };
  if (json === null || typeof json !== "object" || Array.isArray(json))
    return fail(`expected a JSON object, got ${Array.isArray(json) ? "an array" : typeof json}`);
  const o = json as Record<string, unknown>;
  if (typeof o.name !== "string" || o.name === "")
    fail(`"name" must be a non-empty string, got ${JSON.stringify(o.name)}`);
  const d = o.dim;
  if (typeof d !== "number" || !Number.isInteger(d) || d < 1)
    return fail(`"dim" must be a positive integer, got ${JSON.stringify(d)}`);
  const matrices = (key: "generators" | "discrete"): number[][][] => {
    const v = o[key] ?? (key === "discrete" ? [] : undefined);
    if (!Array.isArray(v))
      return fail(`"${key}" must be an array of ${d}×${d} matrices, got ${JSON.stringify(v)?.slice(0, 40)}`);
    v.forEach((m, i) => {
      if (!Array.isArray(m) || m.length !== d || !m.every((r) => Array.isArray(r) && r.length === d))
        fail(`"${key}"[${i}] is not a ${d}×${d} matrix`);
      (m as unknown[][]).forEach((r, a) =>
        r.forEach((x, b) => {
          if (typeof x !== "number" || !Number.isFinite(x))
            fail(`"${key}"[${i}][${a}][${b}] is ${JSON.stringify(x)}, expected a finite number`);
        }),
      );
    });
    return v as number[][][];
  };
  const gens = matrices("generators");
  const disc = matrices("discrete");
  if (o.approximate !== undefined && typeof o.approximate !== "boolean")
    fail(`"approximate" must be true or false, got ${JSON.stringify(o.approximate)}`);
  if (o.solveTol !== undefined && (typeof o.solveTol !== "number" || !(o.solveTol > 0 && o.solveTol < 1)))
    fail(`"solveTol" must be a number in (0, 1), got ${JSON.stringify(o.solveTol)}`);
  return makeGroup({
    name: o.name as string,
    d,
    lieAlgebra: gens,
    discreteGenerators: disc,
    ...(o.solveTol !== undefined ? { solveTol: o.solveTol as number } : {}),
    ...(o.approximate === true ? { approximate: true } : {}),
  });
}
