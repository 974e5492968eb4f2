/**
 * noether/solve — the equivariance constraint → an orthonormal basis of the equivariant maps
 * (float64, cached by representation key), used by EMLP and by learned groups alike.
 */
export {
  clearSolveCache,
  equivariantBasis,
  equivariantProjector,
  invariantSubspace,
  solveCacheStats,
  type EquivariantBasis,
  type HomBlock,
  type InvariantSubspace,
  type SolveOptions,
} from "./basis.js";
