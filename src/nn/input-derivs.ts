/**
 * "MLP with input derivatives": the value of a scalar-output MLP together with its gradient
 * and selected Hessian columns with respect to the *input*, propagated layer by layer in
 * closed form (no nested autodiff). One level of autodiff on top of these gives parameter
 * gradients of losses built from input derivatives — the fast route for HNN/LNN training
 * (nested autodiff in jax-js measured 10–40× slower here, building [B,H,H] tensors: bench/README.md, hnn-step and lnn-step).
 *
 * Notation for a network with hidden layers l = 0..L−1:
 *   z_l = h_{l−1} W_l + b_l,  h_l = σ(z_l),  f = h_{L−1} w_out + b_out   (h_{−1} = x)
 *   δ_{L−1} = w_outᵀ ⊙ σ'(z_{L−1}),  δ_l = (δ_{l+1} W_{l+1}ᵀ) ⊙ σ'(z_l),  ∇ₓf = δ_0 W_0ᵀ
 * Forward tangents along input direction e_k: t_0 = W_0[k,:], t_{l+1} = (σ'(z_l) ⊙ t_l) W_{l+1};
 * their derivatives of δ: dδ_{L−1} = w_outᵀ ⊙ σ''(z_{L−1}) ⊙ t_{L−1},
 *   dδ_l = (dδ_{l+1} W_{l+1}ᵀ) ⊙ σ'(z_l) + (δ_{l+1} W_{l+1}ᵀ) ⊙ σ''(z_l) ⊙ t_l,
 * and the Hessian row ∂(∇ₓf)/∂x_k = dδ_0 W_0ᵀ.
 */
import { nn, numpy as np, tree, type Array as JArray } from "../jax.js";
import { ShapeError, fmtShape } from "../core/errors.js";
import type { ActivationName } from "./activations.js";
import { linearApply, type MLPParams } from "./layers.js";
import { indexArray } from "../core/host.js";

/** Activations with closed-form first and second derivatives. */
export const STRUCTURED_ACTIVATIONS = ["tanh", "softplus", "silu", "identity"] as const;
export type StructuredActivation = (typeof STRUCTURED_ACTIVATIONS)[number];

/** σ(z), σ'(z) and (when `second`) σ''(z); consumes z. */
export function activationDerivs(
  name: ActivationName,
  z: JArray,
  second: boolean,
): { h: JArray; d1: JArray; d2: JArray | null } {
  switch (name) {
    case "tanh": {
      const t = np.tanh(z);
      const d1 = np.subtract(1, np.square(t.ref));
      const d2 = second ? t.ref.mul(d1.ref).mul(-2) : null;
      return { h: t, d1, d2 };
    }
    case "softplus": {
      const s = nn.sigmoid(z.ref);
      const h = nn.softplus(z);
      const d2 = second ? s.ref.mul(np.subtract(1, s.ref)) : null;
      return { h, d1: s, d2 };
    }
    case "silu": {
      const s = nn.sigmoid(z.ref);
      const oneMinusS = np.subtract(1, s.ref);
      const d2 = second ? s.ref.mul(oneMinusS.ref).mul(np.add(2, z.ref.mul(np.subtract(1, s.ref.mul(2))))) : null;
      const d1 = s.ref.mul(np.add(1, z.ref.mul(oneMinusS)));
      const h = z.mul(s);
      return { h, d1, d2 };
    }
    case "identity": {
      const d1 = np.onesLike(z.ref);
      const d2 = second ? np.zerosLike(z.ref) : null;
      return { h: z, d1, d2 };
    }
    default:
      z.dispose();
      throw new TypeError(
        `input derivatives in closed form support activations ${STRUCTURED_ACTIVATIONS.join(", ")}; got ${JSON.stringify(name)} (use nested autodiff for other networks)`,
      );
  }
}

export interface InputDerivs {
  /** f(x), shape [B]. */
  value: JArray;
  /** ∇ₓf, shape [B, D]. */
  grad: JArray;
  /** Rows ∂(∇ₓf)/∂x_k for k in `cols`, shape [B, K, D] (null unless requested). */
  hessRows: JArray | null;
}

/**
 * Checks that `p` is the parameter tree of a scalar-output MLP whose input width is x's: each
 * layer { w [a, b], b [b] }, consecutive widths agreeing, the last width 1. On failure releases
 * `p` and `x` (which the caller would have consumed) and throws a ShapeError naming the layer.
 */
