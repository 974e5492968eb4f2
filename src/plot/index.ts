/**
 * Small plotting helpers: vega-lite specs rendered to SVG strings with vega's headless
 * renderer. Browser-safe (vega and vega-lite run in browsers too); no Node-only imports.
 */
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

/** One named series of (x, y) points; non-finite points are dropped when plotting. */
export interface Series {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Draw this series' line dashed (e.g. reference numbers beside measured ones). */
  dashed?: boolean;
  /** Series with the same group share a colour (default: the name); the legend lists groups. */
  group?: string;
}

/** Options shared by the plot helpers. */
export interface PlotOptions {
  series: Series[];
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Logarithmic y axis (points with y ≤ 0 are dropped). */
  logY?: boolean;
  /** Logarithmic x axis (points with x ≤ 0 are dropped). */
  logX?: boolean;
  /** Legend labels of solid and dashed lines, when some series are dashed (default: no legend). */
  dashLegend?: [solid: string, dashed: string];
  /** Plot area size in pixels (default 420 × 260). */
  width?: number;
  height?: number;
}

/** Options of `scatterPlot`: points, plus optional line series drawn underneath. */
export interface ScatterPlotOptions extends PlotOptions {
  /** Series drawn as lines under the points (e.g. the true function). */
  lines?: Series[];
  /** Point size in square pixels (default 16). */
  pointSize?: number;
}

interface Row {
  x: number;
  y: number;
  series: string;
  group: string;
  dashed: boolean;
}

function rows(series: Series[], logX: boolean, logY: boolean): Row[] {
  const out: Row[] = [];
  for (const s of series) {
    const n = Math.min(s.x.length, s.y.length);
    for (let i = 0; i < n; i++) {
      const x = Number(s.x[i]);
      const y = Number(s.y[i]);
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      if ((logX && x <= 0) || (logY && y <= 0)) continue;
      out.push({ x, y, series: s.name, group: s.group ?? s.name, dashed: s.dashed ?? false });
    }
  }
  return out;
}

/** Shared x, y and colour encodings: one colour per group (a series' group defaults to its name), one mark per series. */
function encoding(o: PlotOptions, series: Series[]): Record<string, unknown> {
  const groups = [...new Set(series.map((s) => s.group ?? s.name))];
  return {
    x: { field: "x", type: "quantitative", title: o.xLabel ?? "x", scale: o.logX ? { type: "log" } : { zero: false } },
    y: { field: "y", type: "quantitative", title: o.yLabel ?? "y", scale: o.logY ? { type: "log" } : { zero: false } },
    color: { field: "group", type: "nominal", title: null, scale: { domain: groups } },
    detail: { field: "series", type: "nominal" },
  };
}

function frame(o: PlotOptions): Partial<TopLevelSpec> {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    ...(o.title !== undefined ? { title: o.title } : {}),
    width: o.width ?? 420,
    height: o.height ?? 260,
    background: "white",
  } as Partial<TopLevelSpec>;
}

/** Renders a vega-lite spec to an SVG string (vega-lite compile → vega View, renderer "none"). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vgSpec = compile(spec).spec;
  const view = new vega.View(vega.parse(vgSpec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The vega-lite spec of a multi-series line plot (see `linePlot`). */
export function linePlotSpec(o: PlotOptions): TopLevelSpec {
  const dashLegend = o.dashLegend
    ? {
        title: null,
        symbolType: "stroke",
        symbolStrokeColor: "#555",
        symbolStrokeWidth: 1.75,
        symbolSize: 300,
        labelExpr: `datum.value ? ${JSON.stringify(o.dashLegend[1])} : ${JSON.stringify(o.dashLegend[0])}`,
      }
    : null;
  return {
    ...frame(o),
    data: { values: rows(o.series, o.logX ?? false, o.logY ?? false) },
    mark: { type: "line", strokeWidth: 1.75 },
    encoding: {
      ...encoding(o, o.series),
      ...(o.series.some((s) => s.dashed)
        ? {
            strokeDash: {
              field: "dashed",
              type: "nominal",
              legend: dashLegend,
              scale: {
                domain: [false, true],
                range: [
                  [1, 0],
                  [5, 3],
                ],
              },
            },
          }
        : {}),
    },
  } as TopLevelSpec;
}

/** SVG of a multi-series line plot, e.g. train and validation loss vs epoch with `logY`. */
export async function linePlot(o: PlotOptions): Promise<string> {
  return renderSvg(linePlotSpec(o));
}

/** The vega-lite spec of a scatter plot with optional line overlays (see `scatterPlot`). */
export function scatterPlotSpec(o: ScatterPlotOptions): TopLevelSpec {
  const lines = o.lines ?? [];
  const logX = o.logX ?? false;
  const logY = o.logY ?? false;
  const enc = encoding(o, [...lines, ...o.series]);
  const layers: unknown[] = [];
  if (lines.length > 0) {
    layers.push({
      data: { values: rows(lines, logX, logY) },
      mark: { type: "line", strokeWidth: 1.75 },
      encoding: enc,
    });
  }
  layers.push({
    data: { values: rows(o.series, logX, logY) },
    mark: { type: "point", filled: true, size: o.pointSize ?? 16, opacity: 0.8, aria: false },
    encoding: enc,
  });
  return { ...frame(o), layer: layers } as TopLevelSpec;
}

/** SVG of a scatter plot (points per series), with optional lines underneath (`lines`). */
export async function scatterPlot(o: ScatterPlotOptions): Promise<string> {
  return renderSvg(scatterPlotSpec(o));
}

/** One model's loss history for `lossCurvePlot`: per epoch, the training loss and (optionally) a validation loss. */
export interface LossCurve {
  /** Prefix of the two series' names ("" for a single model: "train", "validation"). */
  name: string;
  history: readonly { epoch: number; trainLoss: number; valLoss?: number }[];
}

/**
 * SVG of training and validation loss curves, two series per model (`<name> train`,
 * `<name> <valName>`), against the epoch or, with `stepsPerEpoch`, the step; log y by default.
 */
export async function lossCurvePlot(o: {
  curves: readonly LossCurve[];
  title: string;
  yLabel: string;
  /** Name of the second series of each model (default "validation"). */
  valName?: string;
  /** x = epoch × stepsPerEpoch, labelled "step" (default: x = epoch, labelled "epoch"). */
  stepsPerEpoch?: number;
  logY?: boolean;
}): Promise<string> {
  const label = (model: string, what: string) => (model === "" ? what : `${model} ${what}`);
  const series: Series[] = o.curves.flatMap((c) => {
    const x = c.history.map((h) => h.epoch * (o.stepsPerEpoch ?? 1));
    return [
      { name: label(c.name, "train"), x, y: c.history.map((h) => h.trainLoss) },
      { name: label(c.name, o.valName ?? "validation"), x, y: c.history.map((h) => h.valLoss ?? Number.NaN) },
    ];
  });
  return linePlot({
    title: o.title,
    series,
    xLabel: o.stepsPerEpoch !== undefined ? "step" : "epoch",
    yLabel: o.yLabel,
    logY: o.logY ?? true,
  });
}
