import { lineChart } from "../lib/chart.js";
import { demoPage } from "../lib/page.js";

demoPage({
  title: "φ⁴ flow vs HMC",
  about: [
    "A normalizing flow learns to turn Gaussian noise into configurations of the φ⁴ lattice field theory (m² = −4, periodic L×L lattice) by minimising the reverse KL divergence to e^(−S), with no training data.",
    "Its samples become proposals of an independence Metropolis sampler: watch the acceptance rate and the effective sample size rise as it trains, and its histogram of the mean field approach the one HMC samples.",
    "Its coupling layers are periodic convolutions made odd in φ, so the flow respects the lattice translations and the φ → −φ symmetry of the action exactly.",
  ],
  paper: {
    label:
      "Albergo, Kanwar & Shanahan 2019, Flow-based generative models for Markov chain Monte Carlo in lattice field theory",
    url: "https://arxiv.org/abs/1904.12072",
  },
  controls: [
    { name: "steps", label: "training steps", min: 10, max: 5000, value: 300, integer: true, slider: true, step: 10 },
    { name: "L", label: "lattice size L", min: 2, max: 16, value: 6, integer: true, multipleOf: 2 },
    { name: "lambda", label: "coupling λ", min: 0.01, max: 20, value: 6.975 },
    { name: "couplings", label: "coupling layers", min: 2, max: 24, value: 8, integer: true },
    { name: "batch", label: "batch size", min: 8, max: 256, value: 64, integer: true },
    { name: "lr", label: "learning rate", min: 1e-5, max: 0.05, value: 5e-3 },
  ],
  metrics: {
    loss: "reverse KL + log Z",
    acceptance: "flow acceptance",
    essPerSample: "ESS/sample",
    hmcAcceptance: "HMC acceptance",
  },
  charts: [
    {
      name: "loss",
      title: "Reverse-KL loss (KL + log Z)",
      spec: lineChart({ x: "step", y: "loss" }),
    },
    {
      name: "acceptance",
      title: "Flow sampler: acceptance and ESS per sample",
      spec: lineChart({ x: "step", y: "value", color: "what", yTitle: null, yScale: [0, 1], points: true }),
    },
    {
      name: "histogram",
      title: "Mean field M/V: flow sampler vs HMC",
      spec: {
        width: 250,
        height: 220,
        mark: { type: "line", interpolate: "step" },
        encoding: {
          x: { field: "m", type: "quantitative", title: "M / V" },
          y: { field: "density", type: "quantitative" },
          color: { field: "sampler", type: "nominal", title: null },
        },
      },
    },
  ],
  worker: () => new Worker(new URL("./phi4.worker.ts", import.meta.url), { type: "module" }),
});
