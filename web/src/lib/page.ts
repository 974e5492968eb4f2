/**
 * The shell every demo page shares: a header naming the engine backend the worker got (WebGPU
 * or Wasm), three sentences on what the demo shows with a link to the paper, the controls,
 * Start/Stop, a status line, and the live charts. Training runs in the demo's Web Worker; this
 * side only renders what it reports.
 *
 * For scripts and the browser tests, `document.body.dataset` mirrors the state: `state`
 * (starting | ready | running | done | error), `step`, `device`, and per metric m the latest
 * value `m` and the first `first-m` (e.g. `data-loss`, `data-first-loss`); a redraw after a
 * widget moved sets `view-m` for its metrics and counts `views`.
 */
import "./style.css";
import { LiveChart, type ChartSpec } from "./chart.js";
import { renderControls, type ControlSpec } from "./controls.js";
import type { FromWorker, ToWorker } from "./protocol.js";

export const DEMOS = [
  { href: "hnn.html", title: "Hamiltonian NN" },
  { href: "gcnn.html", title: "Group CNN" },
  { href: "discovery.html", title: "Symmetry discovery" },
  { href: "phi4.html", title: "φ⁴ flow" },
] as const;

/** The page header with navigation and the engine badge (updated by `setDevice`). */
export function header(): { setDevice(device: string): void } {
  const h = document.createElement("header");
  const nav = DEMOS.map((d) => `<a href="${d.href}">${d.title}</a>`).join("");
  h.innerHTML = `<a class="home" href="index.html">noether</a><nav>${nav}</nav><span class="engine" id="engine">engine: starting…</span>`;
  document.body.prepend(h);
  const badge = h.querySelector<HTMLElement>("#engine")!;
  return {
    setDevice(device) {
      badge.textContent = `engine: ${device === "webgpu" ? "WebGPU" : device === "wasm" ? "Wasm" : device}`;
      badge.dataset.device = device;
    },
  };
}

export interface DemoSpec {
  title: string;
  /** Three sentences: what is shown, what to look for, what makes it work. */
  about: [string, string, string];
  paper: { label: string; url: string };
  controls: ControlSpec[];
  charts: { name: string; title: string; spec: ChartSpec }[];
  /** Metric names shown in the status line, with labels. */
  metrics: Record<string, string>;
  worker: () => Worker;
  /** Extra widgets under the controls; `send` posts an `input` message to the worker. */
  extra?: (root: HTMLElement, send: (value: Record<string, number>) => void) => void;
}

const fmt = (v: number): string =>
  Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toPrecision(4);

/** Builds the demo page into `document.body` and wires it to a fresh worker. */
export function demoPage(spec: DemoSpec): void {
  document.title = `${spec.title} — noether playground`;
  const { setDevice } = header();
  const main = document.createElement("main");
  main.innerHTML = `<h1>${spec.title}</h1><p class="about"></p><section class="panel"><div class="controls"></div><div class="extra"></div><div class="buttons"><button id="start" disabled>Start</button><button id="stop" disabled>Stop</button></div><output id="status">Starting the engine…</output></section><section class="charts"></section>`;
  document.body.append(main);
  const about = main.querySelector<HTMLElement>(".about")!;
  about.textContent = `${spec.about.join(" ")} `;
  const link = document.createElement("a");
  link.href = spec.paper.url;
  link.textContent = spec.paper.label;
  link.rel = "noopener";
  about.append(link);
  const controls = renderControls(main.querySelector<HTMLElement>(".controls")!, spec.controls);
  const start = main.querySelector<HTMLButtonElement>("#start")!;
  const stop = main.querySelector<HTMLButtonElement>("#stop")!;
  const status = main.querySelector<HTMLOutputElement>("#status")!;
  const chartRoot = main.querySelector<HTMLElement>(".charts")!;
  const charts = new Map<string, LiveChart>();
  for (const c of spec.charts) {
    const fig = document.createElement("figure");
    fig.innerHTML = `<figcaption>${c.title}</figcaption>`;
    const el = document.createElement("div");
    el.className = "chart";
    el.id = `chart-${c.name}`;
    fig.append(el);
    chartRoot.append(fig);
    charts.set(c.name, new LiveChart(el, c.spec));
  }
  const data = document.body.dataset;
  data.state = "starting";
  const worker = spec.worker();
  const post = (m: ToWorker) => worker.postMessage(m);
  spec.extra?.(main.querySelector<HTMLElement>(".extra")!, (value) => post({ type: "input", value }));
  let ready = false;
  let running = false;
  const refresh = () => {
    const ok = controls.values() !== null;
    start.disabled = !ready || running || !ok;
    stop.disabled = !running;
    controls.setDisabled(running);
  };
  controls.onChange(refresh);
  start.addEventListener("click", () => {
    const settings = controls.values();
    if (settings === null || running) return;
    for (const c of charts.values()) c.clear();
    for (const k of Object.keys(data)) if (k.startsWith("first")) delete data[k];
    running = true;
    data.state = "running";
    data.step = "0";
    status.textContent = "Compiling the first step…";
    refresh();
    post({ type: "start", settings });
  });
  stop.addEventListener("click", () => post({ type: "stop" }));
  worker.onmessage = (e: MessageEvent<FromWorker>) => {
    const m = e.data;
    if (m.type === "ready") {
      ready = true;
      data.state = "ready";
      data.device = m.device;
      setDevice(m.device);
      status.textContent = "Ready: press Start.";
    } else if (m.type === "progress") {
      data.step = String(m.step);
      const parts = [`step ${m.step} / ${m.total}`];
      for (const [k, v] of Object.entries(m.metrics)) {
        const key = k.replace(/[^a-zA-Z0-9]/g, "");
        data[key] = String(v);
        const first = `first${key[0]!.toUpperCase()}${key.slice(1)}`;
        if (data[first] === undefined) data[first] = String(v);
        if (spec.metrics[k] !== undefined) parts.push(`${spec.metrics[k]} ${fmt(v)}`);
      }
      status.textContent = parts.join(" · ");
      for (const [name, rows] of Object.entries(m.series ?? {})) charts.get(name)?.set(rows);
      for (const [name, rows] of Object.entries(m.append ?? {})) charts.get(name)?.append(rows);
    } else if (m.type === "view") {
      for (const [k, v] of Object.entries(m.metrics)) data[`view${k[0]!.toUpperCase()}${k.slice(1)}`] = String(v);
      for (const [name, rows] of Object.entries(m.series)) charts.get(name)?.set(rows);
      data.views = String(Number(data.views ?? 0) + 1);
    } else if (m.type === "done") {
      running = false;
      data.state = "done";
      status.textContent = `${status.textContent} — ${m.reason === "stopped" ? "stopped" : "done"}`;
      refresh();
    } else {
      running = false;
      data.state = "error";
      status.textContent = `Error: ${m.message}`;
      refresh();
    }
  };
  worker.onerror = (e) => {
    running = false;
    data.state = "error";
    status.textContent = `Error: ${e.message}`;
    refresh();
  };
}
