/**
 * EMLP's gated nonlinearity: one scalar gate per non-scalar summand (σ(gate)·v), swish on scalars.
 */
import { nn, numpy as np } from "../../jax.js";
import { indexArray, placementOf } from "../../core/host.js";
import type { RepModule } from "../../nn/module.js";
import { summandLayout } from "../../reps/layout.js";
import { Scalar, directSum, type Rep } from "../../reps/rep.js";
import { checkInput, checkInputT, isScalarType, sliceCols, sliceRows } from "./shared.js";

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
  const L = summandLayout(rep);
  // Contiguous type groups: [value offset, copies, size, gate offset (−1 for scalars)].
  const segs: [number, number, number, number][] | null = L.identity
    ? L.groups.map((g) => [g.sortedOffset, g.count, g.rep.size, isScalarType(g.rep) ? -1 : gates[g.sortedOffset]!])
    : null;
  if (segs !== null)
    for (const [off, cnt, sz, go] of segs)
      if (go >= 0) for (let c = 0; c < cnt; c++) if (gates[off + c * sz] !== go + c) segs.length = 0;
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
      const at = placementOf(x);
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
      const g = nn.sigmoid(np.take(x.ref, indexArray(gates, at.device), 1));
      const v = k === 0 ? x : np.take(x, indexArray(keep, at.device), 1);
      return g.mul(v);
    },
    applyT(_p, xT) {
      checkInputT("GatedNonlinearity", repIn, xT);
      const at = placementOf(xT);
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
      const g = nn.sigmoid(np.take(xT.ref, indexArray(gates, at.device), 0));
      const v = k === 0 ? xT : np.take(xT, indexArray(keep, at.device), 0);
      return g.mul(v);
    },
  };
}
