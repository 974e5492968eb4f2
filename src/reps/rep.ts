/**
 * Representations as immutable values. A Rep of a group G is a vector
 * space ℝⁿ with ρ(g) [n,n] for g ∈ G and dρ(A) [n,n] for A in the Lie algebra, a canonical
 * `key` (structure + group key) for caching, and combinators `sum`, `tensor`, `dual`, `pow`.
 *
 * Layouts: a direct sum concatenates its summands' coordinates in order; a tensor product
 * uses row-major (C-order) Kronecker layout, so vec of a matrix W [n_out, n_in] in
 * Hom(in, out) = out ⊗ in* is W flattened row-major.
 */
import { ConfigError, NonFiniteError, ShapeError } from "../core/errors.js";
import type { Group } from "../groups/group.js";
import { inverse } from "../core/matrix.js";
import {
  BlockDiagOp,
  DenseOp,
  KronOp,
  KronSumOp,
  ScaledIdentityOp,
  ScaledTransposeOp,
  toDense,
  type LinOp,
} from "./linop.js";

/** A representation of `G` on ℝ^size. Immutable; compare with `key`. */
/** `m` when it is a finite d×d matrix of rep's group, else a ShapeError naming what was given. */
function checkElement(rep: Rep, fn: string, what: string, m: Float64Array): Float64Array {
  const d = rep.G.d;
  if (m.length !== d * d)
    throw new ShapeError(
      `${rep.structure}.${fn}: ${what} of ${rep.G.name} is a ${d}×${d} matrix (${d * d} values), got ${m.length} values`,
    );
  const bad = m.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0)
    throw new NonFiniteError(`${rep.structure}.${fn}: ${what} of ${rep.G.name} holds ${m[bad]} at entry ${bad}`);
  return m;
}

export abstract class Rep {
  /** The group represented. */
  abstract readonly G: Group;
  /** Dimension n of the representation space. */
  abstract readonly size: number;
  /** Structure string, e.g. "(V⊗V*)" (without the group). */
  abstract readonly structure: string;
  /** ρ(g) as a structured operator (g: [d,d] element of G). */
  abstract rhoOp(g: Float64Array): LinOp;
  /** dρ(A) as a structured operator (A: [d,d] Lie algebra element). */
  abstract drhoOp(A: Float64Array): LinOp;
  /** The dual representation (ρ*(g) = ρ(g)⁻ᵀ, dρ*(A) = −dρ(A)ᵀ), normalised: V** = V, (A⊕B)* = A*⊕B*, V* = V for orthogonal G. */
  abstract dual(): Rep;

  /** Canonical cache key: `${structure}@${G.key}`. */
  get key(): string {
    return `${this.structure}@${this.G.key}`;
  }
  /** ρ(g) as a dense [n, n] matrix (row-major); g must be d×d and finite. */
  rho(g: Float64Array): Float64Array {
    return toDense(this.rhoOp(checkElement(this, "rho", "a group element", g)));
  }
  /** dρ(A) as a dense [n, n] matrix (row-major); A must be d×d and finite. */
  drho(A: Float64Array): Float64Array {
    return toDense(this.drhoOp(checkElement(this, "drho", "a Lie algebra element", A)));
  }
  /** Direct sum this ⊕ others… (flattened). */
  sum(...others: Rep[]): Rep {
    return directSum(this, ...others);
  }
  /** Tensor product this ⊗ others… (flattened; scalars dropped). */
  tensor(...others: Rep[]): Rep {
    return tensorProduct(this, ...others);
  }
  /** k-fold tensor power this^⊗k (k = 0 gives the scalar rep). */
  pow(k: number): Rep {
    if (!Number.isInteger(k) || k < 0) throw new ConfigError(`Rep.pow: expected a non-negative integer, got ${k}`);
    return k === 0 ? new TrivialRep(this.G, 1) : tensorProduct(...Array.from({ length: k }, () => this as Rep));
  }
  /** n copies this ⊕ … ⊕ this (n ≥ 1). */
  times(n: number): Rep {
    if (!Number.isInteger(n) || n < 1) throw new ConfigError(`Rep.times: expected an integer ≥ 1, got ${n}`);
    return directSum(...Array.from({ length: n }, () => this as Rep));
  }
  /** Hom(this, out) ≅ out ⊗ this*: linear maps from this to `out` (vec row-major). */
  to(out: Rep): Rep {
    return tensorProduct(out, this.dual());
  }
  /** Summands of a direct sum (itself for anything else). */
  summands(): readonly Rep[] {
    return [this];
  }
  toString(): string {
    return this.structure;
  }
}

