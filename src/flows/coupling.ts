/**
 * Affine coupling layers (real NVP, Dinh et al. 2017) and the conditioner networks of lattice
 * flows: periodic convolutions (translation equivariant on the torus) as tap matmuls on a
 * periodically padded flat grid (the fast formulation of src/layers/gcnn/conv.ts), optionally
 * made Z2-equivariant (s even, t odd in the frozen field) by symmetrising over φ → −φ; and a
 * dense MLP conditioner as the non-equivariant control.
 *
 * Coupling with mask m (1 = frozen): y = m⊙x + (1−m)⊙(x·e^{s(m⊙x)} + t(m⊙x)),
 * log|det ∂y/∂x| = Σ (1−m)⊙s; inverse x = m⊙y + (1−m)⊙(y − t)·e^{−s}.
 */
import { numpy as np, random, tree, type Array as JArray } from "../jax.js";
import { getFloatDtype, toDType } from "../core/engine.js";
import { ConfigError, ShapeError, fmtShape } from "../core/errors.js";
import { fromHost, placementOf } from "../core/host.js";
import { splitKey } from "../core/rng.js";
import type { Params } from "../core/tree.js";
import { tapConv } from "../layers/gcnn/conv.js";
import { MLP, type MLPParams } from "../nn/layers.js";
import { checkEvent, type Flow } from "./bijector.js";

/** Throws a ConfigError unless L is an even integer ≥ 2 (checkerboards need even sizes). */
export function checkEvenLattice(what: string, L: number): void {
  if (!(Number.isInteger(L) && L >= 2 && L % 2 === 0))
    throw new ConfigError(`${what}: the checkerboard masks need an even lattice size L ≥ 2, got L = ${L}`);
}

/** Checkerboard mask of an H×W lattice (row-major): 1 where (i + j) % 2 === parity. */
export function checkerboard(H: number, W: number, parity: 0 | 1): Float64Array {
  const m = new Float64Array(H * W);
  for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) m[i * W + j] = (i + j) % 2 === parity ? 1 : 0;
  return m;
}

/** A conditioner: frozen part of x [B, ...event] → [s, t], each [B, ...event]. Consumes params and x. */
export interface CouplingNet<P extends Params = Params> {
  init(key: JArray): P;
  apply(params: P, xFrozen: JArray): [JArray, JArray];
}

