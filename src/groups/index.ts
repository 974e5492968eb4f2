/** Groups as data: Lie algebra basis [D,d,d] + discrete generators [M,d,d]. */
export * from "./group.js";
export * from "./catalog.js";
export { eye, matmul, transpose, inverse, kron, solve as solveHost } from "../core/matrix.js";
