/**
 * noether/groups — groups as data: a matrix group is its Lie algebra basis [D,d,d] and discrete
 * generators [M,d,d]; everything else (sampling, constraints, tests) derives from them. Also the
 * plane groups p1, p4, p4m that group convolutions use.
 */
export {
  C,
  Dihedral,
  GL,
  Lorentz,
  MINKOWSKI,
  O,
  O13,
  RxSO2,
  S,
  SE,
  SL,
  SO,
  SO13p,
  SU,
  Sp,
  Translations,
  Trivial,
  U,
  Z,
  customGroup,
  directProduct,
  type CustomGroupSpec,
} from "./catalog.js";
export { makeGroup, type Group, type GroupSpec, type MatrixList } from "./group.js";
export { P1, P4, P4M, planeGroup, type PlaneGroup } from "./plane.js";
