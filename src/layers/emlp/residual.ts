/**
 * A residual connection around a layer that maps a representation to itself: y = x + f(x).
 * Equivariant whenever f is (a sum of equivariant maps), so it composes with `chain` like any
 * other RepModule.
 */
import type { Array as JArray } from "../../jax.js";
import { ConfigError } from "../../core/errors.js";
import type { Params } from "../../core/tree.js";
import type { RepModule } from "../../nn/module.js";

/** x + fx(); releases x if fx throws (e.g. a shape error inside f). */
function plus(x: JArray, fx: () => JArray): JArray {
  let y: JArray;
  try {
    y = fx();
  } catch (e) {
    x.dispose();
    throw e;
  }
  return y.add(x);
}

/** x ↦ x + f(x) for a RepModule f with repIn = repOut; the parameters are f's. */
export function residual<P extends Params>(f: RepModule<P>): RepModule<P> {
  if (f.repIn.key !== f.repOut.key) {
    throw new ConfigError(
      `residual: ${f.kind} maps ${f.repIn.structure} to ${f.repOut.structure}; a residual needs repIn = repOut`,
    );
  }
  return {
    kind: `residual(${f.kind})`,
    repIn: f.repIn,
    repOut: f.repOut,
    inSize: f.inSize,
    outSize: f.outSize,
    init: (key) => f.init(key),
    apply: (p, x) => plus(x, () => f.apply(p, x.ref)),
    applyT: (p, xT) => plus(xT, () => f.applyT(p, xT.ref)),
  };
}
