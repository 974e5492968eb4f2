/**
 * Progress display for long CLI runs: a cli-progress bar with ETA on an interactive stderr,
 * otherwise (not a TTY, or --json) occasional plain lines on stderr. Never writes to stdout.
 */
import cliProgress from "cli-progress";
import type { ProgressEvent } from "../experiments/types.js";

/** A progress sink: `update` for each event, `stop` once at the end. */
export interface Progress {
  update(e: ProgressEvent): void;
  stop(): void;
}

/** Options of `createProgress`. */
export interface ProgressOptions {
  /** Label printed before the bar or line. */
  label: string;
  /** Allow the animated bar (false under --json). The bar also needs stderr to be a TTY. */
  bar: boolean;
  /** Minimum milliseconds between plain lines (default 2000). */
  intervalMs?: number;
  /** Where to write (default process.stderr). */
  stream?: NodeJS.WriteStream;
}

function fmtMetrics(m: Record<string, number> | undefined): string {
  if (m === undefined) return "";
  return Object.entries(m)
    .map(([k, v]) => `${k} ${Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? v.toPrecision(4) : v.toExponential(3)}`)
    .join("  ");
}

function fmtSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  return s < 60 ? `${s.toFixed(0)}s` : `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
}

/** True when `e` starts a new count: fewer done than before, or another total or unit. */
function newPhase(prev: ProgressEvent, e: ProgressEvent): boolean {
  return e.done < prev.done || e.total !== prev.total || e.unit !== prev.unit;
}

/** Creates a progress display on stderr (bar on a TTY unless `bar` is false, else plain lines). */
export function createProgress(opts: ProgressOptions): Progress {
  const stream = opts.stream ?? process.stderr;
  const interval = opts.intervalMs ?? 2000;
  if (opts.bar && stream.isTTY === true) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${opts.label} [{bar}] {percentage}% | {value}/{total} {unit} | ETA {eta_formatted} | {metrics}`,
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 50,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    let prev: ProgressEvent | null = null;
    return {
      update(e) {
        const payload = { unit: e.unit ?? "", metrics: fmtMetrics(e.metrics) };
        const phase = prev !== null && newPhase(prev, e);
        prev = e;
        if (!started || phase) {
          // A new phase (a count that restarts, e.g. the next model of a sweep) restarts the ETA.
          bar.start(e.total, e.done, payload);
          started = true;
        } else {
          bar.setTotal(e.total);
          bar.update(e.done, payload);
        }
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  const t0 = performance.now();
  let last = t0;
  // The rate (and so the ETA) is measured from the first event on: the first step of a jitted
  // loop includes compilation.
  let first: { t: number; done: number } | null = null;
  let lastEvent: ProgressEvent | null = null;
  let lastPrinted: ProgressEvent | null = null;
  const print = (e: ProgressEvent): void => {
    const now = performance.now();
    const elapsed = (now - t0) / 1000;
    const rate = first !== null && e.done > first.done ? (e.done - first.done) / ((now - first.t) / 1000) : NaN;
    const eta = (e.total - e.done) / rate;
    const pct = e.total > 0 ? Math.floor((100 * e.done) / e.total) : 0;
    const metrics = fmtMetrics(e.metrics);
    stream.write(
      `${opts.label}: ${e.done}/${e.total} ${e.unit ?? ""} (${pct}%, ${fmtSeconds(elapsed)} elapsed, ETA ${fmtSeconds(eta)})${metrics ? `  ${metrics}` : ""}\n`,
    );
    lastPrinted = e;
  };
  return {
    update(e) {
      const now = performance.now();
      // A new phase (the count restarts, e.g. the next model of a sweep): measure its rate afresh.
      if (lastEvent !== null && newPhase(lastEvent, e)) first = null;
      lastEvent = e;
      first ??= { t: now, done: e.done };
      if ((now - last >= interval && e.done > first.done) || (e.done >= e.total && lastPrinted?.done !== e.done)) {
        last = now;
        print(e);
      }
    },
    stop() {
      if (lastEvent !== null && lastEvent !== lastPrinted) print(lastEvent);
    },
  };
}
