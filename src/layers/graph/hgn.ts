/**
 * Hamiltonian graph networks (Sanchez-Gonzalez et al. 2019): the scalar H(q, p) of a system of
 * n particles is the global readout of a graph network on the particle graph, and the dynamics
 * are its Hamiltonian field J∇H, taken by autodiff through the network (the physics module's
 * `hamiltonianField`), integrated by any integrator there (rk4, leapfrog, rollout).
 *
 * States are the physics module's: x = [q, p] [B, 2·n·d] with q, p flattened particle-major
 * (q = [q₀ (d), q₁, …]). Every state becomes one graph of the same topology (a uniform batch),
 * with node features [p, (q if `absolute`), node constants] and edge features
 * [q_s − q_r, ‖q_s − q_r‖, edge constants]; H is the decoder's global output.
 */
import { numpy as np, type Array as JArray } from "../../jax.js";
import { ConfigError, fmtShape, ShapeError } from "../../core/errors.js";
import { fromHost, placementOf } from "../../core/host.js";
import { hamiltonianField, type ParamField } from "../../physics/fields.js";
import type { ActivationName } from "../../nn/activations.js";
import { encodeProcessDecode, type EPDParams } from "./gn.js";
import type { GraphsTuple } from "./graphs.js";
import { gatherRows } from "./segment.js";

/** Options of `hamiltonianGraphNetwork`. */
export interface HGNOptions {
  /** Particles per system. */
  n: number;
  /** Spatial dimension d of each particle. */
  d: number;
  /** Edges of one system (local indices in [0, n)). */
  senders: ArrayLike<number>;
  receivers: ArrayLike<number>;
  /** Per-node constants [n][c] (e.g. mass, a fixed-node flag), or none. */
  nodeConstants?: ArrayLike<number>[];
  /** Per-edge constants [e][c] (e.g. spring constant, rest length), or none. */
  edgeConstants?: ArrayLike<number>[];
  /** Include absolute positions q in the node features (needed for external fields such as gravity; default false → H translation-invariant). */
  absolute?: boolean;
  /** Multiply the field by this 0/1 mask [2·n·d] (e.g. to hold fixed particles still; default none). */
  fieldMask?: ArrayLike<number>;
  latent?: number;
  hidden?: number[];
  steps?: number;
  /** Activation (default "softplus": smooth, as a twice-differentiated network needs). */
  activation?: ActivationName;
}

/** Builds the graphs of a batch of states x [B, 2nd] (consumes x). */
function statesToGraph(o: HGNOptions, x: JArray): GraphsTuple {
  const { n, d } = o;
  if (x.ndim !== 2 || x.shape[1] !== 2 * n * d) {
    const s = x.shape;
    x.dispose();
    throw new ShapeError(
      `hamiltonianGraphNetwork: expected states [B, ${2 * n * d}] (q then p, ${n} particles in ${d}-D), got ${fmtShape(s)}`,
    );
  }
  const B = x.shape[0]!;
  const e = o.senders.length;
  const place = placementOf(x);
  const ints = { dtype: "int32" as const, device: x.device };
  const q = x.ref.slice([], [0, n * d]).reshape([B * n, d]);
  const p = x.slice([], [n * d, 2 * n * d]).reshape([B * n, d]);
  const s = new Int32Array(B * e);
  const r = new Int32Array(B * e);
  for (let b = 0; b < B; b++)
    for (let k = 0; k < e; k++) {
      s[b * e + k] = b * n + o.senders[k]!;
      r[b * e + k] = b * n + o.receivers[k]!;
    }
  const senders = fromHost(s, [B * e], ints);
  const receivers = fromHost(r, [B * e], ints);
  const tile = (rows: ArrayLike<number>[] | undefined, m: number): JArray | null => {
    if (!rows || rows.length === 0) return null;
    const c = rows[0]!.length;
    const flat = new Float64Array(B * m * c);
    for (let b = 0; b < B; b++) for (let i = 0; i < m; i++) flat.set(rows[i]!, (b * m + i) * c);
    return fromHost(flat, [B * m, c], place);
  };
  const qs = gatherRows(q.ref, senders.ref, { blocks: B });
  const qr = gatherRows(q.ref, receivers.ref, { blocks: B });
  const diff = qs.sub(qr);
  const dist = np.sqrt(np.sum(np.square(diff.ref), 1, { keepdims: true }).add(1e-12));
  const edgeParts = [diff, dist];
  const ec = tile(o.edgeConstants, e);
  if (ec) edgeParts.push(ec);
  const nodeParts = [p];
  if (o.absolute) nodeParts.push(q.ref);
  const nc = tile(o.nodeConstants, n);
  if (nc) nodeParts.push(nc);
  q.dispose();
  return {
    nodes: nodeParts.length === 1 ? nodeParts[0]! : np.concatenate(nodeParts, -1),
    edges: np.concatenate(edgeParts, -1),
    senders,
    receivers,
    globals: null,
    nNode: fromHost(new Array<number>(B).fill(n), [B], ints),
    nEdge: fromHost(new Array<number>(B).fill(e), [B], ints),
    uniform: { nodes: n, edges: e },
  };
}

