/** Equivariance constraint → basis (cached, float64), used by EMLP and by learned groups. */
export * from "./basis.js";
export { jacobiEigh, orthonormalize, psdNullspace, iterativeNullspace, type IterativeOptions } from "../core/linalg.js";
