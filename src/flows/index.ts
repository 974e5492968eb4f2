/**
 * noether/flows — equivariant normalizing flows and lattice sampling: bijectors and base
 * densities, affine couplings with checkerboard masks on periodic lattices, φ⁴ theory, U(1)
 * gauge theory with gauge-equivariant couplings, Hamiltonian flows with group-invariant
 * Hamiltonians, reverse-KL training, and one Metropolis–Hastings core for HMC and flow proposals.
 */
export * from "./bijector.js";
export * from "./coupling.js";
export * from "./phi4.js";
export * from "./mcmc.js";
export * from "./train.js";
export * from "./u1.js";
export * from "./hamiltonian.js";
