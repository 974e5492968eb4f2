/**
 * Generators from an invariant or equivariant function (the idea of LieGG, Moskalev et al. 2022):
 * f(exp(εL)x) = f(x) for all ε means ∇f(x)·Lx = 0 at every x — a linear condition on L. Stacked
 * over samples it is a matrix A [rows, d²]; the symmetries are its nullspace, read from the
 * eigen-decomposition of AᵀA (float64, core/linalg), the number of generators from the spectral
 * gap (result.ts `chooseCount`). For equivariant f with outputs transforming like the inputs,
 * f(gx) = g f(x) gives J_f(x)(Lx) = L f(x), linear in L too.
 *
 * The input row may hold `copies` vectors of size d on which the group acts alike (m particles'
 * momenta, two vectors of ℝ⁵): then L is d×d and acts as I_m ⊗ L. Each constraint row is scaled
 * to unit norm so every sample weighs the same.
 */
import { grad, numpy as np, type Array as JArray, type Device } from "../jax.js";
import { withDevice, type FloatDtype } from "../core/engine.js";
import { ConfigError, NoetherError, NonFiniteError } from "../core/errors.js";
import { fromHost, toFloat64 } from "../core/host.js";
import { jacobiEigh } from "../core/linalg.js";
import { checkCount, chooseCount, makeDiscovery, type Discovery } from "./result.js";

/** Options shared by the invariant and equivariant methods. */
export interface NullspaceOptions {
  /** Vectors per input row, transformed alike (default 1: the row is one vector). */
  copies?: number;
  /** Number of generators to return (default: chosen from the spectrum). */
  k?: number;
  /** A direction can count as a symmetry when its singular value is at most tol × the largest (default 0.3). */
  tol?: number;
  /** The spectral gap (ratio of neighbouring singular values) that separates symmetries from the rest (default 2). */
  minGap?: number;
}

/** Evaluation placement of the autodiff variants (default float64 on the plain-JS cpu device). */
export interface AutodiffOptions {
  dtype?: FloatDtype;
  device?: Device;
}

