/**
 * Gradient check: reverse-mode autodiff against central finite differences, in float64 on
 * the plain-JS `cpu` device (where transcendentals are true float64).
 */
import { grad, type Array as JArray, type Device, type JsTree } from "../jax.js";
import { withDevice } from "../core/engine.js";
import { NoetherError } from "../core/errors.js";
import { fromHost, toFloat64 } from "../core/host.js";
import { hostRng } from "../core/rng.js";
import { flattenWithPaths, unflattenWithPaths } from "../core/tree.js";

export interface GradcheckOptions {
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Relative tolerance (default 1e-6). */
  rtol?: number;
  /** Absolute tolerance (default 1e-8). */
  atol?: number;
  /** Check at most this many entries, chosen at random (default 64; all if fewer). */
  maxEntries?: number;
  seed?: number;
  /** Device (default "cpu"). */
  device?: Device;
}

export interface GradcheckReport {
  ok: boolean;
  /** Entries checked. */
  checked: number;
  maxAbsError: number;
  /** Worst |a − n| / (atol + rtol·|n|); ≤ 1 passes. */
  worstRatio: number;
  /** Leaf path and flat index of the worst entry, with both values. */
  worst: { path: string; index: number; autodiff: number; numeric: number };
}

/** Thrown by `gradcheck` on a mismatch. */
export class GradcheckError extends NoetherError {
  constructor(readonly report: GradcheckReport) {
    const w = report.worst;
    super(
      `gradcheck failed: at ${w.path || "x"}[${w.index}] autodiff ${w.autodiff} vs finite difference ${w.numeric} ` +
        `(|diff| ${Math.abs(w.autodiff - w.numeric).toExponential(3)}, ${report.checked} entries checked)`,
    );
  }
}

/**
 * Checks grad(f) at x (an array or a tree of arrays, given as host data with shapes) against
 * central differences (f(x + εe) − f(x − εe)) / 2ε. `f` maps the same structure to a 0-d array
 * and consumes its argument. Throws GradcheckError on mismatch; returns the report.
 *
 * @example gradcheck((x) => np.sum(np.tanh(x)), { data: [0.1, 0.2], shape: [2] });
 */
export async function gradcheck(
  // biome-ignore lint/suspicious/noExplicitAny: f takes the array tree built from x, whatever its structure
  f: (x: any) => JArray,
  x: HostTree,
  opts: GradcheckOptions = {},
): Promise<GradcheckReport> {
  const eps = opts.eps ?? 1e-6;
  const rtol = opts.rtol ?? 1e-6;
  const atol = opts.atol ?? 1e-8;
  const device = opts.device ?? "cpu";
  const isHostLeaf = (v: unknown) => typeof v === "object" && v !== null && "shape" in v && "data" in v;
  const leaves = flattenWithPaths<HostArray>(x as JsTree<HostArray>, isHostLeaf);
  const build = (override?: { leaf: number; index: number; delta: number }) => {
    const m = new Map<string, JArray>();
    leaves.forEach(([path, h], li) => {
      let data: ArrayLike<number> = h.data;
      if (override && override.leaf === li) {
        const d = Float64Array.from(h.data);
        d[override.index]! += override.delta;
        data = d;
      }
      m.set(path, fromHost(data, h.shape, { dtype: "float64", device }));
    });
    return leaves.length === 1 && leaves[0]![0] === ""
      ? m.get("")!
      : unflattenWithPaths(x as JsTree<unknown>, m, isHostLeaf);
  };
  return withDevice(device, () => {
    const g = grad(f)(build());
    const gLeaves =
      leaves.length === 1 && leaves[0]![0] === ""
        ? [g as JArray]
        : flattenWithPaths<JArray>(g as JsTree<JArray>).map(([, a]) => a);
    const gHost = gLeaves.map((a) => toFloat64(a));
    const all: [number, number][] = [];
    leaves.forEach(([, h], li) => {
      for (let i = 0; i < h.data.length; i++) all.push([li, i]);
    });
    const rng = hostRng(opts.seed ?? 0);
    const maxEntries = opts.maxEntries ?? 64;
    let picks = all;
    if (all.length > maxEntries) {
      picks = [];
      const taken = new Set<number>();
      while (picks.length < maxEntries) {
        const k = Math.floor(rng() * all.length);
        if (!taken.has(k)) {
          taken.add(k);
          picks.push(all[k]!);
        }
      }
    }
    let worstRatio = -1;
    let maxAbsError = 0;
    let worst = { path: "", index: 0, autodiff: 0, numeric: 0 };
    for (const [li, i] of picks) {
      const fp = toFloat64(f(build({ leaf: li, index: i, delta: eps })))[0]!;
      const fm = toFloat64(f(build({ leaf: li, index: i, delta: -eps })))[0]!;
      const numeric = (fp - fm) / (2 * eps);
      const autodiff = gHost[li]![i]!;
      const abs = Math.abs(autodiff - numeric);
      const ratio = abs / (atol + rtol * Math.abs(numeric));
      maxAbsError = Math.max(maxAbsError, abs);
      if (!(ratio <= worstRatio)) {
        worstRatio = ratio;
        worst = { path: leaves[li]![0], index: i, autodiff, numeric };
      }
    }
    const report: GradcheckReport = { ok: worstRatio <= 1, checked: picks.length, maxAbsError, worstRatio, worst };
    if (!report.ok) throw new GradcheckError(report);
    return report;
  });
}

/** Host-side array for gradcheck inputs: numbers and a shape. */
export interface HostArray {
  data: ArrayLike<number>;
  shape: number[];
}
/** An input to `gradcheck`: one HostArray or a plain tree of them. */
export type HostTree = HostArray | { [k: string]: HostTree } | HostTree[];
