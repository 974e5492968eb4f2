/**
 * noether/physics — physical systems with analytic H or L, integrators, Hamiltonian and Lagrangian
 * field builders (HNN, LNN), rollouts, canonical coordinates and angle wrapping.
 */
export { wrapAngle, wrapAngles } from "./angles.js";
export { doublePendulumCanonical, type CanonicalForm } from "./canonical.js";
export {
  eulerLagrange,
  hamiltonianField,
  hamiltonianFieldMLP,
  lagrangianField,
  lagrangianFieldMLP,
  symplecticGradient,
  type LagrangianOptions,
  type ParamField,
  type ScalarFn,
} from "./fields.js";
export {
  IntegrationError,
  dopri5,
  dopri5Host,
  leapfrog,
  leapfrogStep,
  leapfrogTrajectory,
  rk4,
  rk4Host,
  rk4Step,
  rk4Trajectory,
  type Dopri5HostResult,
  type Dopri5Options,
  type Dopri5Result,
  type Dopri5Stats,
  type Field,
  type HostField,
  type StepLoopOptions,
} from "./integrators.js";
export {
  bindField,
  energyOf,
  rollout,
  trajectoryOf,
  type BoundField,
  type FieldWithParams,
  type Rollout,
  type RolloutOptions,
} from "./rollout.js";
export {
  TWO_BODY_LAYOUT,
  doublePendulum,
  harmonicPotential,
  massSpring,
  pendulum,
  relativisticParticle,
  twoBody,
  type DoublePendulumParams,
  type MassSpringParams,
  type PendulumParams,
  type PhysicalSystem,
  type Potential,
  type RelativisticParams,
  type SeparableSplit,
  type TwoBodyParams,
} from "./systems.js";
