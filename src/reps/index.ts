/** Representations: immutable values with ρ, dρ, size, key and combinators. */
export * from "./rep.js";
export * from "./linop.js";
export * from "./layout.js";
export * from "./action.js";
