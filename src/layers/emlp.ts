/**
 * EMLP layers (Finzi, Welling, Wilson 2021): equivariant linear maps built from the solved basis
 * of Hom(repIn, repOut), cheap equivariant bilinear layers, gated nonlinearities, the EMLP block
 * and the EMLP model. Every layer declares `repIn`/`repOut` (DESIGN principle 4); `chain`
 * checks neighbours when the model is built. Inputs are [B, repIn.size], outputs [B, repOut.size].
 *
 * Layout: a rep's summands are grouped by type (structure); within a type group the coordinates
 * are copy-major. Each layer computes in the type-sorted order and folds the permutation back to
 * the rep's own order into its weight (one gather of the weight, none of the batch) when the
 * rep's types are not already contiguous.
 *
 * Speed (jax-js Wasm): a matmul runs on SIMD only when its operands are contiguous along the
 * reduction axis with a reduction size divisible by 4, or contiguous/broadcast along the output's
 * last axis with that size divisible by 4. Hidden sizes here (414, 164, 125, 25, 5) mostly are not,
 * so the layers also run feature-major ([features, B], `applyT`): every forward and backward
 * matmul then vectorises along the batch. W is built once per step as a materialised [nOut, nIn]
 * matrix; the bilinear layer uses broadcast products reduced over small axes with the batch last.
 */
import { nn, numpy as np, random, type Array as JArray, type DType, type Device } from "../jax.js";
import { getFloatDtype, toDType, type FloatDtype } from "../core/engine.js";
import { ConfigError, NoetherError, ShapeError, fmtShape } from "../core/errors.js";
import { splitKey } from "../core/rng.js";
import type { Group } from "../groups/group.js";
import { orthogonalMatrix } from "../nn/init.js";
import { Scalar, T, TrivialRep, directSum, tensorProduct, type Rep } from "../reps/rep.js";
import { equivariantBasis, type EquivariantBasis, type HomBlock, type SolveOptions } from "../solve/basis.js";

// A loose parameter type (plain trees of arrays); jax-js treats the leaves.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyParams = any;

/** A module over plain parameter trees that declares repIn/repOut. */
export interface RepModule<P = AnyParams> {
  readonly repIn: Rep;
  readonly repOut: Rep;
  readonly kind: string;
  readonly inSize: number;
  readonly outSize: number;
  /** Fresh parameters (consumes `key`). */
  init(key: JArray): P;
  /** [B, repIn.size] → [B, repOut.size]; consumes params and x. */
  apply(params: P, x: JArray): JArray;
  /**
   * The same map in the feature-major layout, [repIn.size, B] → [repOut.size, B] (consumes
   * params and xT). With the batch on the last axis every matmul of the forward and backward pass
   * is contiguous along the batch (SIMD on Wasm whatever the feature sizes, for B a multiple of 4);
   * `chain`/`EMLP` run their layers in this layout when all of them provide it.
   */
  applyT?(params: P, xT: JArray): JArray;
}

// ---------------------------------------------------------------------------------------------
// Type layout of a representation

interface TypeGroupInfo {
  /** A representative summand of this type. */
  rep: Rep;
  /** Number of copies. */
  count: number;
  /** Offset of the group in the type-sorted layout. */
  sortedOffset: number;
  /** Original coordinate indices of the group, copy-major [count, rep.size]. */
  index: Int32Array;
}

interface TypeLayout {
  groups: TypeGroupInfo[];
  /** sorted position → original index. */
  perm: Int32Array;
  /** original index → sorted position. */
  inv: Int32Array;
  identity: boolean;
}

const layoutCache = new WeakMap<Rep, TypeLayout>();

function typeLayout(rep: Rep): TypeLayout {
  const hit = layoutCache.get(rep);
  if (hit) return hit;
  const byKey = new Map<string, { rep: Rep; offsets: number[] }>();
  let off = 0;
  for (const s of rep.summands()) {
    let g = byKey.get(s.structure);
    if (!g) {
      g = { rep: s, offsets: [] };
      byKey.set(s.structure, g);
    }
    g.offsets.push(off);
    off += s.size;
  }
  const groups: TypeGroupInfo[] = [];
  const perm = new Int32Array(rep.size);
  let p = 0;
  for (const g of byKey.values()) {
    const sz = g.rep.size;
    const index = new Int32Array(g.offsets.length * sz);
    g.offsets.forEach((o, a) => {
      for (let i = 0; i < sz; i++) index[a * sz + i] = o + i;
    });
    groups.push({ rep: g.rep, count: g.offsets.length, sortedOffset: p, index });
    perm.set(index, p);
    p += index.length;
  }
  const inv = new Int32Array(rep.size);
  let identity = true;
  for (let i = 0; i < perm.length; i++) {
    inv[perm[i]!] = i;
    if (perm[i] !== i) identity = false;
  }
  const out = { groups, perm, inv, identity };
  layoutCache.set(rep, out);
  return out;
}

function isScalarType(r: Rep): boolean {
  return r instanceof TrivialRep && r.size === 1;
}

/** Dtype and device of an array (read before it is consumed). */
interface Placement {
  dtype: DType;
  device: Device;
}

function placement(x: JArray): Placement {
  return { dtype: x.dtype, device: x.device };
}

/** A constant array from host data with a placement. */
function constAt(data: ArrayLike<number>, shape: number[], at: Placement): JArray {
  const buf = at.dtype === np.float64 ? Float64Array.from(data) : Float32Array.from(data);
  return np.array(buf, { shape, dtype: at.dtype, device: at.device });
}