/** The trivial representation ℝⁿ: ρ(g) = I, dρ(A) = 0. n = 1 is the scalar rep. */
export class TrivialRep extends Rep {
  readonly structure: string;
  constructor(
    readonly G: Group,
    readonly size = 1,
  ) {
    super();
    if (!Number.isInteger(size) || size < 1)
      throw new ConfigError(`TrivialRep: size must be an integer ≥ 1, got ${size}`);
    this.structure = size === 1 ? "1" : `1^${size}`;
  }
  rhoOp(): LinOp {
    return new ScaledIdentityOp(this.size, 1);
  }
  drhoOp(): LinOp {
    return new ScaledIdentityOp(this.size, 0);
  }
  dual(): Rep {
    return this;
  }
  override summands(): readonly Rep[] {
    return this.size === 1 ? [this] : Array.from({ length: this.size }, () => new TrivialRep(this.G, 1));
  }
}

/** The base (defining) representation V = ℝ^d: ρ(g) = g, dρ(A) = A. */
export class BaseRep extends Rep {
  readonly structure = "V";
  readonly size: number;
  constructor(readonly G: Group) {
    super();
    this.size = G.d;
  }
  rhoOp(g: Float64Array): LinOp {
    return new DenseOp(this.size, g);
  }
  drhoOp(A: Float64Array): LinOp {
    return new DenseOp(this.size, A);
  }
  dual(): Rep {
    return this.G.isOrthogonal ? this : new DualRep(this);
  }
}

/** The dual of a leaf representation: ρ*(g) = ρ(g⁻¹)ᵀ-style ρ(g)⁻ᵀ, dρ*(A) = −dρ(A)ᵀ. Build it with `rep.dual()`. */
export class DualRep extends Rep {
  readonly G: Group;
  readonly size: number;
  readonly structure: string;
  constructor(readonly inner: Rep) {
    super();
    this.G = inner.G;
    this.size = inner.size;
    this.structure = `${inner.structure}*`;
  }
  rhoOp(g: Float64Array): LinOp {
    const d = this.G.d;
    return new ScaledTransposeOp(this.inner.rhoOp(inverse(g, d, "DualRep.rho: group element")), 1);
  }
  drhoOp(A: Float64Array): LinOp {
    return new ScaledTransposeOp(this.inner.drhoOp(A), -1);
  }
  dual(): Rep {
    return this.inner;
  }
}

/** Direct sum A ⊕ B ⊕ …: block-diagonal ρ and dρ. Build it with `sum`/`directSum`. */
export class SumRep extends Rep {
  readonly G: Group;
  readonly size: number;
  readonly structure: string;
  constructor(readonly reps: readonly Rep[]) {
    super();
    this.G = reps[0]!.G;
    this.size = reps.reduce((s, r) => s + r.size, 0);
    const parts: string[] = [];
    for (let i = 0; i < reps.length; ) {
      let j = i;
      while (j < reps.length && reps[j]!.structure === reps[i]!.structure) j++;
      parts.push(j - i > 1 ? `${j - i}${reps[i]!.structure}` : reps[i]!.structure);
      i = j;
    }
    this.structure = `(${parts.join("⊕")})`;
  }
  rhoOp(g: Float64Array): LinOp {
    return new BlockDiagOp(this.reps.map((r) => r.rhoOp(g)));
  }
  drhoOp(A: Float64Array): LinOp {
    return new BlockDiagOp(this.reps.map((r) => r.drhoOp(A)));
  }
  dual(): Rep {
    return directSum(...this.reps.map((r) => r.dual()));
  }
  override summands(): readonly Rep[] {
    return this.reps.flatMap((r) => r.summands());
  }
}

