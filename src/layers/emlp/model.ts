/**
 * The EMLP model: blocks (linear → bilinear + residual → gate), `chain` (composition that checks
 * neighbouring reps when the model is built), EMLP's `uniformRep` hidden layers, and `EMLP` itself.
 * Inputs are [B, repIn.size], outputs [B, repOut.size]; a chain runs its layers feature-major
 * (`applyT`) with one transpose in and one out.
 */
import { numpy as np, tree, type Array as JArray } from "../../jax.js";
import type { FloatDtype } from "../../core/engine.js";
import { ConfigError, ShapeError } from "../../core/errors.js";
import { withParamCheck } from "../../nn/check.js";
import { placementOf } from "../../core/host.js";
import { splitKey } from "../../core/rng.js";
import type { Params } from "../../core/tree.js";
import type { Group } from "../../groups/group.js";
import type { RepModule } from "../../nn/module.js";
import { T, directSum, type Rep } from "../../reps/rep.js";
import type { SolveOptions } from "../../solve/basis.js";
import { EquivariantBilinear, type EquivariantBilinearParams } from "./bilinear.js";
import { GatedNonlinearity, gated } from "./gate.js";
import { EquivariantLinear, type EquivariantLinearParams, type LinearParametrization } from "./linear.js";
import { checkInput, checkInputT } from "./shared.js";

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
): RepModule<EMLPBlockParams> & {
  linear: ReturnType<typeof EquivariantLinear>;
  bilinear: ReturnType<typeof EquivariantBilinear>;
} {
  const g = gated(repOut);
  const linear = EquivariantLinear(repIn, g, {
    dtype: opts.dtype,
    solve: opts.solve,
    parametrization: opts.parametrization,
  });
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
      checkInput("EMLPBlock", repIn, x, p);
      const h = linear.apply(p.linear, x);
      const pre =
        useBi && bilinear.weights > 0
          ? bilinear.apply(p.bilinear, h.ref).add(h)
          : (p.bilinear.w.forEach((w) => w.dispose()), h);
      return gate.apply({}, pre);
    },
    applyT(p, xT) {
      checkInputT("EMLPBlock", repIn, xT, p);
      const h = linear.applyT(p.linear, xT);
      const pre =
        useBi && bilinear.weights > 0
          ? bilinear.applyT(p.bilinear, h.ref).add(h)
          : (p.bilinear.w.forEach((w) => w.dispose()), h);
      return gate.applyT({}, pre);
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
export function chain(...layers: RepModule[]): RepModule<Params[]> & { layers: RepModule[] } {
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
  /** The per-layer parameter list; otherwise releases p and the input x and throws. */
  const params = (p: unknown, x: JArray): Params[] => {
    if (!Array.isArray(p) || p.length !== layers.length) {
      x.dispose();
      tree.dispose(p as Params);
      throw new ShapeError(
        `chain: expected ${layers.length} parameter entries, got ${Array.isArray(p) ? p.length : typeof p}`,
      );
    }
    return p as Params[];
  };
  const runT = (p: Params[], xT: JArray): JArray => {
    let hT = xT;
    layers.forEach((l, i) => {
      hT = l.applyT(p[i]!, hT);
    });
    return hT;
  };
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
      checkInput(`${first.kind} (layer 1)`, first.repIn, x, p);
      // Feature-major through the whole chain: one transpose in (materialised by a product with a
      // non-literal one, so the first matmul reads a contiguous operand) and one out.
      const B = x.shape[0]!;
      const one = np.ones([1], placementOf(x));
      const ps = params(p, x);
      const hT = runT(ps, x.transpose([1, 0]).mul(one));
      return last.outSize === 1 ? hT.reshape([B, 1]) : hT.transpose([1, 0]);
    },
    applyT(p, xT) {
      checkInputT(`${first.kind} (layer 1)`, first.repIn, xT, p);
      return runT(params(p, xT), xT);
    },
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
    const order = Array.from({ length: r + 1 }, (_, k) => k).sort(
      (a, b) => Math.abs(a - r / 2) - Math.abs(b - r / 2) || b - a,
    );
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
export function EMLP(
  repIn: Rep,
  repOut: Rep,
  group: Group,
  opts: EMLPOptions = {},
): RepModule<Params[]> & { hidden: Rep; layers: RepModule[] } {
  for (const [name, r] of [
    ["repIn", repIn],
    ["repOut", repOut],
  ] as const)
    if (r.G.key !== group.key)
      throw new ConfigError(`EMLP: ${name} ${r.structure} is a representation of ${r.G.name}, not of ${group.name}`);
  const nLayers = opts.layers ?? 3;
  if (!Number.isInteger(nLayers) || nLayers < 0)
    throw new ConfigError(`EMLP: layers must be an integer ≥ 0, got ${nLayers}`);
  const ch = opts.channels ?? 384;
  const hidden = typeof ch === "number" ? uniformRep(ch, group, { maxRank: opts.maxRank }) : ch;
  const reps = [repIn, ...Array.from({ length: nLayers }, () => hidden)];
  const layers: RepModule[] = [];
  for (let i = 0; i < nLayers; i++)
    layers.push(
      EMLPBlock(reps[i]!, reps[i + 1]!, {
        dtype: opts.dtype,
        bilinear: opts.bilinear,
        solve: opts.solve,
        parametrization: opts.parametrization,
      }),
    );
  layers.push(
    EquivariantLinear(reps[nLayers]!, repOut, {
      dtype: opts.dtype,
      solve: opts.solve,
      parametrization: opts.parametrization,
    }),
  );
  const net = chain(...layers);
  return withParamCheck("EMLP", { ...net, kind: "EMLP", hidden, layers });
}

/** H(params, x) → [B] from a scalar-output rep module (for `hamiltonianField`: EMLP as the Hamiltonian). */
export function asScalarFn<P extends Params>(m: RepModule<P>): (params: P, x: JArray) => JArray {
  if (m.repOut.size !== 1)
    throw new ConfigError(
      `asScalarFn: ${m.kind} has repOut ${m.repOut.structure} of size ${m.repOut.size}; a Hamiltonian needs a scalar output`,
    );
  return (p, x) => {
    const B = x.shape[0]!;
    return m.apply(p, x).reshape([B]);
  };
}