function hostArray(data: Float64Array, shape: number[], dtype: DType): JArray {
  return np.array(dtype === np.float64 ? Float64Array.from(data) : Float32Array.from(data), { shape, dtype });
}

function indexArray(idx: Int32Array, at: Placement): JArray {
  return np.array(idx, { shape: [idx.length], dtype: np.int32, device: at.device });
}

function checkInput(who: string, rep: Rep, x: JArray): void {
  const last = x.shape[x.shape.length - 1];
  if (x.ndim !== 2 || last !== rep.size) {
    const shape = x.shape;
    x.dispose();
    throw new ShapeError(
      `${who}: input of shape ${fmtShape(shape)} does not match repIn ${rep.structure} of size ${rep.size}; expected [B, ${rep.size}]`,
    );
  }
}

function checkInputT(who: string, rep: Rep, xT: JArray): void {
  if (xT.ndim !== 2 || xT.shape[0] !== rep.size) {
    const shape = xT.shape;
    xT.dispose();
    throw new ShapeError(`${who}: feature-major input of shape ${fmtShape(shape)} does not match repIn ${rep.structure} of size ${rep.size}; expected [${rep.size}, B]`);
  }
}

/**
 * Feature-major matmul W [M, Kd] @ X [Kd, N] (X's last axis the batch), with the contraction
 * padded with zeros to a multiple of 4 (W's columns, X's rows; both materialised by the
 * concatenation). jax-js's Wasm matmul kernels vectorise along a contraction or output axis only
 * when its size is a multiple of 4; the backward pass of W @ X produces X's cotangent batch-major
 * ([N, Kd]), so without the padding the gradient kernels of contractions such as 125 = 5·25 or 25
 * run scalar (10–50× slower). Padding keeps all three (forward, dW, dX) on SIMD.
 */
function mmFM(W: JArray, X: JArray, at: Placement): JArray {
  const Kd = W.shape[1]!;
  const pad = (4 - (Kd % 4)) % 4;
  if (pad === 0 || X.shape[1]! % 4 !== 0) return np.matmul(W, X);
  const M = W.shape[0]!;
  const N = X.shape[1]!;
  const Wp = np.concatenate([W, np.zeros([M, pad], at)], 1);
  const Xp = np.concatenate([X, np.zeros([pad, N], at)], 0);
  return np.matmul(Wp, Xp);
}

/** Rows [start, start+len) of a [N, B] array (keeps x alive). */
function sliceRows(x: JArray, start: number, len: number): JArray {
  if (start === 0 && len === x.shape[0]) return x.ref;
  return x.ref.slice([start, start + len]);
}

function paramDtype(d: FloatDtype | undefined): DType {
  return toDType(d ?? getFloatDtype());
}

/** Host float64 data of a uniform / orthogonal draw from a key (consumes the key). */
function hostDraw(key: JArray, n: number, kind: "normal" | "uniform"): Float64Array {
  const a = kind === "normal" ? random.normal(key, [n]) : random.uniform(key, [n]);
  const d = a.astype(np.float64).dataSync();
  return d instanceof Float64Array ? d : Float64Array.from(d as ArrayLike<number>);
}

/** An orthogonal [rows, cols] matrix (orthonormal rows or columns) from a key, as PyTorch/objax orthogonal init. */
function orthogonalHost(key: JArray, rows: number, cols: number): Float64Array {
  return orthogonalMatrix(hostDraw(key, rows * cols, "normal"), rows, cols);
}

// ---------------------------------------------------------------------------------------------
// Equivariant linear

export interface EquivariantLinearParams {
  [k: string]: JArray[];
  /**
   * One block per solved type pair (EquivariantBasis block order): with the "projected"
   * parametrization the unconstrained entries [m·n, no·ni] of that block of W (projected onto the
   * basis in the forward pass), with "basis" the coefficients [m·n, r].
   */
  w: JArray[];
  /** Bias per invariant block of repOut: entries [m, no] ("projected") or coefficients [m, r] ("basis"); empty when repOut has no invariants. */
  b: JArray[];
}

/**
 * How an equivariant linear layer holds its weights.
 * - "projected" (default, as EMLP): a full weight per block, W = P·w with P = QQᵀ the orthogonal
 *   projector onto the equivariant maps. Same functions as "basis", but Adam's per-entry scaling
 *   then moves a basis direction spread over k entries ~√k times faster; EMLP's published
 *   results were trained this way (measured: our EMLPs under-fit with "basis", see emlp.ts).
 * - "basis": the coefficients c of W = Σ cᵢQᵢ (fewest parameters: Σ m·n·r).
 */
export type LinearParametrization = "projected" | "basis";

export interface EquivariantLinearOptions {
  /** Add a bias in the invariant subspace of repOut (default true). */
  bias?: boolean;
  /** Parameter dtype (default: the engine's float dtype at init). */
  dtype?: FloatDtype;
  /** Solver options for the basis. */
  solve?: SolveOptions;
  /** Weight parametrization (default "projected", as EMLP). */
  parametrization?: LinearParametrization;
}

function tryBasis(repIn: Rep, repOut: Rep, opts?: SolveOptions): EquivariantBasis | null {
  try {
    return equivariantBasis(repIn, repOut, opts);
  } catch (e) {
    if (e instanceof NoetherError && /no equivariant map/.test(e.message)) return null;
    throw e;
  }
}

