/**
 * The summand layout of a representation: its summands grouped by type (`structure`), in order
 * of first appearance, each group's coordinates copy-major. The equivariant basis is solved per
 * pair of types (solve/basis.ts) and the EMLP layers compute in this type-sorted order
 * (layers/emlp/): both read it from here.
 */
import type { Rep } from "./rep.js";

/** The copies of one summand type in a rep. */
export interface SummandGroup {
  /** A representative summand of this type. */
  readonly rep: Rep;
  /** Number of copies. */
  readonly count: number;
  /** Offset of the group in the type-sorted layout. */
  readonly sortedOffset: number;
  /** The group's coordinates in the rep, copy-major [count, rep.size]. */
  readonly index: Int32Array;
}

/** A rep's summands grouped by type, and the permutation to the type-sorted order. */
export interface SummandLayout {
  readonly groups: readonly SummandGroup[];
  /** sorted position → coordinate of the rep. */
  readonly perm: Int32Array;
  /** coordinate of the rep → sorted position. */
  readonly inv: Int32Array;
  /** True when the rep's types are already contiguous (perm is the identity). */
  readonly identity: boolean;
}

const cache = new WeakMap<Rep, SummandLayout>();

/** The summand layout of `rep` (cached per rep object). */
export function summandLayout(rep: Rep): SummandLayout {
  const hit = cache.get(rep);
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
  const groups: SummandGroup[] = [];
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
  cache.set(rep, out);
  return out;
}
