/**
 * noether/testing — the public test harness: equivariance in float64 with sampled or enumerated
 * group elements, gradient checks against finite differences, leak checks.
 */
export {
  EquivarianceError,
  assertEquivariant,
  assertRepEquivariant,
  equivarianceError,
  repEquivarianceError,
  type EquivarianceOptions,
  type RepEquivarianceOptions,
  type EquivarianceReport,
  type HarnessGroup,
} from "./equivariance.js";
export {
  GradcheckError,
  gradcheck,
  type GradcheckOptions,
  type GradcheckReport,
  type HostArray,
  type HostTree,
} from "./gradcheck.js";
export {
  LeakError,
  deviceMemory,
  expectNoLeaks,
  liveBufferCount,
  type DeviceMemory,
  type LeakReport,
} from "./leaks.js";
