/** Dense layers: Linear and MLP. Weights [in, out], inputs [..., in]. */
import { numpy as np, tree, type Array as JArray } from "../jax.js";
import { getFloatDtype, type FloatDtype } from "../core/engine.js";
import { ShapeError, fmtShape } from "../core/errors.js";
import { splitKey } from "../core/rng.js";
import { withParamCheck } from "./check.js";
import { activation, type ActivationName } from "./activations.js";
import { initBias, initWeight, type BiasInit, type WeightInit } from "./init.js";
import type { Params } from "../core/tree.js";
import type { Module } from "./module.js";

export interface LinearParams {
  [k: string]: JArray;
  w: JArray;
  b: JArray;
}

export interface LinearOptions {
  /** Weight initialiser (default "torch": PyTorch's nn.Linear default). */
  init?: WeightInit;
  /** Bias initialiser (default "torch" for torch init, "zeros" otherwise). */
  biasInit?: BiasInit;
  /** Multiplies the weight init (orthogonal and glorot gains). */
  gain?: number;
  /** Parameter dtype (default: the engine's float dtype at init time). */
  dtype?: FloatDtype;
}

/** Checks x [..., inSize]; on failure releases x and `params` (what apply consumes) and throws. */
function checkIn(name: string, x: JArray, inSize: number, params?: Params): void {
  const last = x.shape[x.shape.length - 1];
  if (x.shape.length === 0 || last !== inSize) {
    const shape = x.shape;
    x.dispose();
    if (params !== undefined) tree.dispose(params);
    throw new ShapeError(`${name}: expected input of shape [..., ${inSize}], got ${fmtShape(shape)}`);
  }
}

/** y = x W + b, on inputs [..., inSize] (batched 2-D matmul; no NumPy-style broadcasting needed). */
export function linearApply(p: LinearParams, x: JArray): JArray {
  const inSize = p.w.shape[0]!;
  const outSize = p.w.shape[1]!;
  if (x.ndim === 2) return np.matmul(x, p.w).add(p.b);
  const lead = x.shape.slice(0, -1);
  const y = np.matmul(x.reshape([-1, inSize]), p.w).add(p.b);
  return y.reshape([...lead, outSize]);
}

/** Affine layer y = x W + b, W [inSize, outSize]. */
export function Linear(inSize: number, outSize: number, opts: LinearOptions = {}): Module<LinearParams> {
  if (!(Number.isInteger(inSize) && inSize > 0 && Number.isInteger(outSize) && outSize > 0)) {
    throw new TypeError(`Linear: sizes must be positive integers, got ${inSize} → ${outSize}`);
  }
  const wInit = opts.init ?? "torch";
  const bInit = opts.biasInit ?? (wInit === "torch" ? "torch" : "zeros");
  return {
    inSize,
    outSize,
    init(key) {
      const [kw, kb] = splitKey(key, 2) as [JArray, JArray];
      const dtype = opts.dtype ?? getFloatDtype();
      return {
        w: initWeight(kw, inSize, outSize, wInit, { gain: opts.gain, dtype }),
        b: initBias(kb, inSize, outSize, bInit, dtype),
      };
    },
    apply(p, x) {
      checkIn("Linear", x, inSize, p);
      return linearApply(p, x);
    },
  };
}

export interface MLPParams {
  [k: string]: LinearParams[];
  layers: LinearParams[];
}

export interface MLPOptions extends LinearOptions {
  /** Hidden activation (default "tanh"). */
  activation?: ActivationName;
  /** Activation after the last layer (default "identity"). */
  outActivation?: ActivationName;
}

/**
 * Multi-layer perceptron: sizes [in, h1, ..., out], activation between layers.
 * @example const net = MLP([2, 200, 200, 1], { activation: "tanh", init: "orthogonal" });
 */
export function MLP(
  sizes: number[],
  opts: MLPOptions = {},
): Module<MLPParams> & { sizes: number[]; activation: ActivationName } {
  if (sizes.length < 2) throw new TypeError(`MLP: expected at least [in, out] sizes, got [${sizes.join(", ")}]`);
  const layers = sizes.slice(1).map((out, i) => Linear(sizes[i]!, out, opts));
  const actName = opts.activation ?? "tanh";
  const act = activation(actName);
  const outAct = activation(opts.outActivation ?? "identity");
  // The parameter paths and shapes, known from the sizes (no init needed).
  const spec = new Map<string, number[]>();
  for (let i = 0; i + 1 < sizes.length; i++) {
    spec.set(`layers.${i}.b`, [sizes[i + 1]!]);
    spec.set(`layers.${i}.w`, [sizes[i]!, sizes[i + 1]!]);
  }
  return withParamCheck(
    "MLP",
    {
      sizes: [...sizes],
      activation: actName,
      inSize: sizes[0]!,
      outSize: sizes[sizes.length - 1]!,
      init(key) {
        const keys = splitKey(key, layers.length);
        return { layers: layers.map((l, i) => l.init(keys[i]!)) };
      },
      apply(p, x) {
        checkIn("MLP", x, sizes[0]!, p);
        if (p.layers.length !== layers.length) {
          throw new ShapeError(`MLP: expected ${layers.length} layers of parameters, got ${p.layers.length}`);
        }
        let h = x;
        p.layers.forEach((lp, i) => {
          h = linearApply(lp, h);
          h = i < layers.length - 1 ? act(h) : outAct(h);
        });
        return h;
      },
    },
    spec,
  );
}
