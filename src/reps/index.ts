/**
 * noether/reps — representations as immutable values (ρ, dρ, size, canonical key) combined by
 * methods (sum, tensor, dual, powers); their summand layout; their action on batches of data.
 */
export { repAction } from "./action.js";
export { summandLayout, type SummandGroup, type SummandLayout } from "./layout.js";
export { CustomRep, Rep, Scalar, T, V, customRep, directSum, tensorProduct, trivial } from "./rep.js";
