/**
 * Heat maps of small matrices side by side (e.g. learned Lie algebra generators), as SVG: one
 * panel per matrix, a diverging colour scale symmetric about 0 shared by all panels.
 */
import type { TopLevelSpec } from "vega-lite";
import { renderSvg } from "./index.js";

/** One panel: a title and a d×d (or r×c) matrix. */
export interface HeatmapPanel {
  title: string;
  matrix: readonly (readonly number[])[];
}

/** The vega-lite spec of `matrixHeatmaps`. */
export function matrixHeatmapsSpec(
  panels: readonly HeatmapPanel[],
  o: { title?: string; cell?: number } = {},
): TopLevelSpec {
  const cell = o.cell ?? 22;
  let max = 0;
  for (const p of panels)
    for (const r of p.matrix) for (const v of r) if (Number.isFinite(v)) max = Math.max(max, Math.abs(v));
  max = max || 1;
  const values = panels.flatMap((p, k) =>
    p.matrix.flatMap((r, i) =>
      r.map((v, j) => ({
        panel: `${String(k).padStart(3, "0")} ${p.title}`,
        row: i,
        col: j,
        value: Number.isFinite(v) ? v : 0,
      })),
    ),
  );
  const rows = Math.max(1, ...panels.map((p) => p.matrix.length));
  const cols = Math.max(1, ...panels.map((p) => p.matrix[0]?.length ?? 0));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    ...(o.title !== undefined ? { title: o.title } : {}),
    background: "white",
    data: { values },
    facet: {
      field: "panel",
      type: "nominal",
      title: null,
      header: { labelExpr: "slice(datum.label, 4)", labelFontSize: 11 },
    },
    columns: Math.min(panels.length, 6),
    spec: {
      width: cols * cell,
      height: rows * cell,
      mark: { type: "rect", stroke: "#ddd", strokeWidth: 0.5 },
      encoding: {
        x: { field: "col", type: "ordinal", title: null, axis: null },
        y: { field: "row", type: "ordinal", title: null, axis: null },
        color: {
          field: "value",
          type: "quantitative",
          title: "entry",
          scale: { scheme: "redblue", domain: [-max, max], reverse: true },
        },
      },
    },
  } as TopLevelSpec;
}

/** SVG of the matrices as heat maps, one panel each. */
export function matrixHeatmaps(
  panels: readonly HeatmapPanel[],
  o: { title?: string; cell?: number } = {},
): Promise<string> {
  return renderSvg(matrixHeatmapsSpec(panels, o));
}
