/**
 * Live plots: a vega-lite spec (the same library the CLI's reports use) compiled once into a
 * vega View (built when the first rows arrive); `set`/`append` replace or extend its rows and re-render at most once per animation
 * frame. The container's `data-points` attribute holds the row count (the browser tests read it).
 */
import { parse, View, Warn } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import type { Row } from "./protocol.js";

/**
 * A vega-lite spec without data (rows arrive through `set`/`append` under the name "values");
 * vega-lite validates it when the chart is built.
 */
export type ChartSpec = Record<string, unknown>;

export class LiveChart {
  private rows: Row[] = [];
  private view: View | null = null;
  private readonly runtime: ReturnType<typeof parse>;
  private scheduled = false;

  constructor(
    readonly el: HTMLElement,
    spec: ChartSpec,
    /** Appended rows beyond this are thinned (every other old row dropped). */
    private readonly maxRows = 4000,
  ) {
    const vl = { ...spec, data: { name: "values" } } as TopLevelSpec;
    this.runtime = parse(compile(vl).spec);
    this.placeholder();
  }

  /** Replaces every row. */
  set(rows: Row[]): void {
    this.rows = rows;
    this.schedule();
  }

  /** Adds rows at the end (loss curves). */
  append(rows: Row[]): void {
    this.rows.push(...rows);
    if (this.rows.length > this.maxRows) this.rows = this.rows.filter((_, i) => i % 2 === 0);
    this.schedule();
  }

  /** Drops every row (the chart shows "waiting for data" until the next rows arrive). */
  clear(): void {
    this.rows = [];
    this.view?.finalize();
    this.view = null;
    this.placeholder();
  }

  private placeholder(): void {
    this.el.dataset.points = "0";
    this.el.innerHTML = '<p class="waiting">waiting for data…</p>';
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      const rows = this.rows.slice();
      if (rows.length === 0) return;
      // The View is built on the first rows: laid out on empty data, vega computes infinite
      // extents and some layouts (bands, facets, legends) do not recover.
      if (this.view === null) {
        this.el.innerHTML = "";
        this.view = new View(this.runtime, { renderer: "svg", container: this.el, hover: true, logLevel: Warn });
      }
      this.el.dataset.points = String(rows.length);
      void this.view.data("values", rows).runAsync();
    });
  }
}

/** A line chart spec over rows { [x], [y], [color]? } (the demos' loss and metric curves). */
export function lineChart(o: {
  x: string;
  y: string;
  /** Field naming each line (a legend), if several. */
  color?: string;
  /** Fixed legend order. */
  colorDomain?: string[];
  /** Draw points in the order of this field (default x: lines follow x). */
  order?: string;
  xTitle?: string;
  yTitle?: string | null;
  /** "log", a fixed [lo, hi] domain, or (default) a free, non-zero-anchored axis. */
  yScale?: "log" | [number, number];
  points?: boolean;
}): ChartSpec {
  const yScale = o.yScale === "log" ? { type: "log" } : o.yScale !== undefined ? { domain: o.yScale } : { zero: false };
  return {
    width: 250,
    height: 220,
    mark: { type: "line", strokeWidth: 1.5, ...(o.points ? { point: true } : {}) },
    encoding: {
      x: { field: o.x, type: "quantitative", title: o.xTitle ?? o.x, scale: { zero: false } },
      y: { field: o.y, type: "quantitative", title: o.yTitle === undefined ? o.y : o.yTitle, scale: yScale },
      ...(o.color
        ? {
            color: {
              field: o.color,
              type: "nominal",
              title: null,
              ...(o.colorDomain ? { scale: { domain: o.colorDomain } } : {}),
            },
          }
        : {}),
      order: { field: o.order ?? o.x, type: "quantitative" },
    },
  };
}