/**
 * Block (out type g, in type g') of W [m·no, n·ni] from coefficients C [m·n, r] and the basis
 * Q [no·ni, r] (contiguous, reduction axis last): W[b,o,a,i] = Σ_r C[b·n+a, r] Q[o·ni+i, r].
 * Rank 1 is a broadcast product (no matmul with a reduction of size 1); scalar types need no
 * transpose. The transpose of a non-scalar block is materialised by the concatenation that
 * assembles W (its pieces are computed in their own kernels).
 */
function blockW(C: JArray, Q: JArray, m: number, n: number, no: number, ni: number, r: number): JArray {
  const P = r === 1 ? C.mul(Q.reshape([1, no * ni])) : np.matmul(C, Q.transpose([1, 0])); // [m·n, no·ni]
  if (no === 1 && ni === 1) return P.reshape([m, n]);
  return P.reshape([m, n, no, ni]).transpose([0, 2, 1, 3]).reshape([m * no, n * ni]);
}

/**
 * Equivariant linear layer y = x Wᵀ + b with W = Σᵢ cᵢQᵢ ∈ Hom(repIn, repOut) (Q the solved
 * basis, c the parameters) and b in the invariant subspace of repOut. Initialised as EMLP: an
 * orthogonal [nOut, nIn] matrix and a U(0,1)/√nOut bias, projected onto the equivariant maps.
 * `weight(params)` returns Wᵀ [nIn, nOut] (differentiable). Throws "no equivariant map from A to B".
 */
export function EquivariantLinear(
  repIn: Rep,
  repOut: Rep,
  opts: EquivariantLinearOptions = {},
): RepModule<EquivariantLinearParams> & { basis: EquivariantBasis; biasBasis: EquivariantBasis | null; weight(p: EquivariantLinearParams, at: Placement): JArray } {
  const basis = equivariantBasis(repIn, repOut, opts.solve);
  const biasBasis = opts.bias === false ? null : tryBasis(Scalar(repIn.G), repOut, opts.solve);
  const Lin = typeLayout(repIn);
  const Lout = typeLayout(repOut);
  const nIn = repIn.size;
  const nOut = repOut.size;
  // Block lookup by (out type, in type).
  const blockOf = new Map<string, number>();
  basis.blocks.forEach((b, i) => blockOf.set(`${b.outRep.structure}|${b.inRep.structure}`, i));
  // Basis blocks as stored ([no·ni, r], row-major) are already the contiguous Q of blockW.
  const Qh = basis.blocks.map((b) => b.basis);
  const biasBlockOf = new Map<string, number>();
  biasBasis?.blocks.forEach((b, i) => biasBlockOf.set(b.outRep.structure, i));
  const bQT = biasBasis?.blocks.map((b) => transposeHost(b.basis, b.outRep.size, b.rank)) ?? [];
  const parametrization = opts.parametrization ?? "projected";
  if (parametrization !== "projected" && parametrization !== "basis")
    throw new ConfigError(`EquivariantLinear: parametrization must be "projected" or "basis", got ${JSON.stringify(parametrization)}`);
  const projected = parametrization === "projected";
  /** Coefficients [rows, r] of a block's parameters: themselves ("basis") or their projection w·Q ("projected"). */
  const coeffs = (w: JArray, Q: Float64Array, width: number, r: number, like: Placement): JArray => (projected ? np.matmul(w, constAt(Q, [width, r], like)) : w);

  /** W [nOut, nIn] in the reps' own order (out-major: x @ Wᵀ reduces over W's last axis). */
  const weightMat = (p: EquivariantLinearParams, like: Placement): JArray => {
    const rows: JArray[] = [];
    for (const go of Lout.groups) {
      const cols: JArray[] = [];
      for (const gi of Lin.groups) {
        const k = blockOf.get(`${go.rep.structure}|${gi.rep.structure}`);
        const n = gi.count;
        const m = go.count;
        const ni = gi.rep.size;
        const no = go.rep.size;
        if (k === undefined) cols.push(np.zeros([m * no, n * ni], like));
        else {
          const b = basis.blocks[k]!;
          cols.push(blockW(coeffs(p.w[k]!, Qh[k]!, no * ni, b.rank, like), constAt(Qh[k]!, [no * ni, b.rank], like), m, n, no, ni, b.rank));
        }
      }
      rows.push(cols.length === 1 ? cols[0]! : np.concatenate(cols, 1));
    }
    let W = rows.length === 1 ? rows[0]! : np.concatenate(rows, 0);
    if (!Lout.identity) W = np.take(W, indexArray(Lout.inv, like), 0);
    if (!Lin.identity) W = np.take(W, indexArray(Lin.inv, like), 1);
    return W;
  };
  const weight = (p: EquivariantLinearParams, like: Placement): JArray => weightMat(p, like).transpose([1, 0]);
  const biasVec = (p: EquivariantLinearParams, like: Placement): JArray | null => {
    if (biasBasis === null) return null;
    const parts: JArray[] = [];
    for (const go of Lout.groups) {
      const k = biasBlockOf.get(go.rep.structure);
      const len = go.count * go.rep.size;
      if (k === undefined) parts.push(np.zeros([len], like));
      else {
        const b = biasBasis.blocks[k]!;
        parts.push(np.matmul(coeffs(p.b[k]!, b.basis, go.rep.size, b.rank, like), constAt(bQT[k]!, [b.rank, go.rep.size], like)).reshape([len]));
      }
    }
    let bv = parts.length === 1 ? parts[0]! : np.concatenate(parts, 0);
    if (!Lout.identity) bv = np.take(bv, indexArray(Lout.inv, like), 0);
    return bv;
  };

  return {
    kind: "EquivariantLinear",
    repIn,
    repOut,
    inSize: nIn,
    outSize: nOut,
    basis,
    biasBasis,
    weight: (p, at) => weight(p, at),
    init(key) {
      const [kw, kb] = splitKey(key, 2) as [JArray, JArray];
      const dtype = paramDtype(opts.dtype);
      const W0 = orthogonalHost(kw, nOut, nIn);
      let w: JArray[];
      if (projected) w = basis.blocks.map((b) => hostArray(blockEntries(W0, nIn, b), [b.mOut * b.nIn, b.outRep.size * b.inRep.size], dtype));
      else {
        const c = basis.coefficients(W0);
        w = basis.blocks.map((b) => hostArray(c.subarray(b.offset, b.offset + b.mOut * b.nIn * b.rank), [b.mOut * b.nIn, b.rank], dtype));
      }
      let bList: JArray[] = [];
      if (biasBasis !== null) {
        const u = hostDraw(kb, nOut, "uniform").map((v) => v / Math.sqrt(nOut));
        if (projected) bList = biasBasis.blocks.map((b) => hostArray(blockEntries(u, 1, b), [b.mOut, b.outRep.size], dtype));
        else {
          const cb = biasBasis.coefficients(u);
          bList = biasBasis.blocks.map((b) => hostArray(cb.subarray(b.offset, b.offset + b.mOut * b.rank), [b.mOut, b.rank], dtype));
        }
      } else kb.dispose();
      return { w, b: bList };
    },
    apply(p, x) {
      checkInput("EquivariantLinear", repIn, x);
      const at = placement(x);
      // W is materialised [nOut, nIn] (a concatenation, a gather or a block product); its
      // transposed view keeps the reduction axis contiguous, which keeps the matmul on SIMD.
      const W = weightMat(p, at);
      let y = np.matmul(x, W.transpose([1, 0]));
      const bv = biasVec(p, at);
      if (bv !== null) y = y.add(bv);
      return y;
    },
    applyT(p, xT) {
      checkInputT("EquivariantLinear", repIn, xT);
      const at = placement(xT);
      let y = mmFM(weightMat(p, at), xT, at); // [nOut, B]
      const bv = biasVec(p, at);
      if (bv !== null) y = y.add(bv.reshape([nOut, 1]));
      return y;
    },
  };
}