/** Tensor product A ⊗ B ⊗ … (row-major Kronecker layout): ρ = ⊗ρᵢ, dρ = Σ I⊗dρᵢ⊗I. Build it with `tensor`/`tensorProduct`. */
export class TensorRep extends Rep {
  readonly G: Group;
  readonly size: number;
  readonly structure: string;
  constructor(readonly factors: readonly Rep[]) {
    super();
    this.G = factors[0]!.G;
    this.size = factors.reduce((s, r) => s * r.size, 1);
    this.structure = `(${factors.map((f) => f.structure).join("⊗")})`;
  }
  rhoOp(g: Float64Array): LinOp {
    return new KronOp(this.factors.map((r) => r.rhoOp(g)));
  }
  drhoOp(A: Float64Array): LinOp {
    return new KronSumOp(this.factors.map((r) => r.drhoOp(A)));
  }
  dual(): Rep {
    return tensorProduct(...this.factors.map((r) => r.dual()));
  }
}

/** A user-defined leaf representation from functions g ↦ ρ(g) and A ↦ dρ(A) (both [size, size]); `name` must identify it uniquely. */
export class CustomRep extends Rep {
  readonly structure: string;
  constructor(
    readonly G: Group,
    readonly size: number,
    readonly name: string,
    private readonly rhoFn: (g: Float64Array) => Float64Array,
    private readonly drhoFn: (A: Float64Array) => Float64Array,
  ) {
    super();
    this.structure = `{${name}}`;
  }
  rhoOp(g: Float64Array): LinOp {
    return new DenseOp(this.size, this.rhoFn(g));
  }
  drhoOp(A: Float64Array): LinOp {
    return new DenseOp(this.size, this.drhoFn(A));
  }
  dual(): Rep {
    return new DualRep(this);
  }
}

function sameGroup(what: string, reps: readonly Rep[]): void {
  if (reps.length === 0) throw new ConfigError(`${what}: expected at least one representation`);
  const k = reps[0]!.G.key;
  for (const r of reps)
    if (r.G.key !== k)
      throw new ConfigError(`${what}: representations of different groups (${reps[0]!.G.name} and ${r.G.name})`);
}

/** A ⊕ B ⊕ … (nested sums flattened, one summand returned as is). */
export function directSum(...reps: Rep[]): Rep {
  sameGroup("directSum", reps);
  const flat = reps.flatMap((r) => (r instanceof SumRep ? r.reps : [r]));
  return flat.length === 1 ? flat[0]! : new SumRep(flat);
}

/** A ⊗ B ⊗ … (nested products flattened, scalar factors dropped). */
export function tensorProduct(...reps: Rep[]): Rep {
  sameGroup("tensorProduct", reps);
  const flat = reps
    .flatMap((r) => (r instanceof TensorRep ? r.factors : [r]))
    .filter((r) => !(r instanceof TrivialRep && r.size === 1));
  if (flat.length === 0) return new TrivialRep(reps[0]!.G, 1);
  return flat.length === 1 ? flat[0]! : new TensorRep(flat);
}

/** The base representation V of G (ρ(g) = g). */
export function V(G: Group): Rep {
  return new BaseRep(G);
}

/** The scalar (trivial, 1-dimensional) representation of G. */
export function Scalar(G: Group): Rep {
  return new TrivialRep(G, 1);
}

/** The trivial representation ℝⁿ of G (n copies of the scalar). */
export function trivial(G: Group, n = 1): Rep {
  return new TrivialRep(G, n);
}

/** Rank-(p,q) tensors T(p,q) = V^⊗p ⊗ V*^⊗q (p + q = 0 gives the scalar). */
export function T(p: number, q: number, G: Group): Rep {
  const v = V(G);
  const parts = [...Array.from({ length: p }, () => v), ...Array.from({ length: q }, () => v.dual())];
  return parts.length === 0 ? Scalar(G) : tensorProduct(...parts);
}

/** A user-defined representation from ρ and dρ functions (see CustomRep). Finite groups may pass `drho` = undefined. */
export function customRep(
  G: Group,
  opts: {
    name: string;
    size: number;
    rho: (g: Float64Array) => Float64Array;
    drho?: (A: Float64Array) => Float64Array;
  },
): Rep {
  const n = opts.size;
  if (!Number.isInteger(n) || n < 1)
    throw new ConfigError(`customRep ${opts.name}: size must be an integer ≥ 1, got ${n}`);
  if (opts.drho === undefined && G.D > 0)
    throw new ConfigError(`customRep ${opts.name}: ${G.name} has a Lie algebra (D = ${G.D}), so drho must be given`);
  return new CustomRep(G, n, opts.name, opts.rho, opts.drho ?? (() => new Float64Array(n * n)));
}