function checkScalarMLP(p: MLPParams, x: JArray): void {
  function fail(msg: string): never {
    tree.dispose(p as never);
    x.dispose();
    throw new ShapeError(`mlpInputDerivs: ${msg}`);
  }
  const layers = (p as { layers?: unknown }).layers as { w?: JArray; b?: JArray }[] | undefined;
  if (!globalThis.Array.isArray(layers) || layers.length === 0)
    fail("expected MLP parameters { layers: [{ w, b }, …] } (as MLP(sizes).init makes)");
  let width = x.ndim === 2 ? x.shape[1]! : -1;
  layers.forEach((l, i) => {
    const w = l?.w?.shape;
    const b = l?.b?.shape;
    if (w === undefined || b === undefined) fail(`layers.${i} needs arrays w and b`);
    if (w.length !== 2 || b.length !== 1 || b[0] !== w[1])
      fail(`layers.${i}: expected w [a, b] and b [b], got w ${fmtShape(w)} and b ${fmtShape(b)}`);
    if (i > 0 && w[0] !== width)
      fail(`layers.${i}.w has shape ${fmtShape(w)}, but layers.${i - 1} has ${width} outputs`);
    if (i === 0 && w[0] !== width)
      fail(`expected x of shape [B, ${w[0]}] (layers.0.w is ${fmtShape(w)}), got ${fmtShape(x.shape)}`);
    width = w[1]!;
  });
  if (width !== 1) fail(`expected a scalar-output MLP, got output width ${width}`);
}

/**
 * Value, input gradient and (optionally) the Hessian rows for input indices `cols` of a
 * scalar-output MLP (params as made by `MLP`, activation `act` between layers, identity
 * output). Consumes `params` and `x`. x: [B, D].
 */
export function mlpInputDerivs(
  params: MLPParams,
  x: JArray,
  act: ActivationName,
  cols?: readonly number[],
): InputDerivs {
  checkScalarMLP(params, x);
  const layers = params.layers;
  const L = layers.length - 1; // hidden layers
  const B = x.shape[0]!;
  const second = cols !== undefined && cols.length > 0;
  const K = cols?.length ?? 0;
  const d1s: JArray[] = [];
  const d2s: (JArray | null)[] = [];
  const ts: JArray[] = []; // tangents [B*K, H_l] (pre-activation derivatives along e_k)
  let h = x;
  for (let l = 0; l < L; l++) {
    const p = layers[l]!;
    if (second) {
      if (l === 0) {
        const rows = np.take(p.w.ref, indexArray(cols), 0); // [K, H0]
        ts.push(np.broadcastTo(rows, [B, K, p.w.shape[1]!]).reshape([B * K, p.w.shape[1]!]));
      } else {
        const prev = ts[l - 1]!;
        const H = prev.shape[1]!;
        const u = prev.ref
          .reshape([B, K, H])
          .mul(d1s[l - 1]!.ref.reshape([B, 1, H]))
          .reshape([B * K, H]);
        ts.push(np.matmul(u, p.w.ref));
      }
    }
    const z = linearApply({ w: p.w.ref, b: p.b.ref }, h);
    const a = activationDerivs(act, z, second);
    h = a.h;
    d1s.push(a.d1);
    d2s.push(a.d2);
  }
  const out = layers[L]!;
  const value = linearApply({ w: out.w.ref, b: out.b.ref }, h).reshape([B]);
  if (L === 0) {
    // Linear model: constant gradient, zero Hessian.
    const g = np.broadcastTo(out.w.ref.reshape([1, -1]), [B, out.w.shape[0]!]);
    const hess = second ? np.zeros([B, K, out.w.shape[0]!], { dtype: out.w.dtype }) : null;
    disposeParams(params);
    return { value, grad: g, hessRows: hess };
  }
  const wOut = out.w.ref.reshape([1, -1]); // [1, H_{L-1}]
  let delta = wOut.ref.mul(d1s[L - 1]!.ref); // [B, H]
  let dDelta: JArray | null = null;
  if (second) {
    const H = d1s[L - 1]!.shape[1]!;
    dDelta = ts[L - 1]!.ref.reshape([B, K, H])
      .mul(wOut.ref.mul(d2s[L - 1]!.ref).reshape([B, 1, H]))
      .reshape([B * K, H]);
  }
  wOut.dispose();
  for (let l = L - 1; l >= 1; l--) {
    const wT = layers[l]!.w.ref.transpose();
    const a = np.matmul(delta, wT.ref); // [B, H_{l-1}]
    const H = a.shape[1]!;
    if (second) {
      const da = np.matmul(dDelta!, wT.ref); // [B*K, H_{l-1}]
      const t3 = ts[l - 1]!.ref.reshape([B, K, H]);
      const term2 = t3.mul(a.ref.mul(d2s[l - 1]!.ref).reshape([B, 1, H]));
      dDelta = da
        .reshape([B, K, H])
        .mul(d1s[l - 1]!.ref.reshape([B, 1, H]))
        .add(term2)
        .reshape([B * K, H]);
    }
    wT.dispose();
    delta = a.mul(d1s[l - 1]!.ref);
  }
  const w0T = layers[0]!.w.ref.transpose();
  const grad = np.matmul(delta, w0T.ref);
  const hessRows = second ? np.matmul(dDelta!, w0T.ref).reshape([B, K, -1]) : null;
  w0T.dispose();
  for (const a of [...d1s, ...ts]) a.dispose();
  for (const a of d2s) a?.dispose();
  disposeParams(params);
  return { value, grad, hessRows };
}

function disposeParams(p: MLPParams): void {
  for (const l of p.layers) {
    l.w.dispose();
    l.b.dispose();
  }
}