/** The entries of one Hom block of W [nOut, nIn] in parameter layout [m·n, no·ni]: row a·n+j, column o·ni+i. */
function blockEntries(W: Float64Array, nIn: number, b: HomBlock): Float64Array {
  const no = b.outRep.size;
  const ni = b.inRep.size;
  const out = new Float64Array(b.mOut * b.nIn * no * ni);
  for (let a = 0; a < b.mOut; a++)
    for (let j = 0; j < b.nIn; j++)
      for (let o = 0; o < no; o++) {
        const row = b.outIndex[a * no + o]! * nIn;
        const base = ((a * b.nIn + j) * no + o) * ni;
        for (let i = 0; i < ni; i++) out[base + i] = W[row + b.inIndex[j * ni + i]!]!;
      }
  return out;
}

function transposeHost(a: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j]!;
  return t;
}

// ---------------------------------------------------------------------------------------------
// Bilinear

export interface EquivariantBilinearParams {
  [k: string]: JArray[];
  /** One weight per active block, [m, K·n] (out copy; selected source copy, input copy). */
  w: JArray[];
}

interface BilinearBlock {
  out: TypeGroupInfo;
  inp: TypeGroupInfo;
  /** The type group of x supplying the weights (type out ⊗ in*). */
  src: TypeGroupInfo;
  /** Selected copies of src (K ≤ src.rep.size). */
  K: number;
}

/**
 * A contiguous copy of a (transposed) view inside jit: the multiplication by a non-literal one is
 * not folded away, so jit materialises it in its own elementwise kernel and a matmul reading it
 * sees a contiguous operand (a transposed view reaching a matmul runs on the scalar path).
 */
function contiguous(x: JArray, one: JArray): JArray {
  return x.mul(one.ref);
}

/**
 * EMLP's cheap equivariant bilinear layer: y = 0.1·W(x)·x, where each block of W(x) whose type
 * b ⊗ a* (b a summand type of repOut, a of repIn) equals a non-scalar summand type c of x is a
 * learned combination of (up to dim c) copies of c in x. Equivariant because W(g·x) = ρ_out W(x) ρ_in⁻¹.
 * Weights ~ N(0, 1) as EMLP. repIn and repOut share the group.
 *
 * Per block (m copies of out type b of size no, n copies of in type a of size ni, K copies of
 * c = b ⊗ a*, weight w [m, K·n]): y[b,o] = Σ_{k,a,i} w[b, k·n+a] c_k[o,i] x_a[i], computed as
 * - ni = 1 (scalar inputs): t = x_a @ wᵀ [B, m, K] (one 2-D matmul), then y = t @ c per sample;
 * - otherwise: z[k,o,a] = Σ_i c_k[o,i] x_a[i] per sample (a batched matmul reducing over the
 *   contiguous i), then one 2-D matmul [B·no, K·n] @ wᵀ.
 * Every matmul operand is contiguous along its reduction axis.
 */
