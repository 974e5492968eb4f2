/**
 * noether/emlp — equivariant MLPs for any matrix group (Finzi, Welling & Wilson 2021): linear
 * layers from the solved equivariant basis, bilinear layers, gated nonlinearities, and the EMLP
 * model. Every layer is a `RepModule` ([B, repIn.size] → [B, repOut.size]).
 */
export { EquivariantBilinear, type EquivariantBilinearParams } from "./bilinear.js";
export { GatedNonlinearity, gateIndices, gated } from "./gate.js";
export {
  EquivariantLinear,
  type EquivariantLinearOptions,
  type EquivariantLinearParams,
  type LinearParametrization,
} from "./linear.js";
export { residual } from "./residual.js";
export {
  EMLP,
  EMLPBlock,
  asScalarFn,
  chain,
  uniformRep,
  type EMLPBlockParams,
  type EMLPOptions,
  type UniformRepOptions,
} from "./model.js";
export { featureMajorByTranspose, type RepModule } from "../../nn/module.js";
export { repAction } from "../../reps/action.js";
