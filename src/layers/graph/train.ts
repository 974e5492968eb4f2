/**
 * A jitted training step for models whose batch is a tree of arrays (graphs: features, senders,
 * receivers, counts) rather than one input array: loss, gradient and optimiser update in one
 * `jit` (retraced per batch shapes — pad graphs to fixed sizes to keep one program).
 */
import { jit, numpy as np, tree, valueAndGrad, type Array as JArray, type JsTree } from "../../jax.js";
import type { Params } from "../../core/tree.js";
import type { OptState, Optimizer, StepScalars } from "../../train/optim.js";

/** What a step returns (owned by the caller). */
export interface TreeStepOutput<P extends Params> {
  /** Loss before the update, 0-d. */
  loss: JArray;
  params: P;
  optState: OptState;
}

/**
 * `step(params, optState, batch, lr, t)`: consumes params, optState and batch (a tree of
 * arrays); `lossFn(params, batch) → 0-d` must consume both. Static structure (a graph's uniform
 * layout, sizes) belongs in the closure: build one step per layout. Call `dispose()` when done.
 *
 * @example const step = makeTreeTrainStep((p, b) => mse(model(p, b.x, b.senders), b.y), adam());
 */
export function makeTreeTrainStep<P extends Params, B extends JsTree<JArray>>(
  lossFn: (params: P, batch: B) => JArray,
  optimizer: Optimizer,
): ((params: P, optState: OptState, batch: B, lr: number, t: number) => TreeStepOutput<P>) & { dispose(): void } {
  const inner = jit((params: Params, optState: OptState, batch: JsTree<JArray>, h: StepScalars) => {
    const [loss, grads] = valueAndGrad((p: Params) => lossFn(p as P, tree.ref(batch) as B))(tree.ref(params));
    tree.dispose(batch);
    const [newParams, newState] = optimizer.update(grads as Params, optState, params, h);
    return { loss, params: newParams, optState: newState };
  });
  const step = (params: P, optState: OptState, batch: B, lr: number, t: number): TreeStepOutput<P> => {
    const first = tree.leaves(params)[0] as JArray | undefined;
    const dtype = first?.dtype ?? np.float32;
    const h: StepScalars = {};
    for (const [k, v] of Object.entries(optimizer.hyper(lr, t))) h[k] = np.array(v, { dtype });
    return inner(params, optState, batch, h) as TreeStepOutput<P>;
  };
  return Object.assign(step, { dispose: () => inner.dispose() });
}
