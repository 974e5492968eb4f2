import { lineChart } from "../lib/chart.js";
import { demoPage } from "../lib/page.js";

demoPage({
  title: "Symmetry discovery: find the hidden rotation",
  about: [
    "Points of a 3-D Gaussian cloud carry a label, their squared distance from a hidden axis, so the labelled cloud is unchanged by rotations about that axis — and by nothing else.",
    "A generator network proposes a Lie algebra element Ĝ and moves points by exp(zĜ) while a discriminator tries to tell moved points from real ones; watch Ĝ's entries line up with the true generator and the principal angle between them fall towards 0°.",
    "The learned generator is an ordinary noether group once training ends, so the same constraint solver that builds EMLP layers for textbook groups can enforce it exactly.",
  ],
  paper: {
    label: "Yang, Walters, Dehmamy & Yu 2023, Generative Adversarial Symmetry Discovery",
    url: "https://arxiv.org/abs/2302.00236",
  },
  controls: [
    { name: "steps", label: "training steps", min: 50, max: 5000, value: 500, integer: true, slider: true, step: 50 },
    { name: "samples", label: "points", min: 64, max: 8000, value: 2000, integer: true },
    { name: "lr", label: "generator lr", min: 1e-5, max: 0.1, value: 0.01 },
    { name: "seed", label: "hidden axis seed", min: 0, max: 9999, value: 3, integer: true },
  ],
  metrics: {
    angle: "angle to truth (°)",
    discriminatorLoss: "D loss",
    generatorLoss: "G loss",
    symmetryScore: "score",
  },
  charts: [
    {
      name: "angle",
      title: "Principal angle between Ĝ and the true generator",
      spec: lineChart({ x: "step", y: "angle", yTitle: "degrees", yScale: [0, 90] }),
    },
    {
      name: "generators",
      title: "Learned Ĝ vs true [a]× (3×3 entries)",
      spec: {
        width: 120,
        height: 120,
        mark: "rect",
        encoding: {
          x: { field: "c", type: "ordinal", axis: null },
          y: { field: "r", type: "ordinal", axis: null },
          color: { field: "v", type: "quantitative", scale: { scheme: "redblue", domain: [-0.75, 0.75] }, title: null },
          facet: { field: "which", type: "nominal", title: null, sort: ["true [a]×", "learned Ĝ"] },
        },
      },
    },
    {
      name: "cloud",
      title: "The point cloud (x₁, x₂), coloured by the invariant label",
      spec: {
        width: 250,
        height: 260,
        mark: { type: "circle", size: 10, opacity: 0.6 },
        encoding: {
          x: { field: "x1", type: "quantitative", title: "x₁" },
          y: { field: "x2", type: "quantitative", title: "x₂" },
          color: { field: "label", type: "quantitative", scale: { scheme: "viridis" }, title: "label" },
        },
      },
    },
  ],
  worker: () => new Worker(new URL("./discovery.worker.ts", import.meta.url), { type: "module" }),
});
