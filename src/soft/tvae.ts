/**
 * A transformation VAE: a VAE trained on pairs of views (x, x′ = g_t·x) whose latent code moves
 * by a learned linear action z′ = exp(tL)z (the latent analogue of Rao & Ruderman's
 * I(t) = exp(tG)I(0); cf. Caselles-Dupré et al. 2019's per-action latent matrices). The loss of
 * a pair is ‖dec(z) − x‖² + ‖dec(exp(tL)z) − x′‖² + β·KL(q(z|x) ‖ N(0, I)), z = μ + σε.
 *
 * A batch packs each pair with its parameter and the reparameterisation noise in one row,
 * [x (D), x′ (D), t (1), ε (k)] (`packPairs`): the noise is then drawn on the host for every
 * step, which a loss inside `fit`'s jitted step cannot do. Rotation data give a generator L
 * conjugate to ω·[[0, −1], [1, 0]]: eigenvalues ±iω.
 */
import { numpy as np, tree, type Array as JArray } from "../jax.js";
import { ConfigError, ShapeError, fmtShape } from "../core/errors.js";
import { expm } from "../core/expm.js";
import { fromHost, placementOf, toFloat64 } from "../core/host.js";
import { hostNormal, splitKey } from "../core/rng.js";
import { MLP, type MLPParams } from "../nn/layers.js";
import type { ActivationName } from "../nn/activations.js";

/** Parameters: encoder (→ μ, log σ²), decoder, and the latent generator L [k, k]. */
export interface TVAEParams {
  [k: string]: MLPParams | JArray;
  encoder: MLPParams;
  decoder: MLPParams;
  L: JArray;
}

export interface TVAEOptions {
  /** Observation size D. */
  dataSize: number;
  /** Latent size k (default 2). */
  latent?: number;
  /** Hidden widths of encoder and decoder (default [64, 64]). */
  hidden?: number[];
  activation?: ActivationName;
  /** KL weight β (default 1e-3). */
  beta?: number;
  /** Squarings of exp(tL) (default 6: accurate for ‖tL‖₁ up to ~60). */
  squarings?: number;
}

export interface TransformationVAE {
  readonly dataSize: number;
  readonly latent: number;
  /** Width of a packed row: 2D + 1 + k. */
  readonly rowSize: number;
  init(key: JArray): TVAEParams;
  /** The training loss of a packed batch [B, rowSize] (see `packPairs`); `_y` is ignored (fit's y). Consumes all. */
  loss(params: TVAEParams, batch: JArray, _y?: JArray): JArray;
  /** Encoder means μ(x) [B, k]; consumes both. */
  encode(params: TVAEParams, x: JArray): JArray;
  /** dec(z) [B, D]; consumes both. */
  decode(params: TVAEParams, z: JArray): JArray;
  /** The predicted second view dec(exp(tL)μ(x)) [B, D] for x [B, D] and t [B]; consumes all. */
  transport(params: TVAEParams, x: JArray, t: JArray): JArray;
  /** L as host numbers [k·k] row-major (borrows params). */
  generator(params: TVAEParams): Float64Array;
}

/** One packed batch row per pair: [x (D), x′ (D), t, ε (k)], ε ~ N(0, I) from `rng`. */
export function packPairs(
  x: ArrayLike<number>,
  x2: ArrayLike<number>,
  t: ArrayLike<number>,
  D: number,
  k: number,
  rng: () => number,
): Float64Array {
  const B = t.length;
  if (x.length !== B * D || x2.length !== B * D)
    throw new ShapeError(`packPairs: expected x and x′ of ${B}·${D} values, got ${x.length} and ${x2.length}`);
  const eps = hostNormal(B * k, rng);
  const row = 2 * D + 1 + k;
  const out = new Float64Array(B * row);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < D; i++) {
      out[b * row + i] = x[b * D + i]!;
      out[b * row + D + i] = x2[b * D + i]!;
    }
    out[b * row + 2 * D] = t[b]!;
    for (let i = 0; i < k; i++) out[b * row + 2 * D + 1 + i] = eps[b * k + i]!;
  }
  return out;
}

