/**
 * noether/discovery — learn a symmetry from data, check what was learned, and enforce it: Lie
 * algebra generators from invariant or equivariant functions (nullspace of ∇f·Lx = 0), from
 * transformed pairs (Rao & Ruderman), diagnostics against a known algebra, and the learned
 * algebra as a Group for the same solver and EMLP as any textbook group.
 */
export {
  alignedCosines,
  closureResidual,
  generator,
  lieBasis,
  lieClosure,
  orthonormalSpan,
  principalAnglesDeg,
  toMatrices,
  type LieBasis,
} from "./algebra.js";
export { groupFromGenerators, groupFromJSON, groupToJSON, type GroupJSON, type LearnedGroupOptions } from "./group.js";
export {
  discoverEquivariant,
  discoverInvariant,
  equivariantFromJacobians,
  invariantFromGradients,
  type AutodiffOptions,
  type NullspaceOptions,
} from "./invariant.js";
export { discoverFromPairs, type PairsOptions } from "./pairs.js";
export { canonicalBasis, chooseCount, type Discovery, type DiscoveryMethod } from "./result.js";
export { discoverAdversarial, type AdversarialOptions } from "./adversarial.js";
export {
  discoverEmbedding,
  embeddingFromSamples,
  levelSetLabels,
  type EmbeddingAnalysisOptions,
  type EmbeddingOptions,
} from "./embedding.js";