/**
 * A Hamiltonian graph network: `H(params, x [B, 2nd]) → [B]` (an encode–process–decode GN's
 * global output) and `field(params, x) → J∇ₓH [B, 2nd]` (autodiff, masked by `fieldMask`);
 * both consume params and x. Train `field` against dx/dt; roll it out with the physics module.
 */
export function hamiltonianGraphNetwork(o: HGNOptions) {
  if (!(Number.isInteger(o.n) && o.n > 0 && Number.isInteger(o.d) && o.d > 0))
    throw new ConfigError(`hamiltonianGraphNetwork: n and d must be positive integers, got n ${o.n}, d ${o.d}`);
  if (o.senders.length !== o.receivers.length)
    throw new ConfigError(`hamiltonianGraphNetwork: ${o.senders.length} senders but ${o.receivers.length} receivers`);
  for (const idx of [o.senders, o.receivers])
    for (let k = 0; k < idx.length; k++)
      if (!(Number.isInteger(idx[k]) && idx[k]! >= 0 && idx[k]! < o.n))
        throw new ConfigError(`hamiltonianGraphNetwork: edge ${k} index ${idx[k]} is not a node in [0, ${o.n})`);
  const nc = o.nodeConstants?.[0]?.length ?? 0;
  const ec = o.edgeConstants?.[0]?.length ?? 0;
  const net = encodeProcessDecode({
    input: { nodes: o.d * (o.absolute ? 2 : 1) + nc, edges: o.d + 1 + ec },
    output: { globals: 1 },
    latent: o.latent ?? 16,
    hidden: o.hidden ?? [32, 32],
    steps: o.steps ?? 1,
    activation: o.activation ?? "softplus",
  });
  const H = (params: EPDParams, x: JArray): JArray => {
    const B = x.shape[0]!;
    const out = net.apply(params, statesToGraph(o, x));
    for (const a of [out.nodes, out.edges, out.senders, out.receivers, out.nNode, out.nEdge]) a?.dispose();
    return out.globals!.reshape([B]);
  };
  const raw = hamiltonianField(H);
  const mask = o.fieldMask;
  if (mask !== undefined && mask.length !== 2 * o.n * o.d)
    throw new ConfigError(`hamiltonianGraphNetwork: fieldMask has ${mask.length} entries, expected ${2 * o.n * o.d}`);
  const field: ParamField<EPDParams> = (params, x) => {
    if (mask === undefined) return raw(params, x);
    const m = fromHost(mask, [1, mask.length], placementOf(x));
    return raw(params, x).mul(m);
  };
  return { options: o, net, init: (key: JArray) => net.init(key), H, field };
}
