/**
 * noether/soft — symmetry encouraged rather than built in: equivariance and invariance penalties
 * as extra loss terms of `fit` (any group, textbook or learned), Augerino's learned invariance
 * widths (vectors and images), the weight-orbit regulariser of dense layers (Anselmi et al. 2017),
 * an orbit-averaged-kernel sparse GP whose invariance range is a hyper-parameter (van der Wilk
 * et al. 2018), and a transformation VAE whose latent action is exp(tL).
 */
export {
  equivariancePenalty,
  invariancePenalty,
  penalizedLoss,
  type Penalty,
  type PenaltyOptions,
} from "./penalty.js";
export {
  AFFINE_GENERATORS,
  affineGenerator,
  augerino,
  augerinoImage,
  augerinoLoss,
  augerinoWidths,
  quadraturePoints,
  type AffineGenerator,
  type Augerino,
  type AugerinoOptions,
  type AugerinoParams,
} from "./augerino.js";
export { pixelGrid, warpCopies } from "./warp.js";
export { charPoly, eigenvalues, type Complex } from "./spectrum.js";
export {
  packPairs,
  transformationVAE,
  type TransformationVAE,
  type TVAEOptions,
  type TVAEParams,
} from "./tvae.js";
export { weightOrbitPenalty, type WeightOrbitOptions } from "./orbit.js";
export {
  invariantGP,
  invariantGPLoss,
  type InvariantGP,
  type InvariantGPHyper,
  type InvariantGPInit,
  type InvariantGPOptions,
  type InvariantGPParams,
} from "./invariant-gp.js";
