/**
 * noether/nn — modules over plain parameter trees: the `Module` and `RepModule` interfaces, dense
 * layers and MLPs, activations, initialisers, and an MLP's input derivatives in closed form.
 */
export { ACTIVATIONS, activation, type ActivationName } from "./activations.js";
export { convexInit, initBias, initWeight, type BiasInit, type WeightInit } from "./init.js";
export { STRUCTURED_ACTIVATIONS, mlpInputDerivs, type InputDerivs, type StructuredActivation } from "./input-derivs.js";
export { Linear, MLP, type LinearOptions, type LinearParams, type MLPOptions, type MLPParams } from "./layers.js";
export { featureMajorByTranspose, type Module, type RepModule } from "./module.js";
