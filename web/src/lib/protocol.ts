/**
 * Messages between a demo page and its training worker. The page sends `start` (with the
 * demo's validated settings) and `stop`; the worker answers `ready` once the engine is up, then
 * `progress` as it trains (numbers for the status line, named data series for the plots),
 * `done` when it stops, or `error`.
 */

import { initEngine } from "../../../src/core/engine.js";

/** One row of a plot's data (vega-lite `values`). */
export type Row = Record<string, number | string>;

export type ToWorker =
  | { type: "start"; settings: Record<string, number> }
  | { type: "stop" }
  /** A widget changed (e.g. the rotation slider): the worker re-renders what depends on it. */
  | { type: "input"; value: Record<string, number> }
  /** Bytes the page fetched for the worker (e.g. the digit sample). */
  | { type: "data"; name: string; bytes: ArrayBuffer };

export type FromWorker =
  | { type: "ready"; device: string; available: string[] }
  | {
      type: "progress";
      step: number;
      total: number;
      /** Scalars shown on the page (and read by the browser tests), e.g. { loss: 0.01 }. */
      metrics: Record<string, number>;
      /** Plot data to replace, by chart name. */
      series?: Record<string, Row[]>;
      /** Rows to append, by chart name (loss curves). */
      append?: Record<string, Row[]>;
    }
  /** A redraw after an `input` message (no training step): metrics and series to replace. */
  | { type: "view"; metrics: Record<string, number>; series: Record<string, Row[]> }
  | { type: "done"; reason: "completed" | "stopped"; step: number }
  | { type: "error"; message: string };

/** The worker side: typed `post` and a message handler (workers have no DOM types here). */
export function workerPort(onMessage: (m: ToWorker) => void): (m: FromWorker) => void {
  const scope = globalThis as unknown as {
    postMessage(m: FromWorker): void;
    onmessage: ((e: { data: ToWorker }) => void) | null;
  };
  scope.onmessage = (e) => onMessage(e.data);
  return (m) => scope.postMessage(m);
}

/** Yields to the worker's event loop so that a `stop` message can arrive between steps. */
export const yieldNow = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/** What a demo's `run` gets: `post` for progress, and `signal`, aborted when the page sends `stop`. */
export interface DemoContext {
  post: (m: FromWorker) => void;
  signal: AbortSignal;
}

/**
 * The worker side of a demo: starts the engine and reports `ready`; on `start` calls
 * `run(settings, ctx)` (which returns the steps it completed) and reports `done` — "stopped" when
 * `stop` arrived meanwhile — or `error` with the message; `input` and `data` messages go to the
 * optional handlers.
 */
export function serveDemo(o: {
  run: (settings: Record<string, number>, ctx: DemoContext) => Promise<number>;
  onInput?: (value: Record<string, number>, post: (m: FromWorker) => void) => void;
  onData?: (name: string, bytes: ArrayBuffer) => void;
}): void {
  let ctl = new AbortController();
  const post = workerPort((m) => {
    if (m.type === "stop") ctl.abort();
    else if (m.type === "input") o.onInput?.(m.value, post);
    else if (m.type === "data") o.onData?.(m.name, m.bytes);
    else {
      ctl = new AbortController();
      const signal = ctl.signal;
      o.run(m.settings, { post, signal }).then(
        (step) => post({ type: "done", reason: signal.aborted ? "stopped" : "completed", step }),
        (e: Error) => post({ type: "error", message: e.message }),
      );
    }
  });
  void initEngine().then(
    (info) => post({ type: "ready", device: info.device, available: info.available }),
    (e: Error) => post({ type: "error", message: `the engine did not start: ${e.message}` }),
  );
}
