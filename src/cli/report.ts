/**
 * The tour report: one self-contained `index.html` with, per experiment, its description, a
 * table of its numbers and its SVG plots inlined (Node only: reads the experiment folders).
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { flattenResults, type Experiment, type ExperimentResults } from "../experiments/types.js";

/** One experiment's outcome as shown in the report. */
export interface ReportEntry {
  experiment: Experiment;
  results: ExperimentResults;
  /** The folder the experiment wrote into. */
  dir: string;
  seconds: number;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

function fmt(v: unknown): string {
  if (typeof v === "number" && !Number.isInteger(v)) {
    return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 ? v.toPrecision(4) : v.toExponential(3);
  }
  return String(v);
}

function section(root: string, e: ReportEntry): string {
  const files = readdirSync(e.dir).sort();
  const svgs = files.filter((f) => f.endsWith(".svg"));
  const rows = flattenResults(e.results)
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(fmt(v))}</td></tr>`)
    .join("\n");
  const plots = svgs
    .map((f) => {
      // Strip any XML prolog so the SVG can sit inline in HTML.
      const svg = readFileSync(join(e.dir, f), "utf8").replace(/^<\?xml[^>]*>\s*/, "");
      return `<figure>${svg}<figcaption>${escapeHtml(f)}</figcaption></figure>`;
    })
    .join("\n");
  const links = files
    .map((f) => `<a href="${escapeHtml(relative(root, join(e.dir, f)).split("\\").join("/"))}">${escapeHtml(f)}</a>`)
    .join(" · ");
  const id = escapeHtml(e.experiment.name);
  return `<section id="${id}">
<h2>${id}</h2>
<p>${escapeHtml(e.experiment.description)}</p>
<p class="meta">quick form, ${e.seconds.toFixed(1)} s · files: ${links}</p>
<table>${rows}</table>
<div class="plots">${plots}</div>
</section>`;
}

/** Writes `<root>/index.html` for `entries` and returns its path. */
export function writeReport(root: string, entries: ReportEntry[], meta: { seed: number; seconds: number }): string {
  const toc = entries
    .map((e) => `<li><a href="#${escapeHtml(e.experiment.name)}">${escapeHtml(e.experiment.name)}</a></li>`)
    .join("");
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>noether tour</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; max-width: 1000px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.2em; } .meta { color: #666; font-size: 13px; }
section { border-top: 1px solid #ddd; margin-top: 2em; padding-top: 1em; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { padding: 2px 12px; border-bottom: 1px solid #eee; text-align: left; font-variant-numeric: tabular-nums; }
th { font-weight: 600; }
.plots { display: flex; flex-wrap: wrap; gap: 1.5em; }
figure { margin: 0; } figcaption { color: #666; font-size: 12px; text-align: center; }
svg { max-width: 100%; height: auto; }
</style>
</head>
<body>
<h1>noether tour</h1>
<p class="meta">Every experiment's quick form (seed ${meta.seed}), ${meta.seconds.toFixed(1)} s in all, generated ${escapeHtml(new Date().toISOString())} on Node ${escapeHtml(process.version)}. Run one at full size with <code>noether run &lt;name&gt;</code>.</p>
<ul>${toc}</ul>
${entries.map((e) => section(root, e)).join("\n")}
</body>
</html>
`;
  const path = join(root, "index.html");
  writeFileSync(path, html);
  return path;
}