/**
 * exp(t_b L) z_b for z [B, k], t [B, 1], L [k, k] (consumes all): batched exp of t_b·L, then a
 * batched [B, k, k] @ [B, k, 1] product.
 */
function act(L: JArray, t: JArray, z: JArray, s: number): JArray {
  const [B, k] = z.shape as [number, number];
  const E = expm(t.reshape([B, 1, 1]).mul(L.reshape([1, k, k])), { squarings: s });
  return np.matmul(E, z.reshape([B, k, 1])).reshape([B, k]);
}

/** Builds a transformation VAE (see the module comment). */
export function transformationVAE(opts: TVAEOptions): TransformationVAE {
  const D = opts.dataSize;
  const k = opts.latent ?? 2;
  if (!(Number.isInteger(D) && D >= 1 && Number.isInteger(k) && k >= 1))
    throw new ConfigError(`transformationVAE: dataSize and latent must be positive integers, got ${D} and ${k}`);
  const hidden = opts.hidden ?? [64, 64];
  const act0 = opts.activation ?? "silu";
  const enc = MLP([D, ...hidden, 2 * k], { activation: act0 });
  const dec = MLP([k, ...hidden, D], { activation: act0 });
  const beta = opts.beta ?? 1e-3;
  const s = opts.squarings ?? 6;
  const row = 2 * D + 1 + k;
  const cols = (a: JArray, from: number, to: number): JArray => {
    const B = a.shape[0]!;
    const sel = new Float64Array(a.shape[1]! * (to - from));
    for (let i = from; i < to; i++) sel[i * (to - from) + (i - from)] = 1;
    return np.matmul(a, fromHost(sel, [a.shape[1]!, to - from], placementOf(a))).reshape([B, to - from]);
  };
  return {
    dataSize: D,
    latent: k,
    rowSize: row,
    init(key) {
      const [ke, kd, kl] = splitKey(key, 3) as [JArray, JArray, JArray];
      kl.dispose();
      const encoder = enc.init(ke);
      const at = placementOf(encoder.layers[0]!.w);
      // L starts at a small random-free value: 0 (no transformation); the pairs teach it.
      return { encoder, decoder: dec.init(kd), L: fromHost(new Float64Array(k * k), [k, k], at as never) };
    },
    loss(params, batch, y) {
      y?.dispose();
      if (batch.ndim !== 2 || batch.shape[1] !== row) {
        const shape = batch.shape;
        batch.dispose();
        tree.dispose(params);
        throw new ShapeError(
          `transformationVAE.loss: expected packed pairs [B, ${row}] (2·${D} + 1 + ${k}), got ${fmtShape(shape)}`,
        );
      }
      const B = batch.shape[0]!;
      const x = cols(batch.ref, 0, D);
      const x2 = cols(batch.ref, D, 2 * D);
      const t = cols(batch.ref, 2 * D, 2 * D + 1);
      const eps = cols(batch, 2 * D + 1, row);
      const h = enc.apply(params.encoder, x.ref);
      const mu = cols(h.ref, 0, k);
      const logVar = cols(h, k, 2 * k);
      const z = mu.ref.add(np.exp(logVar.ref.mul(0.5)).mul(eps));
      const z2 = act(params.L, t, z.ref, s);
      const both = dec.apply(params.decoder, np.concatenate([z, z2], 0));
      const recon = np.sum(np.square(both.sub(np.concatenate([x, x2], 0)))).mul(1 / B);
      const kl = np.sum(np.square(mu).add(np.exp(logVar.ref)).sub(logVar).sub(1)).mul(0.5 / B);
      return recon.add(kl.mul(beta));
    },
    encode(params, x) {
      tree.dispose([params.decoder, params.L]);
      return cols(enc.apply(params.encoder, x), 0, k);
    },
    decode(params, z) {
      tree.dispose([params.encoder, params.L]);
      return dec.apply(params.decoder, z);
    },
    transport(params, x, t) {
      const mu = cols(enc.apply(params.encoder, x), 0, k);
      const B = mu.shape[0]!;
      return dec.apply(params.decoder, act(params.L, t.reshape([B, 1]), mu, s));
    },
    generator(params) {
      return toFloat64(params.L.ref);
    },
  };
}