/** Affine coupling on events of `eventShape` with host mask `mask` (1 = frozen, length = event size). */
export function affineCoupling<P extends Params>(
  eventShape: readonly number[],
  mask: ArrayLike<number>,
  net: CouplingNet<P>,
  name = "affineCoupling",
): Flow<P> {
  const D = eventShape.reduce((a, b) => a * b, 1);
  if (mask.length !== D) throw new ConfigError(`${name}: mask has ${mask.length} entries, the event ${D}`);
  const host = Float64Array.from(mask);
  const masks = (x: JArray): [JArray, JArray] => {
    const m = fromHost(host, [1, ...eventShape], placementOf(x));
    return [m.ref, np.ones(m.shape, placementOf(x)).sub(m)];
  };
  const sum = (v: JArray) => v.reshape([v.shape[0]!, D]).sum(1);
  return {
    name,
    eventShape,
    init: (key) => net.init(key),
    forward(params, x) {
      checkEvent(name, x, eventShape, params);
      const [m, a] = masks(x);
      const [s0, t0] = net.apply(params, x.ref.mul(m.ref));
      const s = s0.mul(a.ref);
      const t = t0.mul(a.ref);
      const y = x.ref
        .mul(m)
        .add(x.mul(a).mul(np.exp(s.ref)))
        .add(t);
      return [y, sum(s)];
    },
    inverse(params, y) {
      checkEvent(`${name}.inverse`, y, eventShape, params);
      const [m, a] = masks(y);
      const [s0, t0] = net.apply(params, y.ref.mul(m.ref));
      const s = s0.mul(a.ref);
      const t = t0.mul(a.ref);
      const x = y.ref.mul(m).add(y.mul(a).sub(t).mul(np.exp(s.ref.neg())));
      return [x, sum(s).neg()];
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Periodic convolutions

/** Periodic padding of x [C, B, H, W] by p on both spatial axes → [C, B, H + 2p, W + 2p] (consumes x). */
export function periodicPad(x: JArray, p: number): JArray {
  if (p === 0) return x;
  const [, , H, W] = x.shape as [number, number, number, number];
  if (p > H || p > W) {
    x.dispose();
    throw new ShapeError(`periodicPad: padding ${p} exceeds the lattice ${H}×${W}`);
  }
  const a = np.concatenate([x.ref.slice([], [], [H - p, H]), x.ref, x.slice([], [], [0, p])], 2);
  return np.concatenate([a.ref.slice([], [], [], [W - p, W]), a.ref, a.slice([], [], [], [0, p])], 3);
}

/**
 * Periodic correlation of x [C, B, H, W] with taps [k², O, C] (tap t = dy·k + dx, odd k) →
 * [O, B, H, W]: y[o, b, i, j] = Σ_{c, dy, dx} taps[t, o, c] x[c, b, i + dy − p, j + dx − p] (indices
 * mod H, W; p = (k − 1)/2). Periodic padding by slices and concatenation (a gather pads the same
 * way but its backward pass was ~1.4× slower here), then tap matmuls. Consumes both.
 */
export function periodicConv(taps: JArray, x: JArray, k: number): JArray {
  return tapConv(taps, periodicPad(x, (k - 1) / 2), k);
}

/** Parameters of a periodic conv net: per layer taps w [k², O, C] and bias b [O] (absent without bias). */
export interface ConvNetParams {
  [k: string]: { w: JArray; b?: JArray }[];
  layers: { w: JArray; b?: JArray }[];
}

/** Options of `periodicConvNet`. */
export interface ConvNetOptions {
  /** Hidden channel counts (the tutorial's [8, 8]). */
  hidden: number[];
  /** Odd kernel size (default 3). */
  kernel?: number;
  /** Hidden activation (default "leaky_relu", slope 0.01, as torch.nn.LeakyReLU). */
  activation?: "leaky_relu" | "tanh";
  /** tanh on the output (default true, as the tutorial's make_conv_net). */
  finalTanh?: boolean;
  /** Biases (default true). */
  bias?: boolean;
}

/** A stack of periodic convolutions [C_in, B, H, W] → [C_out, B, H, W] (torch Conv2d init, padding_mode="circular"). */
export function periodicConvNet(inC: number, outC: number, opts: ConvNetOptions) {
  const k = opts.kernel ?? 3;
  if (!(Number.isInteger(k) && k >= 1 && k % 2 === 1))
    throw new ConfigError(`periodicConvNet: kernel must be an odd positive integer, got ${k}`);
  const sizes = [inC, ...opts.hidden, outC];
  if (!sizes.every((s) => Number.isInteger(s) && s >= 1))
    throw new ConfigError(`periodicConvNet: channel counts must be positive integers, got [${sizes.join(", ")}]`);
  const useBias = opts.bias ?? true;
  const act = opts.activation ?? "leaky_relu";
  const finalTanh = opts.finalTanh ?? true;
  const hiddenAct = (h: JArray) => (act === "tanh" ? np.tanh(h) : np.maximum(h.ref, h.mul(0.01)));
  return {
    sizes,
    kernel: k,
    init(key: JArray): ConvNetParams {
      const dtype = toDType(getFloatDtype());
      const keys = splitKey(key, 2 * (sizes.length - 1));
      const layers = sizes.slice(1).map((O, i) => {
        const C = sizes[i]!;
        const bound = 1 / Math.sqrt(C * k * k);
        const w = random.uniform(keys[2 * i]!, [k * k, O, C], { minval: -bound, maxval: bound }).astype(dtype);
        const kb = keys[2 * i + 1]!;
        if (!useBias) {
          kb.dispose();
          return { w };
        }
        return { w, b: random.uniform(kb, [O], { minval: -bound, maxval: bound }).astype(dtype) };
      });
      return { layers };
    },
    apply(params: ConvNetParams, x: JArray): JArray {
      if (x.ndim !== 4 || x.shape[0] !== inC) {
        const shape = x.shape;
        x.dispose();
        tree.dispose(params);
        throw new ShapeError(`periodicConvNet: expected input [${inC}, B, H, W], got ${fmtShape(shape)}`);
      }
      if (params.layers.length !== sizes.length - 1) {
        const n = params.layers.length;
        x.dispose();
        tree.dispose(params);
        throw new ShapeError(`periodicConvNet: expected ${sizes.length - 1} layers of parameters, got ${n}`);
      }
      let h = x;
      params.layers.forEach((l, i) => {
        h = periodicConv(l.w, h, k);
        if (l.b !== undefined) h = h.add(l.b.reshape([-1, 1, 1, 1]));
        if (i < params.layers.length - 1) h = hiddenAct(h);
        else if (finalTanh) h = np.tanh(h);
      });
      return h;
    },
  };
}

/**
 * Conditioner of a scalar lattice field from a periodic conv net (1 → 2 channels: s, t).
 * With `z2`, the net is evaluated on ±x_frozen in one doubled batch and s = (h_s(x) + h_s(−x))/2,
 * t = (h_t(x) − h_t(−x))/2, so the coupling commutes with φ → −φ for any parameters.
 */
export function convConditioner(L: number, opts: ConvNetOptions & { z2?: boolean }): CouplingNet<ConvNetParams> {
  const net = periodicConvNet(1, 2, opts);
  const z2 = opts.z2 ?? false;
  return {
    init: (key) => net.init(key),
    apply(params, xf) {
      checkEvent("convConditioner", xf, [L, L], params);
      const B = xf.shape[0]!;
      if (!z2) {
        const h = net.apply(params, xf.reshape([1, B, L, L]));
        return [h.ref.slice(0), h.slice(1)];
      }
      const both = np.concatenate([xf.ref, xf.neg()], 0).reshape([1, 2 * B, L, L]);
      const h = net.apply(params, both);
      const sPos = h.ref.slice(0, [0, B]);
      const sNeg = h.ref.slice(0, [B, 2 * B]);
      const tPos = h.ref.slice(1, [0, B]);
      const tNeg = h.slice(1, [B, 2 * B]);
      return [sPos.add(sNeg).mul(0.5), tPos.sub(tNeg).mul(0.5)];
    },
  };
}

/** Conditioner from a dense MLP on the flattened field (no translation or Z2 structure): the control. */
export function denseConditioner(eventShape: readonly number[], hidden: number[]): CouplingNet<MLPParams> {
  const D = eventShape.reduce((a, b) => a * b, 1);
  const mlp = MLP([D, ...hidden, 2 * D], { activation: "tanh", outActivation: "tanh" });
  return {
    init: (key) => mlp.init(key),
    apply(params, xf) {
      checkEvent("denseConditioner", xf, eventShape, params);
      const B = xf.shape[0]!;
      const h = mlp.apply(params, xf.reshape([B, D]));
      return [h.ref.slice([], [0, D]).reshape([B, ...eventShape]), h.slice([], [D, 2 * D]).reshape([B, ...eventShape])];
    },
  };
}
