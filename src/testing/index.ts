/**
 * noether/testing — the public test harness: equivariance, gradient checks, leak checks.
 */
export * from "./equivariance.js";
export * from "./gradcheck.js";
export * from "./leaks.js";
