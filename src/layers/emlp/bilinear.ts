/**
 * EMLP's cheap equivariant bilinear layer: each block of a weight matrix built from the input
 * itself (copies of a summand type of x that transform like out ⊗ in*) applied to the input.
 */
import { numpy as np, random, type Array as JArray } from "../../jax.js";
import type { FloatDtype } from "../../core/engine.js";
import { ConfigError } from "../../core/errors.js";
import { indexArray, placementOf } from "../../core/host.js";
import { splitKey } from "../../core/rng.js";
import type { RepModule } from "../../nn/module.js";
import { summandLayout, type SummandGroup } from "../../reps/layout.js";
import { tensorProduct, type Rep } from "../../reps/rep.js";
import { checkInput, checkInputT, contiguous, isScalarType, mmFM, paramDtype, sliceCols, sliceRows } from "./shared.js";

export interface EquivariantBilinearParams {
  [k: string]: JArray[];
  /** One weight per active block, [m, K·n] (out copy; selected source copy, input copy). */
  w: JArray[];
}

interface BilinearBlock {
  out: SummandGroup;
  inp: SummandGroup;
  /** The type group of x supplying the weights (type out ⊗ in*). */
  src: SummandGroup;
  /** Selected copies of src (K ≤ src.rep.size). */
  K: number;
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
export function EquivariantBilinear(
  repIn: Rep,
  repOut: Rep,
  opts: { dtype?: FloatDtype; scale?: number } = {},
): RepModule<EquivariantBilinearParams> & { blocks: number; weights: number } {
  if (repIn.G.key !== repOut.G.key)
    throw new ConfigError(
      `EquivariantBilinear: repIn is a representation of ${repIn.G.name} but repOut of ${repOut.G.name}`,
    );
  const Lin = summandLayout(repIn);
  const Lout = summandLayout(repOut);
  const srcOf = new Map<string, SummandGroup>();
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
      checkInput("EquivariantBilinear", repIn, x, p);
      const B = x.shape[0]!;
      const at = placementOf(x);
      const one = np.ones([1], at);
      const xs = Lin.identity ? x : np.take(x, indexArray(Lin.perm, at.device), 1);
      const outParts = new Map<SummandGroup, JArray>();
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
            yb = np
              .matmul(zz, w.transpose([1, 0]))
              .reshape([B, no, m])
              .transpose([0, 2, 1])
              .reshape([B, m * no]);
          }
        }
        const prev = outParts.get(b.out);
        outParts.set(b.out, prev === undefined ? yb : prev.add(yb));
      });
      one.dispose();
      const parts = Lout.groups.map((g) => outParts.get(g) ?? np.zeros([B, g.count * g.rep.size], at));
      xs.dispose();
      let y = parts.length === 1 ? parts[0]! : np.concatenate(parts, 1);
      if (!Lout.identity) y = np.take(y, indexArray(Lout.inv, at.device), 1);
      return y.mul(scale);
    },
    applyT(p, xT) {
      checkInputT("EquivariantBilinear", repIn, xT, p);
      const B = xT.shape[1]!;
      const at = placementOf(xT);
      const xs = Lin.identity ? xT : np.take(xT, indexArray(Lin.perm, at.device), 0);
      const outParts = new Map<SummandGroup, JArray>();
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
          if (ni === 1)
            yb = t
              .reshape([m, K, 1, B])
              .mul(c.reshape([1, K, no, B]))
              .sum(1);
          else {
            const cc = c.reshape([K, no, ni, B]).transpose([1, 0, 2, 3]).reshape([1, no, K, ni, B]);
            yb = t.reshape([m, 1, K, ni, B]).mul(cc).sum([2, 3]);
          }
        } else {
          const z = c
            .reshape([K, 1, no, ni, B])
            .mul(xa.reshape([1, n, 1, ni, B]))
            .sum(3); // [K, n, no, B]
          yb = mmFM(w, z.reshape([K * n, no * B]), at);
        }
        yb = yb.reshape([m * no, B]);
        const prev = outParts.get(b.out);
        outParts.set(b.out, prev === undefined ? yb : prev.add(yb));
      });
      const parts = Lout.groups.map((g) => outParts.get(g) ?? np.zeros([g.count * g.rep.size, B], at));
      xs.dispose();
      let y = parts.length === 1 ? parts[0]! : np.concatenate(parts, 0);
      if (!Lout.identity) y = np.take(y, indexArray(Lout.inv, at.device), 0);
      return y.mul(scale);
    },
  };
}
