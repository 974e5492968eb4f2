import assert from "node:assert/strict";
import { test } from "node:test";
import { linePlot, scatterPlot } from "../src/plot/index.js";

const xs = Array.from({ length: 20 }, (_, i) => i + 1);

test("linePlot renders an SVG with one path per series, log-y drops non-positive values", async () => {
  const svg = await linePlot({
    series: [
      { name: "train", x: xs, y: xs.map((x) => 1 / x) },
      { name: "val", x: xs, y: xs.map((x) => (x === 3 ? 0 : 2 / x)) },
    ],
    xLabel: "epoch",
    yLabel: "loss",
    logY: true,
    title: "loss",
  });
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.ok(svg.trimEnd().endsWith("</svg>"));
  const linePaths = svg.match(/<path[^>]*aria-roledescription="line mark"[^>]*d="M[\d.-]+,[\d.-]+L[^"]+"/g) ?? [];
  assert.equal(linePaths.length, 2);
  assert.ok(svg.includes("epoch") && svg.includes("loss") && svg.includes("val"));
  assert.ok(!svg.includes("NaN"));
});

test("linePlot: a dashed series shares its group's colour, one line per series, the dash legend", async () => {
  const svg = await linePlot({
    series: [
      { name: "ours", x: xs, y: xs.map((x) => 1 / x) },
      { name: "paper: ours", group: "ours", x: xs, y: xs.map((x) => 1.5 / x), dashed: true },
      { name: "other", x: xs, y: xs.map((x) => 3 / x) },
    ],
    logY: true,
    dashLegend: ["this run", "paper"],
  });
  const lines = svg.match(/<path[^>]*aria-roledescription="line mark"[^>]*>/g) ?? [];
  assert.equal(lines.length, 3);
  const stroke = (l: string) => /stroke="([^"]+)"/.exec(l)?.[1];
  const dashed = lines.filter((l) => /stroke-dasharray="5,3"/.test(l));
  assert.equal(dashed.length, 1);
  const colours = new Set(lines.map(stroke));
  assert.equal(colours.size, 2, `colours ${[...colours].join(" ")}`);
  assert.ok(svg.includes("this run") && svg.includes("paper"));
});

test("scatterPlot draws points and line overlays", async () => {
  const svg = await scatterPlot({
    series: [{ name: "prediction", x: xs, y: xs.map((x) => Math.sin(x)) }],
    lines: [{ name: "truth", x: xs, y: xs.map((x) => Math.sin(x) + 0.1) }],
    xLabel: "x",
    yLabel: "y",
  });
  const group = /<g class="mark-symbol role-mark[^"]*"[^>]*>(.*?)<\/g>/s.exec(svg);
  assert.ok(group, "no point-mark group in the SVG");
  const points = group[1]!.match(/<path transform="translate\([\d.-]+,[\d.-]+\)" d="M[^"]+"/g) ?? [];
  assert.equal(points.length, xs.length);
  assert.ok((svg.match(/<path/g) ?? []).length > xs.length);
  assert.ok(svg.includes("truth") && svg.includes("prediction"));
});