export function EquivariantBilinear(repIn: Rep, repOut: Rep, opts: { dtype?: FloatDtype; scale?: number } = {}): RepModule<EquivariantBilinearParams> & { blocks: number; weights: number } {
  if (repIn.G.key !== repOut.G.key) throw new ConfigError(`EquivariantBilinear: repIn is a representation of ${repIn.G.name} but repOut of ${repOut.G.name}`);
  const Lin = typeLayout(repIn);
  const Lout = typeLayout(repOut);
  const srcOf = new Map<string, TypeGroupInfo>();
  for (const g of Lin.groups) if (!isScalarType(g.rep)) srcOf.set(g.rep.structure, g);
  const blocks: BilinearBlock[] = [];
  for (const go of Lout.groups)
    for (const gi of Lin.groups) {
      const c = tensorProduct(go.rep, gi.rep.dual());
      const src = srcOf.get(c.structure);
      if (src === undefined) continue;
      blocks.push({ out: go, inp: gi, src, K: Math.min(src.count, src.rep.size) });
    }
  const scale = opts.scale ?? 0.1;
  const nOut = repOut.size;
  let weights = 0;
  for (const b of blocks) weights += b.inp.count * b.K * b.out.count;
  return {
    kind: "EquivariantBilinear",
    repIn,
    repOut,
    inSize: repIn.size,
    outSize: nOut,
    blocks: blocks.length,
    weights,
    init(key) {
      const dtype = paramDtype(opts.dtype);
      const keys = blocks.length > 0 ? splitKey(key, blocks.length) : (key.dispose(), []);
      return { w: blocks.map((b, i) => random.normal(keys[i]!, [b.out.count, b.K * b.inp.count]).astype(dtype)) };
    },
    apply(p, x) {
      checkInput("EquivariantBilinear", repIn, x);
      const B = x.shape[0]!;
      const at = placement(x);
      const one = np.ones([1], at);
      const xs = Lin.identity ? x : np.take(x, indexArray(Lin.perm, at), 1);
      const outParts = new Map<TypeGroupInfo, JArray>();
      blocks.forEach((b, k) => {
        const no = b.out.rep.size;
        const ni = b.inp.rep.size;
        const m = b.out.count;
        const n = b.inp.count;
        const K = b.K;
        const w = p.w[k]!; // [m, K·n]
        const src = sliceCols(xs, b.src.sortedOffset, K * b.src.rep.size); // [B, K·no·ni]
        const xa = sliceCols(xs, b.inp.sortedOffset, n * ni); // [B, n·ni]
        let yb: JArray; // [B, m·no]
        if (ni === 1) {
          // t[B, m, K] = Σ_a x_a w[b, k, a]; y[B, m, no] = t @ c (c as contiguous [B, no, K]).
          const t = np.matmul(xa, w.reshape([m * K, n]).transpose([1, 0])).reshape([B, m, K]);
          const cT = contiguous(src.reshape([B, K, no]).transpose([0, 2, 1]), one); // [B, no, K]
          yb = np.matmul(t, cT.transpose([0, 2, 1])).reshape([B, m * no]);
        } else {
          // z[B, K·no, n] = Σ_i c[B, K·no, i] x_a[B, n, i]
          const z = np.matmul(src.reshape([B, K * no, ni]), xa.reshape([B, n, ni]).transpose([0, 2, 1]));
          if (no === 1) yb = np.matmul(z.reshape([B, K * n]), w.transpose([1, 0]));
          else {
            const zz = contiguous(z.reshape([B, K, no, n]).transpose([0, 2, 1, 3]), one).reshape([B * no, K * n]);
            yb = np.matmul(zz, w.transpose([1, 0])).reshape([B, no, m]).transpose([0, 2, 1]).reshape([B, m * no]);
          }
        }
        const prev = outParts.get(b.out);
        outParts.set(b.out, prev === undefined ? yb : prev.add(yb));
      });
      one.dispose();
      const parts = Lout.groups.map((g) => outParts.get(g) ?? np.zeros([B, g.count * g.rep.size], at));
      xs.dispose();
      let y = parts.length === 1 ? parts[0]! : np.concatenate(parts, 1);
      if (!Lout.identity) y = np.take(y, indexArray(Lout.inv, at), 1);
      return y.mul(scale);
    },
    applyT(p, xT) {
      checkInputT("EquivariantBilinear", repIn, xT);
      const B = xT.shape[1]!;
      const at = placement(xT);
      const xs = Lin.identity ? xT : np.take(xT, indexArray(Lin.perm, at), 0);
      const outParts = new Map<TypeGroupInfo, JArray>();
      blocks.forEach((b, k) => {
        const no = b.out.rep.size;
        const ni = b.inp.rep.size;
        const m = b.out.count;
        const n = b.inp.count;
        const K = b.K;
        const w = p.w[k]!; // [m, K·n]
        const c = sliceRows(xs, b.src.sortedOffset, K * b.src.rep.size); // [K·no·ni, B]
        const xa = sliceRows(xs, b.inp.sortedOffset, n * ni); // [n·ni, B]
        let yb: JArray; // [m·no, B]
        // Contract x_a with w first (t: m·K·ni per sample) or x_a with c first (z: K·n·no per sample).
        const costT = m * K * n * ni + m * no * K * ni;
        const costZ = K * n * no * ni + m * K * n * no;
        if (costT <= costZ) {
          const t = mmFM(w.reshape([m * K, n]), xa.reshape([n, ni * B]), at); // [m·K, ni·B]
          if (ni === 1) yb = t.reshape([m, K, 1, B]).mul(c.reshape([1, K, no, B])).sum(1);
          else {
            const cc = c.reshape([K, no, ni, B]).transpose([1, 0, 2, 3]).reshape([1, no, K, ni, B]);
            yb = t.reshape([m, 1, K, ni, B]).mul(cc).sum([2, 3]);
          }
        } else {
          const z = c.reshape([K, 1, no, ni, B]).mul(xa.reshape([1, n, 1, ni, B])).sum(3); // [K, n, no, B]
          yb = mmFM(w, z.reshape([K * n, no * B]), at);
        }
        yb = yb.reshape([m * no, B]);
        const prev = outParts.get(b.out);
        outParts.set(b.out, prev === undefined ? yb : prev.add(yb));
      });
      const parts = Lout.groups.map((g) => outParts.get(g) ?? np.zeros([g.count * g.rep.size, B], at));
      xs.dispose();
      let y = parts.length === 1 ? parts[0]! : np.concatenate(parts, 0);
      if (!Lout.identity) y = np.take(y, indexArray(Lout.inv, at), 0);
      return y.mul(scale);
    },
  };
}

