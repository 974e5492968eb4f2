/**
 * The rotated-MNIST networks of Cohen & Welling (2016) on one code path: Z2CNN (group p1,
 * ordinary convolutions), P4CNN and P4MCNN. Layout: a first 3×3 layer (lifting for p4/p4m),
 * a second 3×3 layer followed by 2×2 max-pool, `depth` more 3×3 layers, each with group batch
 * norm + ReLU, and a last layer whose kernel covers the remaining map (4×4 at 28×28) giving
 * `classes` channels at 1×1; the logits are the max over the group axis (invariant for p4/p4m).
 * "Valid" convolutions throughout: 28 → 26 → 24 → 12 → 10 → 8 → 6 → 4 → 1.
 */
import { numpy as np, tree, type Array as JArray } from "../../jax.js";
import { ConfigError, ShapeError, fmtShape } from "../../core/errors.js";
import { splitKey } from "../../core/rng.js";
import type { Params } from "../../core/tree.js";
import { withParamCheck } from "../../nn/check.js";
import type { Module } from "../../nn/module.js";
import type { PlaneGroup } from "../../groups/plane.js";
import { groupConv, liftingConv, type ConvImpl, type GConvLayer, type GConvParams } from "./conv.js";
import { groupBatchNorm, groupPool, initBatchNorm, maxPool2, type BatchNormParams } from "./features.js";

/** Options of `gcnn`. */
export interface GCNNOptions {
  /** Channels per group element (default 20 for p1, 10 for p4, 7 for p4m: comparable parameter counts). */
  channels?: number;
  /** Input side length (default 28); must leave an even map before the pool. */
  size?: number;
  /** 3×3 layers after the pool (default 4, the paper's 7-layer network). */
  depth?: number;
  /** Output classes (default 10). */
  classes?: number;
  /** Convolution implementation (default "taps"). */
  impl?: ConvImpl;
}

/** Parameters of a `gcnn`: convolutions, batch norms (one per hidden layer) and the head. */
export interface GCNNParams {
  [k: string]: Params;
  convs: GConvParams[];
  norms: BatchNormParams[];
  head: GConvParams;
}

/** A G-CNN classifier: images [B, 1, n, n] → logits [B, classes]. */
export interface GCNN extends Module<GCNNParams> {
  readonly group: PlaneGroup;
  readonly channels: number;
  /** Trainable parameter count. */
  readonly paramCount: number;
  /** Hidden feature maps after layer `layer` (1-based, after BN + ReLU; layout [C, G, B, h, h]); consumes both. */
  features(params: GCNNParams, x: JArray, layer: number): JArray;
}

/** Default channels per group element for comparable parameter counts (p1 20, p4 10, p4m 7). */
export function defaultChannels(group: PlaneGroup): number {
  return group.order === 1 ? 20 : group.order === 4 ? 10 : 7;
}

/** Builds Z2CNN / P4CNN / P4MCNN for `group` (see the module comment for the layout). */
export function gcnn(group: PlaneGroup, opts: GCNNOptions = {}): GCNN {
  const c = opts.channels ?? defaultChannels(group);
  const n = opts.size ?? 28;
  const depth = opts.depth ?? 4;
  const classes = opts.classes ?? 10;
  const afterPool = (n - 4) / 2;
  const kLast = afterPool - 2 * depth;
  if (!(Number.isInteger(afterPool) && kLast >= 1)) {
    throw new ConfigError(
      `gcnn: size ${n} with depth ${depth} does not fit (need (n − 4) even and (n − 4)/2 − 2·depth ≥ 1)`,
    );
  }
  const impl = opts.impl ?? "taps";
  const convs: GConvLayer[] = [liftingConv(group, 1, c, { impl })];
  for (let i = 0; i < depth + 1; i++) convs.push(groupConv(group, c, c, { impl }));
  const head = groupConv(group, c, classes, { kernel: kLast, bias: true, impl });
  const G = group.order;
  const paramCount = convs.reduce((s, l) => s + l.paramCount, 0) + head.paramCount + 2 * c * convs.length;
  const spec = new Map<string, readonly number[]>();
  const add = (prefix: string, shapes: ReadonlyMap<string, readonly number[]>) => {
    for (const [k, v] of shapes) spec.set(`${prefix}.${k}`, v);
  };
  convs.forEach((l, i) => {
    add(`convs.${i}`, l.paramShapes);
    add(
      `norms.${i}`,
      new Map([
        ["gamma", [c]],
        ["beta", [c]],
      ]),
    );
  });
  add("head", head.paramShapes);

  /** Checks images [B, 1, n, n]; on failure releases params and x (what the caller consumes). */
  const checkImages = (params: GCNNParams, x: JArray): void => {
    const s = x.shape;
    if (s.length !== 4 || s[1] !== 1 || s[2] !== n || s[3] !== n) {
      x.dispose();
      tree.dispose(params);
      const why = s.length === 4 && s[2] !== s[3] ? "non-square images" : "wrong image shape";
      throw new ShapeError(`gcnn(${group.name}): ${why}: expected images [B, 1, ${n}, ${n}], got ${fmtShape(s)}`);
    }
  };
  const hidden = (params: GCNNParams, x: JArray, upto: number): JArray => {
    let h = np.transpose(x, [1, 0, 2, 3]); // [1, B, n, n]
    for (let i = 0; i < upto; i++) {
      h = convs[i]!.apply(params.convs[i]!, h);
      h = np.maximum(groupBatchNorm(params.norms[i]!, h), 0);
      if (i === 1) h = maxPool2(h);
    }
    return h;
  };

  const model: GCNN = {
    group,
    channels: c,
    paramCount,
    inSize: n,
    outSize: classes,
    init(key) {
      const keys = splitKey(key, convs.length + 1);
      return {
        convs: convs.map((l, i) => l.init(keys[i]!)),
        norms: convs.map(() => initBatchNorm(c)),
        head: head.init(keys[convs.length]!),
      };
    },
    apply(params, x) {
      checkImages(params, x);
      const B = x.shape[0]!;
      const h = hidden(params, x, convs.length);
      const y = head.apply(params.head, h); // [classes, G, B, 1, 1]
      const pooled = G > 1 ? groupPool(y, "max") : y.reshape([classes, B, 1, 1]);
      return np.transpose(pooled.reshape([classes, B]), [1, 0]);
    },
    features(params, x, layer) {
      if (!(Number.isInteger(layer) && layer >= 1 && layer <= convs.length)) {
        x.dispose();
        tree.dispose(params);
        throw new ConfigError(`gcnn.features: layer must be 1..${convs.length}, got ${layer}`);
      }
      checkImages(params, x);
      tree.dispose([params.convs.slice(layer), params.norms.slice(layer), params.head]);
      return hidden(params, x, layer);
    },
  };
  return withParamCheck(`gcnn(${group.name})`, model, spec, ["features"]);
}
