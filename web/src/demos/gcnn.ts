import { lineChart } from "../lib/chart.js";
import { demoPage } from "../lib/page.js";

const heat = (facet: boolean) => ({
  width: facet ? 110 : 160,
  height: facet ? 110 : 160,
  mark: "rect" as const,
  encoding: {
    x: { field: "c", type: "ordinal" as const, axis: null },
    y: { field: "r", type: "ordinal" as const, axis: null },
    color: { field: "v", type: "quantitative" as const, scale: { scheme: facet ? "redblue" : "greys" }, legend: null },
    ...(facet
      ? {
          facet: {
            field: "map",
            type: "nominal" as const,
            columns: 5,
            title: null,
            sort: ["ordinary", "p4, rotation 0°", "p4, rotation 90°", "p4, rotation 180°", "p4, rotation 270°"],
          },
        }
      : {}),
  },
});

let send: (v: Record<string, number>) => void = () => {};
const state = { digit: 7, sample: 0, angle: 0 };

demoPage({
  title: "Group CNN: rotate a digit",
  about: [
    "A p4 group CNN (lifting and group convolutions over the four 90° rotations) and an ordinary CNN of similar size learn to classify upright MNIST digits, side by side.",
    "Turn the rotation slider: at multiples of 90° the p4 network's feature maps rotate and swap orientation channels while its prediction stays exactly the same, and the ordinary CNN's prediction changes because it never saw rotated digits.",
    "The invariance is built into the architecture (the logits are a max over the group axis), not learned from augmented data.",
  ],
  paper: {
    label: "Cohen & Welling 2016, Group Equivariant Convolutional Networks",
    url: "https://arxiv.org/abs/1602.07576",
  },
  controls: [
    { name: "steps", label: "training steps", min: 10, max: 2000, value: 200, integer: true, slider: true, step: 10 },
    { name: "channels", label: "p4 channels", min: 1, max: 16, value: 4, integer: true },
    { name: "batch", label: "batch size", min: 4, max: 128, value: 32, integer: true },
    { name: "lr", label: "learning rate", min: 1e-5, max: 0.1, value: 3e-3 },
  ],
  metrics: {
    p4Loss: "p4 loss",
    z2Loss: "ordinary loss",
    p4RotatedAcc: "p4 acc (rotated)",
    z2RotatedAcc: "ordinary acc (rotated)",
  },
  charts: [
    {
      name: "loss",
      title: "Training loss (cross-entropy, upright digits)",
      spec: lineChart({ x: "step", y: "loss", color: "series" }),
    },
    { name: "input", title: "The rotated digit", spec: heat(false) },
    {
      name: "probs",
      title: "Class probabilities for the rotated digit",
      spec: {
        width: 250,
        height: 200,
        mark: "bar",
        encoding: {
          x: { field: "digit", type: "ordinal", title: "digit" },
          xOffset: { field: "model" },
          y: { field: "p", type: "quantitative", scale: { domain: [0, 1] }, title: "probability" },
          color: { field: "model", type: "nominal", title: null },
        },
      },
    },
    { name: "features", title: "First-layer feature maps (channel 0)", spec: heat(true) },
  ],
  worker: () => {
    const w = new Worker(new URL("./gcnn.worker.ts", import.meta.url), { type: "module" });
    void fetch(new URL("digits.bin", document.baseURI))
      .then((r) => {
        if (!r.ok) throw new Error(`digits.bin: HTTP ${r.status}`);
        return r.arrayBuffer();
      })
      .then((bytes) => w.postMessage({ type: "data", name: "digits", bytes }, [bytes]));
    return w;
  },
  extra: (root, post) => {
    send = post;
    root.innerHTML = `<div class="digits">Digit: ${Array.from({ length: 10 }, (_, d) => `<button data-digit="${d}">${d}</button>`).join("")} <button id="next-sample">another</button></div><div class="control"><label for="angle">rotation</label><input id="angle" type="range" min="0" max="345" step="15" value="0" /><output id="angle-value">0°</output></div>`;
    for (const b of root.querySelectorAll<HTMLButtonElement>("button[data-digit]"))
      b.addEventListener("click", () => {
        state.digit = Number(b.dataset.digit);
        send(state);
      });
    root.querySelector("#next-sample")!.addEventListener("click", () => {
      state.sample++;
      send(state);
    });
    const angle = root.querySelector<HTMLInputElement>("#angle")!;
    angle.addEventListener("input", () => {
      state.angle = Number(angle.value);
      root.querySelector("#angle-value")!.textContent = `${angle.value}°`;
      send(state);
    });
  },
});