/** Columns [start, start+len) of a [B, N] array (keeps x alive). */
function sliceCols(x: JArray, start: number, len: number): JArray {
  if (start === 0 && len === x.shape[1]) return x.ref;
  return x.ref.slice([], [start, start + len]);
}

// ---------------------------------------------------------------------------------------------
// Gated nonlinearity

/**
 * k·Scalar ⊕ rep: one extra scalar gate per non-scalar summand of rep (EMLP's `gated`, with the
 * gates placed first so that a rep whose types are contiguous with scalars first, as
 * `uniformRep`, stays type-contiguous: its layers then need no permutation of the batch).
 */
export function gated(rep: Rep): Rep {
  const k = rep.summands().filter((s) => !isScalarType(s)).length;
  return k === 0 ? rep : directSum(...Array.from({ length: k }, () => Scalar(rep.G)), rep);
}

/** For each coordinate of rep: the index in gated(rep) of its gate (its own position for scalars). */
export function gateIndices(rep: Rep): Int32Array {
  const ss = rep.summands();
  const k = ss.filter((s) => !isScalarType(s)).length;
  const idx = new Int32Array(rep.size);
  let off = 0;
  let j = 0;
  for (const s of ss) {
    if (isScalarType(s)) idx[off] = k + off;
    else {
      for (let i = 0; i < s.size; i++) idx[off + i] = j;
      j++;
    }
    off += s.size;
  }
  return idx;
}

/**
 * Gated nonlinearity: input gated(rep) [B, k + rep.size], output [B, rep.size]; each non-scalar
 * summand is multiplied by σ(its gate), each scalar s becomes s·σ(s) (swish). When rep's types
 * are contiguous, each type group is one broadcast product of column slices (no gather).
 */
