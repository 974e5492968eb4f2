/** Elementwise activations by name. Each consumes its input. */
import { nn, numpy as np, type Array as JArray } from "../jax.js";

export type ActivationName = "tanh" | "softplus" | "relu" | "silu" | "gelu" | "identity";

export const ACTIVATIONS: Record<ActivationName, (x: JArray) => JArray> = {
  tanh: (x) => np.tanh(x),
  softplus: (x) => nn.softplus(x),
  relu: (x) => nn.relu(x),
  silu: (x) => nn.silu(x),
  // Exact (erf) GELU, as PyTorch's default nn.GELU().
  gelu: (x) => nn.gelu(x, { approximate: false }),
  identity: (x) => x,
};

/** Looks up an activation, with a clear error for unknown names. */
export function activation(name: ActivationName): (x: JArray) => JArray {
  const f = (ACTIVATIONS as Record<string, ((x: JArray) => JArray) | undefined>)[name];
  if (f === undefined) {
    throw new TypeError(
      `unknown activation ${JSON.stringify(name)}; expected one of ${Object.keys(ACTIVATIONS).join(", ")}`,
    );
  }
  return f;
}
