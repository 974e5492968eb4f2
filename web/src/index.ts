import "./lib/style.css";
import { DEMOS, header } from "./lib/page.js";

const BLURBS: Record<string, string> = {
  "hnn.html": "Learn a spring's energy and watch it stay conserved, next to a network that does not.",
  "gcnn.html": "Rotate a digit: a p4 group CNN's prediction stays put while an ordinary CNN's changes.",
  "discovery.html": "A point cloud hides a rotation symmetry; watch a learned Lie algebra generator find it.",
  "phi4.html":
    "Train a symmetric normalizing flow for lattice φ⁴ theory and watch its Metropolis acceptance rise next to HMC.",
};

const { setDevice } = header();
const main = document.createElement("main");
main.innerHTML = `<h1>noether playground</h1><p class="about">Neural networks that respect symmetries, trained live in your browser on the same library code as the noether package and CLI. Each demo runs its training in a Web Worker on jax-js (WebGPU where the browser offers it, WebAssembly otherwise).</p><div class="cards">${DEMOS.map((d) => `<a class="card" href="${d.href}"><h2>${d.title}</h2><p>${BLURBS[d.href] ?? ""}</p></a>`).join("")}</div>`;
document.body.append(main);
setDevice(typeof (navigator as { gpu?: unknown }).gpu !== "undefined" ? "webgpu (if an adapter is granted)" : "wasm");