export function GatedNonlinearity(rep: Rep): RepModule<Record<string, never>> {
  const repIn = gated(rep);
  const gates = gateIndices(rep);
  const k = repIn.size - rep.size;
  const keep = Int32Array.from({ length: rep.size }, (_, i) => k + i);
  const L = typeLayout(rep);
  // Contiguous type groups: [value offset, copies, size, gate offset (−1 for scalars)].
  const segs: [number, number, number, number][] | null = L.identity
    ? L.groups.map((g) => [g.sortedOffset, g.count, g.rep.size, isScalarType(g.rep) ? -1 : gates[g.sortedOffset]!])
    : null;
  if (segs !== null)
    for (const [off, cnt, sz, go] of segs) if (go >= 0) for (let c = 0; c < cnt; c++) if (gates[off + c * sz] !== go + c) segs.length = 0;
  const fast = segs !== null && segs.length > 0;
  return {
    kind: "GatedNonlinearity",
    repIn,
    repOut: rep,
    inSize: repIn.size,
    outSize: rep.size,
    init(key) {
      key.dispose();
      return {};
    },
    apply(_p, x) {
      checkInput("GatedNonlinearity", repIn, x);
      const at = placement(x);
      if (fast) {
        const B = x.shape[0]!;
        const parts = segs!.map(([off, cnt, sz, go]) => {
          const v = sliceCols(x, k + off, cnt * sz);
          if (go < 0) return nn.sigmoid(v.ref).mul(v);
          const g = nn.sigmoid(sliceCols(x, go, cnt)).reshape([B, cnt, 1]);
          return g.mul(v.reshape([B, cnt, sz])).reshape([B, cnt * sz]);
        });
        x.dispose();
        return parts.length === 1 ? parts[0]! : np.concatenate(parts, 1);
      }
      const g = nn.sigmoid(np.take(x.ref, indexArray(gates, at), 1));
      const v = k === 0 ? x : np.take(x, indexArray(keep, at), 1);
      return g.mul(v);
    },
    applyT(_p, xT) {
      checkInputT("GatedNonlinearity", repIn, xT);
      const at = placement(xT);
      if (fast) {
        const B = xT.shape[1]!;
        const parts = segs!.map(([off, cnt, sz, go]) => {
          const v = sliceRows(xT, k + off, cnt * sz);
          if (go < 0) return nn.sigmoid(v.ref).mul(v);
          const g = nn.sigmoid(sliceRows(xT, go, cnt)).reshape([cnt, 1, B]);
          return g.mul(v.reshape([cnt, sz, B])).reshape([cnt * sz, B]);
        });
        xT.dispose();
        return parts.length === 1 ? parts[0]! : np.concatenate(parts, 0);
      }
      const g = nn.sigmoid(np.take(xT.ref, indexArray(gates, at), 0));
      const v = k === 0 ? xT : np.take(xT, indexArray(keep, at), 0);
      return g.mul(v);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Blocks, chains, EMLP

export interface EMLPBlockParams {
  [k: string]: EquivariantLinearParams | EquivariantBilinearParams;
  linear: EquivariantLinearParams;
  bilinear: EquivariantBilinearParams;
}

/** EMLP block: h = Linear(repIn → gated(repOut)) x; out = Gate(Bilinear(h) + h) : repIn → repOut. */
export function EMLPBlock(
  repIn: Rep,
  repOut: Rep,
  opts: { dtype?: FloatDtype; bilinear?: boolean; solve?: SolveOptions; parametrization?: LinearParametrization } = {},
): RepModule<EMLPBlockParams> & { linear: ReturnType<typeof EquivariantLinear>; bilinear: ReturnType<typeof EquivariantBilinear> } {
  const g = gated(repOut);
  const linear = EquivariantLinear(repIn, g, { dtype: opts.dtype, solve: opts.solve, parametrization: opts.parametrization });
  const useBi = opts.bilinear !== false;
  const bilinear = EquivariantBilinear(g, g, { dtype: opts.dtype });
  const gate = GatedNonlinearity(repOut);
  return {
    kind: "EMLPBlock",
    linear,
    bilinear,
    repIn,
    repOut,
    inSize: repIn.size,
    outSize: repOut.size,
    init(key) {
      const [k1, k2] = splitKey(key, 2) as [JArray, JArray];
      return { linear: linear.init(k1), bilinear: useBi ? bilinear.init(k2) : (k2.dispose(), { w: [] }) };
    },
    apply(p, x) {
      checkInput("EMLPBlock", repIn, x);
      const h = linear.apply(p.linear, x);
      const pre = useBi && bilinear.weights > 0 ? bilinear.apply(p.bilinear, h.ref).add(h) : (p.bilinear.w.forEach((w) => w.dispose()), h);
      return gate.apply({}, pre);
    },
    applyT(p, xT) {
      checkInputT("EMLPBlock", repIn, xT);
      const h = linear.applyT!(p.linear, xT);
      const pre = useBi && bilinear.weights > 0 ? bilinear.applyT!(p.bilinear, h.ref).add(h) : (p.bilinear.w.forEach((w) => w.dispose()), h);
      return gate.applyT!({}, pre);
    },
  };
}

/** Short printable form of a rep for messages, e.g. "3V+T2" style: the structure string. */
function repName(r: Rep): string {
  return r.structure;
}

/**
 * Composes rep modules in order, checking at build time that each layer's repIn equals the
 * previous layer's repOut ("layer 2 expects repIn … but layer 1 gives …"). Params: a list.
 */
export function chain(...layers: RepModule[]): RepModule<AnyParams[]> & { layers: RepModule[] } {
  if (layers.length === 0) throw new ConfigError("chain: expected at least one layer");
  for (let i = 1; i < layers.length; i++) {
    const a = layers[i - 1]!;
    const b = layers[i]!;
    if (a.repOut.key !== b.repIn.key)
      throw new ConfigError(
        `layer ${i + 1} (${b.kind}) expects repIn ${repName(b.repIn)} (size ${b.repIn.size}) but layer ${i} (${a.kind}) gives ${repName(a.repOut)} (size ${a.repOut.size})` +
          (a.repOut.G.key !== b.repIn.G.key ? ` (groups ${a.repOut.G.name} and ${b.repIn.G.name} differ)` : ""),
      );
  }
  const first = layers[0]!;
  const last = layers[layers.length - 1]!;
  const allT = layers.every((l) => l.applyT !== undefined);
  return {
    kind: "chain",
    layers,
    repIn: first.repIn,
    repOut: last.repOut,
    inSize: first.repIn.size,
    outSize: last.repOut.size,
    init(key) {
      const keys = splitKey(key, layers.length);
      return layers.map((l, i) => l.init(keys[i]!));
    },
    apply(p, x) {
      checkInput(`${first.kind} (layer 1)`, first.repIn, x);
      if (!Array.isArray(p) || p.length !== layers.length) throw new ShapeError(`chain: expected ${layers.length} parameter entries, got ${Array.isArray(p) ? p.length : typeof p}`);
      if (allT) {
        // Feature-major through the whole chain: one transpose in (materialised by a product with a
        // non-literal one, so the first matmul reads a contiguous operand) and one out.
        const B = x.shape[0]!;
        const one = np.ones([1], placement(x));
        let hT = x.transpose([1, 0]).mul(one);
        layers.forEach((l, i) => {
          hT = l.applyT!(p[i], hT);
        });
        return last.outSize === 1 ? hT.reshape([B, 1]) : hT.transpose([1, 0]);
      }
      let h = x;
      layers.forEach((l, i) => {
        h = l.apply(p[i], h);
      });
      return h;
    },
    ...(allT
      ? {
          applyT(p: AnyParams[], xT: JArray) {
            let hT = xT;
            layers.forEach((l, i) => {
              hT = l.applyT!(p[i], hT);
            });
            return hT;
          },
        }
      : {}),
  };
}

/** Options of `uniformRep`. */
export interface UniformRepOptions {
  /** Largest tensor rank allowed (default: unlimited, as EMLP). */
  maxRank?: number;
}

/**
 * EMLP's `uniform_rep` heuristic: splits `ch` channels over tensor ranks 0..r so that each rank
 * gets a similar share of the dimensions (rank r tensors of ℝ^d have d^r channels), tensors of
 * rank r split binomially into T(k, r−k). Summands are ordered by rank then k (types contiguous).
 * @example uniformRep(384, O(5)) // 134·1 + 25·V + 5·V⊗V (size 384)
 */
export function uniformRep(ch: number, G: Group, opts: UniformRepOptions = {}): Rep {
  if (!Number.isInteger(ch) || ch < 1) throw new ConfigError(`uniformRep: channels must be an integer ≥ 1, got ${ch}`);
  const d = G.d;
  const cap = opts.maxRank ?? Infinity;
  const lambert = (c: number) => {
    let r = 0;
    while ((r + 1) * d ** r <= c && r <= cap) r++;
    return r - 1;
  };
  const Ns: number[] = [];
  let left = ch;
  while (left > 0) {
    const r = lambert(left);
    for (let k = 0; k <= r; k++) Ns[k] = (Ns[k] ?? 0) + d ** (r - k);
    left -= (r + 1) * d ** r;
  }
  const parts: Rep[] = [];
  Ns.forEach((N, r) => {
    if (!N) return;
    // Binomial split of N rank-r tensors into T(k, r−k); the remainder goes to central k first.
    const counts = Array.from({ length: r + 1 }, (_, k) => Math.floor(N / 2 ** r) * binom(r, k));
    let rest = N - counts.reduce((a, b) => a + b, 0);
    const order = Array.from({ length: r + 1 }, (_, k) => k).sort((a, b) => Math.abs(a - r / 2) - Math.abs(b - r / 2) || b - a);
    for (let i = 0; rest > 0; i = (i + 1) % order.length, rest--) counts[order[i]!]!++;
    counts.forEach((c, k) => {
      if (c > 0) parts.push(...Array.from({ length: c }, () => T(k, r - k, G)));
    });
  });
  // Merge equal types (orthogonal groups: T(k, r−k) all equal V^⊗r) keeping first-appearance order.
  const byType = new Map<string, Rep[]>();
  for (const p of parts) {
    const l = byType.get(p.structure);
    if (l) l.push(p);
    else byType.set(p.structure, [p]);
  }
  return directSum(...[...byType.values()].flat());
}

function binom(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - i + 1)) / i;
  return Math.round(r);
}

/** Options of `EMLP`. */
export interface EMLPOptions {
  /** Hidden channels per layer (uniformRep) or an explicit hidden Rep (default 384). */
  channels?: number | Rep;
  /** Number of EMLP blocks (default 3). */
  layers?: number;
  /** Largest tensor rank of the uniformRep hidden layers (default unlimited). */
  maxRank?: number;
  /** Include the bilinear layers (default true, as EMLP). */
  bilinear?: boolean;
  dtype?: FloatDtype;
  solve?: SolveOptions;
  /** Weight parametrization of the linear layers (default "projected", as EMLP). */
  parametrization?: LinearParametrization;
}

/**
 * Equivariant MLP: `layers` EMLPBlocks repIn → hidden → … → hidden, then EquivariantLinear
 * hidden → repOut. `group` must be the group of repIn and repOut. Input [B, repIn.size].
 * @example const net = EMLP(V(O5).times(2), Scalar(O5), O5, { channels: 384, layers: 3 });
 */
export function EMLP(repIn: Rep, repOut: Rep, group: Group, opts: EMLPOptions = {}): RepModule<AnyParams[]> & { hidden: Rep; layers: RepModule[] } {
  for (const [name, r] of [
    ["repIn", repIn],
    ["repOut", repOut],
  ] as const)
    if (r.G.key !== group.key) throw new ConfigError(`EMLP: ${name} ${r.structure} is a representation of ${r.G.name}, not of ${group.name}`);
  const nLayers = opts.layers ?? 3;
  if (!Number.isInteger(nLayers) || nLayers < 0) throw new ConfigError(`EMLP: layers must be an integer ≥ 0, got ${nLayers}`);
  const ch = opts.channels ?? 384;
  const hidden = typeof ch === "number" ? uniformRep(ch, group, { maxRank: opts.maxRank }) : ch;
  const reps = [repIn, ...Array.from({ length: nLayers }, () => hidden)];
  const layers: RepModule[] = [];
  for (let i = 0; i < nLayers; i++) layers.push(EMLPBlock(reps[i]!, reps[i + 1]!, { dtype: opts.dtype, bilinear: opts.bilinear, solve: opts.solve, parametrization: opts.parametrization }));
  layers.push(EquivariantLinear(reps[nLayers]!, repOut, { dtype: opts.dtype, solve: opts.solve, parametrization: opts.parametrization }));
  const net = chain(...layers);
  return { ...net, kind: "EMLP", hidden, layers };
}

/** H(params, x) → [B] from a scalar-output rep module (for `hamiltonianField`: EMLP as the Hamiltonian). */
export function asScalarFn<P>(m: RepModule<P>): (params: P, x: JArray) => JArray {
  if (m.repOut.size !== 1) throw new ConfigError(`asScalarFn: ${m.kind} has repOut ${m.repOut.structure} of size ${m.repOut.size}; a Hamiltonian needs a scalar output`);
  return (p, x) => {
    const B = x.shape[0]!;
    return m.apply(p, x).reshape([B]);
  };
}

/**
 * The action x ↦ x ρ(g)ᵀ of `rep` on a batch [B, rep.size] (consumes x), for the equivariance
 * harness and for augmentation: `assertEquivariant(f, { group: G, actIn: repAction(repIn), actOut: repAction(repOut) })`.
 */
export function repAction(rep: Rep): (g: Float64Array, x: JArray) => JArray {
  const n = rep.size;
  return (g, x) => {
    const R = rep.rho(g);
    const at = placement(x);
    return np.matmul(x, constAt(transposeHost(R, n, n), [n, n], at));
  };
}
