/**
 * noether/lieconv — LieConv (Finzi et al. 2020) and B-spline group convolutions (Bekkers 2019) on
 * point clouds: groups with lifts and closed-form log maps (T(n), SO(2), ℝ×SO(2), SE(2), SO(3),
 * SE(3), trivial), lifting with orbit samples, Lie-algebra neighbourhoods with farthest-point or
 * random subsampling, the LieConv layer and network, global pooling, and Hamiltonian LieConv
 * (a group-invariant potential, so the matching momentum is conserved).
 */
export {
  lieConvGroup,
  lieRxSO2,
  lieSE2,
  lieSE3,
  lieSO2,
  lieSO3,
  lieT,
  lieTrivial,
  repeatSamples,
  safeAtan2,
  safeNorm,
  type LieConvGroup,
  type LiftedElements,
} from "./groups.js";
export {
  checkCloud,
  farthestPoints,
  globalPool,
  lieConv,
  lieConvNet,
  liftCloud,
  pairDim,
  randomPoints,
  type LieConvLayer,
  type LieConvNet,
  type LieConvNetOptions,
  type LieConvNetParams,
  type LieConvOptions,
  type LieConvParams,
  type LiftedCloud,
  type LiftOptions,
  type PointCloud,
  type Subsample,
} from "./conv.js";
export {
  angularMomentumHost,
  hLieConv,
  linearMomentumHost,
  rolloutHLieConv,
  type HLieConv,
  type HRolloutOptions,
  type HLieConvOptions,
  type ParticleSystem,
} from "./hamiltonian.js";
