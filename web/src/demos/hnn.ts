import { lineChart } from "../lib/chart.js";
import { demoPage } from "../lib/page.js";

const MODELS = ["true", "hnn", "baseline"];
demoPage({
  title: "Hamiltonian NN vs baseline on a spring",
  about: [
    "Two networks learn the dynamics of an ideal mass–spring from noisy observations of its phase-space velocity: a baseline that predicts dx/dt directly, and a Hamiltonian NN that learns a scalar energy H(q, p) and follows its symplectic gradient.",
    "Watch the phase portrait and the energy plot: the baseline's path spirals away from the true circle while the HNN's stays on a closed orbit, because its learned energy is conserved exactly along its own flow.",
    "Both are trained live in a worker with the library's closed-form input gradients of the MLP, Adam, and RK4 rollouts — the same code as `noether run hnn-spring`.",
  ],
  paper: {
    label: "Greydanus, Dzamba & Yosinski 2019, Hamiltonian Neural Networks",
    url: "https://arxiv.org/abs/1906.01563",
  },
  controls: [
    { name: "noise", label: "observation noise σ", min: 0, max: 1, value: 0.1, slider: true, step: 0.01 },
    { name: "steps", label: "training steps", min: 10, max: 5000, value: 400, integer: true, slider: true, step: 10 },
    { name: "hidden", label: "hidden width", min: 4, max: 256, value: 64, integer: true },
    { name: "lr", label: "learning rate", min: 1e-5, max: 0.1, value: 1e-3 },
  ],
  metrics: { hnnLoss: "HNN loss", baselineLoss: "baseline loss" },
  charts: [
    {
      name: "loss",
      title: "Training loss (MSE of dx/dt)",
      spec: lineChart({ x: "step", y: "loss", color: "series", colorDomain: MODELS, yScale: "log" }),
    },
    {
      name: "phase",
      title: "Phase portrait from (q, p) = (1, 0), t ∈ [0, 20]",
      spec: lineChart({ x: "q", y: "p", color: "series", colorDomain: MODELS, order: "i" }),
    },
    {
      name: "energy",
      title: "Energy along each path",
      spec: lineChart({ x: "t", y: "E", color: "series", colorDomain: MODELS, yTitle: "H(q, p)" }),
    },
  ],
  worker: () => new Worker(new URL("./hnn.worker.ts", import.meta.url), { type: "module" }),
});