function sizes(what: string, n: number, width: number, copies: number): number {
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${what}: expected at least one sample, got ${n}`);
  if (!Number.isInteger(copies) || copies < 1 || width % copies !== 0) {
    throw new ConfigError(`${what}: input width ${width} is not a whole number of ${copies} copies`);
  }
  return width / copies;
}

function checkData(what: string, data: ArrayLike<number>, n: number, width: number): void {
  if (data.length !== n * width)
    throw new ConfigError(`${what}: expected ${n}×${width} = ${n * width} values, got ${data.length}`);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!))
      throw new NonFiniteError(`${what}: sample ${Math.floor(i / width)}, column ${i % width} is ${data[i]}`);
  }
}

/** Accumulates unit-normalised rows into AᵀA and returns the nullspace discovery. */
class Constraints {
  readonly gram: Float64Array;
  rows = 0;
  dropped = 0;
  constructor(readonly d: number) {
    this.gram = new Float64Array(d ** 4);
  }
  add(row: Float64Array): void {
    let s = 0;
    for (let i = 0; i < row.length; i++) s += row[i]! * row[i]!;
    if (!(s > 1e-300)) {
      this.dropped++;
      return;
    }
    const inv = 1 / s;
    const n = row.length;
    for (let i = 0; i < n; i++) {
      const ri = row[i]! * inv;
      if (ri === 0) continue;
      for (let j = 0; j < n; j++) this.gram[i * n + j] = this.gram[i * n + j]! + ri * row[j]!;
    }
    this.rows++;
  }
  solve(method: "invariant" | "equivariant", opts: NullspaceOptions, details: Discovery["details"]): Discovery {
    const n = this.d * this.d;
    if (this.rows < n) {
      throw new NoetherError(
        `${method} discovery: ${this.rows} informative constraint rows for the ${n} entries of a ${this.d}×${this.d} generator ` +
          `(${this.dropped} rows had zero gradient): too few samples to identify the generators; give at least ${n} samples where f varies`,
      );
    }
    const { values, vectors } = jacobiEigh(this.gram, n);
    const top = Math.sqrt(Math.max(values[n - 1]!, 0));
    if (!(top > 0))
      throw new NoetherError(`${method} discovery: every constraint vanishes; nothing identifies the generators`);
    const spectrum = Array.from(values, (v) => Math.sqrt(Math.max(v, 0)) / top); // ascending
    const k =
      opts.k ??
      chooseCount(spectrum, {
        tol: opts.tol ?? 0.3,
        small: true,
        ...(opts.minGap !== undefined ? { minGap: opts.minGap } : {}),
      });
    const gens = new Float64Array(k * n);
    for (let c = 0; c < k; c++) for (let i = 0; i < n; i++) gens[c * n + i] = vectors[i * n + c]!;
    return makeDiscovery(method, { d: this.d, k, generators: gens }, spectrum, opts.k === undefined ? "gap" : "given", {
      ...details,
      constraintRows: this.rows,
      droppedRows: this.dropped,
      tol: opts.tol ?? 0.3,
    });
  }
}

/**
 * Generators L (d×d) with ∇f(x)·(I ⊗ L)x = 0 at every sample, from samples x [n, width] and the
 * gradients of an invariant f there, [n, width] for one output or [n, outputs, width] (host data).
 *
 * @example invariantFromGradients(x, g, { n: 500, width: 4 }) // x ↦ Minkowski norm → so(1,3)
 */
export function invariantFromGradients(
  x: ArrayLike<number>,
  grads: ArrayLike<number>,
  shape: { n: number; width: number; outputs?: number },
  opts: NullspaceOptions = {},
): Discovery {
  const { n, width } = shape;
  const outputs = shape.outputs ?? 1;
  const copies = opts.copies ?? 1;
  const d = sizes("invariantFromGradients", n, width, copies);
  checkCount("invariantFromGradients", opts.k, d * d);
  checkData("invariantFromGradients: x", x, n, width);
  checkData("invariantFromGradients: gradients", grads, n * outputs, width);
  const acc = new Constraints(d);
  const row = new Float64Array(d * d);
  for (let s = 0; s < n; s++)
    for (let o = 0; o < outputs; o++) {
      row.fill(0);
      const g = (s * outputs + o) * width;
      // coefficient of L_ij: Σ_c g_{c,i} x_{c,j}
      for (let c = 0; c < copies; c++)
        for (let i = 0; i < d; i++) {
          const gi = grads[g + c * d + i]!;
          if (gi === 0) continue;
          for (let j = 0; j < d; j++) row[i * d + j] = row[i * d + j]! + gi * x[s * width + c * d + j]!;
        }
      acc.add(row);
    }
  return acc.solve("invariant", opts, { samples: n, copies, outputs });
}

/**
 * Generators L with J_f(x)(I ⊗ L)x = (I ⊗ L)f(x) at every sample: f maps rows of `copies` vectors
 * to rows of `outCopies` vectors of the same size d, transforming alike. From samples x [n, width],
 * outputs y [n, outCopies·d] and Jacobians [n, outCopies·d, width] (host data).
 */
export function equivariantFromJacobians(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  jac: ArrayLike<number>,
  shape: { n: number; width: number; outCopies: number },
  opts: NullspaceOptions = {},
): Discovery {
  const { n, width, outCopies } = shape;
  const copies = opts.copies ?? 1;
  const d = sizes("equivariantFromJacobians", n, width, copies);
  checkCount("equivariantFromJacobians", opts.k, d * d);
  if (!Number.isInteger(outCopies) || outCopies < 1)
    throw new ConfigError(`equivariantFromJacobians: outCopies must be an integer ≥ 1, got ${outCopies}`);
  const m = outCopies * d;
  checkData("equivariantFromJacobians: x", x, n, width);
  checkData("equivariantFromJacobians: y", y, n, m);
  checkData("equivariantFromJacobians: Jacobians", jac, n * m, width);
  const acc = new Constraints(d);
  const row = new Float64Array(d * d);
  for (let s = 0; s < n; s++)
    for (let oc = 0; oc < outCopies; oc++)
      for (let i = 0; i < d; i++) {
        row.fill(0);
        const jr = (s * m + oc * d + i) * width;
        // Σ_c Σ_ab J[(oc,i),(c,a)] L_ab x_{c,b} − Σ_b L_ib y_{oc,b}
        for (let c = 0; c < copies; c++)
          for (let a = 0; a < d; a++) {
            const J = jac[jr + c * d + a]!;
            if (J === 0) continue;
            for (let b = 0; b < d; b++) row[a * d + b] = row[a * d + b]! + J * x[s * width + c * d + b]!;
          }
        for (let b = 0; b < d; b++) row[i * d + b] = row[i * d + b]! - y[s * m + oc * d + b]!;
        acc.add(row);
      }
  return acc.solve("equivariant", opts, { samples: n, copies, outCopies });
}

/** ∂f_o/∂x for every output o of a batched f: [n, width] → [n, outputs] (or [n]), by autodiff. Host [n, outputs, width]. */
async function gradients(
  f: (x: JArray) => JArray,
  x: ArrayLike<number>,
  n: number,
  width: number,
  ad: AutodiffOptions,
): Promise<{ y: Float64Array; grads: Float64Array; outputs: number }> {
  const dtype = ad.dtype ?? "float64";
  const device = ad.device ?? "cpu";
  return withDevice(device, () => {
    const mk = () => fromHost(x, [n, width], { dtype, device, what: "discovery samples", finite: true });
    const y0 = f(mk());
    const outputs = y0.ndim === 1 ? 1 : y0.shape[1]!;
    if (y0.shape[0] !== n || y0.ndim > 2) {
      const s = y0.shape;
      y0.dispose();
      throw new ConfigError(
        `discovery: f must map [${n}, ${width}] to [${n}] or [${n}, outputs], got [${s.join(", ")}]`,
      );
    }
    const y = toFloat64(y0);
    const grads = new Float64Array(n * outputs * width);
    for (let o = 0; o < outputs; o++) {
      const g = toFloat64(
        grad((v: JArray) => {
          const out = f(v);
          return np.sum(out.ndim === 1 ? out : out.slice([], o));
        })(mk()),
      );
      for (let s = 0; s < n; s++)
        for (let j = 0; j < width; j++) grads[(s * outputs + o) * width + j] = g[s * width + j]!;
    }
    return { y, grads, outputs };
  });
}

/**
 * `invariantFromGradients` with the gradients of f (a batched jax-js function, e.g. a trained
 * network's apply with its parameters bound) computed by autodiff at the samples x [n, width].
 */
export async function discoverInvariant(
  f: (x: JArray) => JArray,
  x: ArrayLike<number>,
  shape: { n: number; width: number },
  opts: NullspaceOptions & AutodiffOptions = {},
): Promise<Discovery> {
  const { grads, outputs } = await gradients(f, x, shape.n, shape.width, opts);
  return invariantFromGradients(x, grads, { ...shape, outputs }, opts);
}

/** `equivariantFromJacobians` with f's outputs and Jacobians computed by autodiff at the samples. */
export async function discoverEquivariant(
  f: (x: JArray) => JArray,
  x: ArrayLike<number>,
  shape: { n: number; width: number; outCopies: number },
  opts: NullspaceOptions & AutodiffOptions = {},
): Promise<Discovery> {
  const { y, grads, outputs } = await gradients(f, x, shape.n, shape.width, opts);
  const d = shape.width / (opts.copies ?? 1);
  if (outputs !== shape.outCopies * d)
    throw new ConfigError(
      `discoverEquivariant: f has ${outputs} outputs, expected outCopies × d = ${shape.outCopies} × ${d}`,
    );
  return equivariantFromJacobians(x, y, grads, shape, opts);
}
