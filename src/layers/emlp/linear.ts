/**
 * The equivariant linear layer of EMLP (Finzi, Welling, Wilson 2021): W ∈ Hom(repIn, repOut) from
 * the solved basis (solve/basis.ts), block by pair of summand types, and a bias in the invariant
 * subspace of repOut. The layer computes in the type-sorted order (reps/layout.ts) and folds the
 * permutation back to the reps' own order into W (one gather of the weight, none of the batch).
 * W is built once per call as a materialised [nOut, nIn] matrix.
 */
import { numpy as np, type Array as JArray } from "../../jax.js";
import type { FloatDtype } from "../../core/engine.js";
import { ConfigError, NoetherError } from "../../core/errors.js";
import { fromHost, indexArray, placementOf, type Placement } from "../../core/host.js";
import { transpose } from "../../core/matrix.js";
import { splitKey } from "../../core/rng.js";
import type { RepModule } from "../../nn/module.js";
import { summandLayout } from "../../reps/layout.js";
import { Scalar, type Rep } from "../../reps/rep.js";
import { equivariantBasis, type EquivariantBasis, type HomBlock, type SolveOptions } from "../../solve/basis.js";
import { checkInput, checkInputT, hostDraw, mmFM, orthogonalHost, paramDtype } from "./shared.js";

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
 *   results were trained this way (measured: our EMLPs under-fit with "basis", see src/experiments/emlp.ts and bench/README.md).
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
  return P.reshape([m, n, no, ni])
    .transpose([0, 2, 1, 3])
    .reshape([m * no, n * ni]);
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
): RepModule<EquivariantLinearParams> & {
  basis: EquivariantBasis;
  biasBasis: EquivariantBasis | null;
  weight(p: EquivariantLinearParams, at: Placement): JArray;
} {
  const basis = equivariantBasis(repIn, repOut, opts.solve);
  const biasBasis = opts.bias === false ? null : tryBasis(Scalar(repIn.G), repOut, opts.solve);
  const Lin = summandLayout(repIn);
  const Lout = summandLayout(repOut);
  const nIn = repIn.size;
  const nOut = repOut.size;
  // Block lookup by (out type, in type).
  const blockOf = new Map<string, number>();
  basis.blocks.forEach((b, i) => blockOf.set(`${b.outRep.structure}|${b.inRep.structure}`, i));
  // Basis blocks as stored ([no·ni, r], row-major) are already the contiguous Q of blockW.
  const Qh = basis.blocks.map((b) => b.basis);
  const biasBlockOf = new Map<string, number>();
  biasBasis?.blocks.forEach((b, i) => biasBlockOf.set(b.outRep.structure, i));
  const bQT = biasBasis?.blocks.map((b) => transpose(b.basis, b.outRep.size, b.rank)) ?? [];
  const parametrization = opts.parametrization ?? "projected";
  if (parametrization !== "projected" && parametrization !== "basis")
    throw new ConfigError(
      `EquivariantLinear: parametrization must be "projected" or "basis", got ${JSON.stringify(parametrization)}`,
    );
  const projected = parametrization === "projected";
  /** Coefficients [rows, r] of a block's parameters: themselves ("basis") or their projection w·Q ("projected"). */
  const coeffs = (w: JArray, Q: Float64Array, width: number, r: number, like: Placement): JArray =>
    projected ? np.matmul(w, fromHost(Q, [width, r], like)) : w;

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
          cols.push(
            blockW(
              coeffs(p.w[k]!, Qh[k]!, no * ni, b.rank, like),
              fromHost(Qh[k]!, [no * ni, b.rank], like),
              m,
              n,
              no,
              ni,
              b.rank,
            ),
          );
        }
      }
      rows.push(cols.length === 1 ? cols[0]! : np.concatenate(cols, 1));
    }
    let W = rows.length === 1 ? rows[0]! : np.concatenate(rows, 0);
    if (!Lout.identity) W = np.take(W, indexArray(Lout.inv, like.device), 0);
    if (!Lin.identity) W = np.take(W, indexArray(Lin.inv, like.device), 1);
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
        parts.push(
          np
            .matmul(coeffs(p.b[k]!, b.basis, go.rep.size, b.rank, like), fromHost(bQT[k]!, [b.rank, go.rep.size], like))
            .reshape([len]),
        );
      }
    }
    let bv = parts.length === 1 ? parts[0]! : np.concatenate(parts, 0);
    if (!Lout.identity) bv = np.take(bv, indexArray(Lout.inv, like.device), 0);
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
      if (projected)
        w = basis.blocks.map((b) =>
          fromHost(blockEntries(W0, nIn, b), [b.mOut * b.nIn, b.outRep.size * b.inRep.size], { dtype }),
        );
      else {
        const c = basis.coefficients(W0);
        w = basis.blocks.map((b) =>
          fromHost(c.subarray(b.offset, b.offset + b.mOut * b.nIn * b.rank), [b.mOut * b.nIn, b.rank], { dtype }),
        );
      }
      let bList: JArray[] = [];
      if (biasBasis !== null) {
        const u = hostDraw(kb, nOut, "uniform").map((v) => v / Math.sqrt(nOut));
        if (projected)
          bList = biasBasis.blocks.map((b) => fromHost(blockEntries(u, 1, b), [b.mOut, b.outRep.size], { dtype }));
        else {
          const cb = biasBasis.coefficients(u);
          bList = biasBasis.blocks.map((b) =>
            fromHost(cb.subarray(b.offset, b.offset + b.mOut * b.rank), [b.mOut, b.rank], { dtype }),
          );
        }
      } else kb.dispose();
      return { w, b: bList };
    },
    apply(p, x) {
      checkInput("EquivariantLinear", repIn, x, p);
      const at = placementOf(x);
      // W is materialised [nOut, nIn] (a concatenation, a gather or a block product); its
      // transposed view keeps the reduction axis contiguous, which keeps the matmul on SIMD.
      const W = weightMat(p, at);
      let y = np.matmul(x, W.transpose([1, 0]));
      const bv = biasVec(p, at);
      if (bv !== null) y = y.add(bv);
      return y;
    },
    applyT(p, xT) {
      checkInputT("EquivariantLinear", repIn, xT, p);
      const at = placementOf(xT);
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
