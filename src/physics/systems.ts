/**
 * Physical systems with analytic H and/or L (one file each in ./systems/), and their contract.
 */
export { doublePendulum, type DoublePendulumParams } from "./systems/double-pendulum.js";
export { massSpring, type MassSpringParams } from "./systems/mass-spring.js";
export { pendulum, type PendulumParams } from "./systems/pendulum.js";
export {
  harmonicPotential,
  relativisticParticle,
  type Potential,
  type RelativisticParams,
} from "./systems/relativistic.js";
export type { PhysicalSystem, SeparableSplit } from "./systems/system.js";
export { TWO_BODY_LAYOUT, twoBody, type TwoBodyParams } from "./systems/two-body.js";
