/**
 * What the equivariance tests share: one catalogue of groups (every kind the library has: compact
 * and not, continuous and finite, products, user-defined), the small representations the layer
 * tests run on, and the negative control. A new layer's equivariance test is one line over
 * GROUPS with `assertRepEquivariant` (src/testing): add it to LAYER_CASES below.
 */
import type { Array as JArray } from "../src/jax.js";
import {
  C,
  customGroup,
  Dihedral,
  directProduct,
  GL,
  Lorentz,
  O,
  O13,
  RxSO2,
  S,
  SE,
  SL,
  SO,
  SO13p,
  Sp,
  SU,
  Translations,
  U,
  Z,
  type Group,
} from "../src/groups/index.js";
import { hostNormal, hostRng } from "../src/core/rng.js";
import { groupFromGenerators, invariantFromGradients } from "../src/discovery/index.js";
import {
  EMLP,
  EMLPBlock,
  EquivariantBilinear,
  EquivariantLinear,
  GatedNonlinearity,
  gated,
  residual,
} from "../src/layers/emlp/index.js";
import { MLP } from "../src/nn/layers.js";
import type { RepModule } from "../src/nn/module.js";
import { Scalar, T, V, type Rep } from "../src/reps/index.js";
import { repEquivarianceError, type RepEquivarianceOptions } from "../src/testing/equivariance.js";

const rot = (t: number) => [
  [Math.cos(t), -Math.sin(t)],
  [Math.sin(t), Math.cos(t)],
];

/** so(1,3) as discovery finds it: the nullspace of ∇(xᵀηx)·Lx = 0 at 64 random points, made a group. */
function learnedLorentz(): Group {
  const x = hostNormal(64 * 4, hostRng(17));
  const g = x.map((v, i) => 2 * (i % 4 === 0 ? 1 : -1) * v);
  return groupFromGenerators(invariantFromGradients(x, g, { n: 64, width: 4 }), { name: "learned-so(1,3)" });
}

/** Every group the equivariance tests run over. */
export const GROUPS: readonly Group[] = [
  SO(3),
  O(3),
  SL(2),
  GL(2),
  Sp(1),
  SO13p(),
  O13(),
  Lorentz(),
  SU(2),
  U(2),
  Translations(2),
  SE(2),
  SE(3),
  RxSO2(),
  Z(3),
  C(4),
  Dihedral(3),
  S(3),
  directProduct(SO(2), Z(2)),
  customGroup({ name: "custom-C6", discreteGenerators: [rot(Math.PI / 3)] }),
  // A non-orthogonal one-parameter group, as a learned generator would be.
  customGroup({
    name: "learned-ish",
    lieAlgebra: [
      [
        [0, -1, 0.5],
        [1, 0, 0],
        [0, 0, 0],
      ],
    ],
  }),
  // A group discovered from data, through the same code path as the textbook ones.
  learnedLorentz(),
];

/** Small test reps: in = V ⊕ 1, hidden = 2·1 ⊕ 2V ⊕ V⊗V*, out = V ⊕ 1. */
export function smallReps(G: Group): { rin: Rep; hidden: Rep; rout: Rep } {
  const v = V(G);
  return {
    rin: v.sum(Scalar(G)),
    hidden: Scalar(G)
      .times(2)
      .sum(v.times(2), T(1, 1, G)),
    rout: v.sum(Scalar(G)),
  };
}

/**
 * Every RepModule the library has, built for a group on the small reps: the equivariance test
 * (test/equivariance.test.ts) checks each against every group of GROUPS. A new layer joins it
 * with one line here.
 */
export const LAYER_CASES: readonly { name: string; make: (G: Group) => RepModule }[] = [
  { name: "EquivariantLinear", make: (G) => EquivariantLinear(smallReps(G).rin, smallReps(G).hidden) },
  {
    name: "EquivariantBilinear",
    make: (G) => EquivariantBilinear(gated(smallReps(G).hidden), gated(smallReps(G).hidden)),
  },
  { name: "GatedNonlinearity", make: (G) => GatedNonlinearity(smallReps(G).hidden) },
  { name: "EMLPBlock", make: (G) => EMLPBlock(smallReps(G).rin, smallReps(G).hidden) },
  {
    name: "EMLP",
    make: (G) => EMLP(smallReps(G).rin, smallReps(G).rout, G, { channels: smallReps(G).hidden, layers: 2 }),
  },
  { name: "residual", make: (G) => residual(EquivariantLinear(smallReps(G).hidden, smallReps(G).hidden)) },
];

/** A plain MLP between two reps, declared as a RepModule so the same harness can check it. */
export function plainMLP(repIn: Rep, repOut: Rep, hidden = 32): RepModule {
  const net = MLP([repIn.size, hidden, repOut.size], { activation: "silu" });
  return {
    kind: "MLP",
    repIn,
    repOut,
    inSize: repIn.size,
    outSize: repOut.size,
    init: (key: JArray) => net.init(key),
    apply: (p, x) => net.apply(p as never, x),
    applyT: (p, xT) => net.apply(p as never, xT.transpose([1, 0])).transpose([1, 0]),
  };
}

/** The negative control: a plain MLP's equivariance error between the same reps (must be ≫ the tolerance). */
export async function mlpEquivarianceError(
  repIn: Rep,
  repOut: Rep,
  opts: RepEquivarianceOptions<never> = {},
): Promise<number> {
  return (await repEquivarianceError(plainMLP(repIn, repOut), { seed: 3, ...opts })).maxError;
}
