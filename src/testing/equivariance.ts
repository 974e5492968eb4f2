/**
 * The shared equivariance harness: ‖f(g·x) − g·f(x)‖ over group elements, in float64 on the
 * plain-JS `cpu` device by default (true float64 transcendentals; the Wasm device evaluates
 * exp/sin/tanh in float32 even for float64 arrays).
 */
import { tree, type Array as JArray, type Device } from "../jax.js";
import { withDevice, type FloatDtype } from "../core/engine.js";
import { NoetherError } from "../core/errors.js";
import { castTree, fromHost, toFloat64 } from "../core/host.js";
import { frob } from "../core/matrix.js";
import { hostNormal, hostRng, makeKey } from "../core/rng.js";
import type { Params } from "../core/tree.js";
import type { RepModule } from "../nn/module.js";
import { repAction } from "../reps/action.js";

/**
 * What the harness needs of a group: every element (finite groups) or a sampler.
 * `G` is whatever the actions understand (an angle, a matrix, a permutation...).
 */
export interface HarnessGroup<G> {
  readonly name: string;
  /** All elements, for a finite group (each is checked). */
  elements?(): G[];
  /** A random element, for an infinite group. */
  sample?(rng: () => number): G;
  /** Printable form of an element for reports (default JSON). */
  describe?(g: G): string;
}

export interface EquivarianceOptions<G> {
  group: HarnessGroup<G>;
  /** g·x on inputs; consumes x. */
  actIn: (g: G, x: JArray) => JArray;
  /** g·y on outputs; consumes y. Use `(g, y) => y` for invariance. */
  actOut: (g: G, y: JArray) => JArray;
  /** Input batch, as a builder called on the evaluation device with the evaluation dtype. */
  input: (opts: { dtype: FloatDtype; device: Device }) => JArray;
  /** Group elements to sample for an infinite group (default 16). */
  samples?: number;
  /** Maximum allowed relative error (default 1e-9 in float64, 1e-4 in float32). */
  tol?: number;
  /** Evaluation dtype (default "float64"). */
  dtype?: FloatDtype;
  /** Evaluation device (default "cpu"). */
  device?: Device;
  /** Seed for sampling group elements (default 0). */
  seed?: number;
}

export interface EquivarianceReport {
  group: string;
  /** Worst scale-adjusted relative error over the checked elements. */
  maxError: number;
  /** The element that gave it. */
  worst: string;
  /** Errors per checked element, in order. */
  errors: number[];
  /** Elements skipped because they do not move the input (e.g. the identity). */
  skipped: number;
  tol: number;
  dtype: FloatDtype;
  device: Device;
}

function diffNorm(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}

/**
 * Measures equivariance error without throwing.
 *
 * For each element g: err(g) = ‖f(g·x) − g·f(x)‖ / ‖g·f(x)‖, divided by min(1, ‖g·x − x‖/‖x‖)
 * so that elements near the identity (which move nothing and would pass any f) cannot pass
 * trivially; elements that move the input by < 1e-6 relative are skipped and counted.
 */
export async function equivarianceError<G>(
  f: (x: JArray) => JArray,
  opts: EquivarianceOptions<G>,
): Promise<EquivarianceReport> {
  const dtype = opts.dtype ?? "float64";
  const device = opts.device ?? "cpu";
  const tol = opts.tol ?? (dtype === "float64" ? 1e-9 : 1e-4);
  const { group } = opts;
  let elems: G[];
  if (group.elements) {
    elems = group.elements();
  } else if (group.sample) {
    const rng = hostRng(opts.seed ?? 0);
    elems = Array.from({ length: opts.samples ?? 16 }, () => group.sample!(rng));
  } else {
    throw new NoetherError(`equivarianceError: group ${group.name} has neither elements() nor sample()`);
  }
  const describe = group.describe ?? ((g: G) => JSON.stringify(g));
  return withDevice(device, () => {
    const x0 = opts.input({ dtype, device });
    const shape = x0.shape;
    const xHost = toFloat64(x0);
    const mk = () => fromHost(xHost, shape, { dtype, device });
    const fx = f(mk());
    const yShape = fx.shape;
    const fxHost = toFloat64(fx);
    const xNorm = frob(xHost);
    const errors: number[] = [];
    let worst = "";
    let maxError = 0;
    let skipped = 0;
    for (const g of elems) {
      const gx = toFloat64(opts.actIn(g, mk()));
      const moved = xNorm === 0 ? 0 : diffNorm(gx, xHost) / xNorm;
      if (moved < 1e-6) {
        skipped++;
        continue;
      }
      const fgx = toFloat64(f(fromHost(gx, shape, { dtype, device })));
      const gfx = toFloat64(opts.actOut(g, fromHost(fxHost, yShape, { dtype, device })));
      if (fgx.length !== gfx.length) {
        throw new NoetherError(
          `equivarianceError: f(g·x) has ${fgx.length} entries but g·f(x) has ${gfx.length}; check actOut`,
        );
      }
      const scale = frob(gfx);
      const raw = diffNorm(fgx, gfx) / (scale === 0 ? 1 : scale);
      const err = raw / Math.min(1, moved);
      errors.push(err);
      if (!(err <= maxError)) {
        maxError = err;
        worst = describe(g);
      }
    }
    if (errors.length === 0) {
      throw new NoetherError(
        `equivarianceError: no element of ${group.name} moved the input; the check would be vacuous`,
      );
    }
    return { group: group.name, maxError, worst, errors, skipped, tol, dtype, device };
  });
}

/** Thrown by `assertEquivariant` when the error exceeds the tolerance. */
export class EquivarianceError extends NoetherError {
  constructor(readonly report: EquivarianceReport) {
    super(
      `not equivariant under ${report.group}: max relative error ${report.maxError.toExponential(3)} > tol ${report.tol.toExponential(1)} ` +
        `(worst element ${report.worst}; ${report.errors.length} elements checked in ${report.dtype} on ${report.device})`,
    );
  }
}

/**
 * Asserts f(g·x) = g·f(x) for every element of a finite group or `samples` random elements,
 * within `tol` (scale-adjusted relative error; see `equivarianceError`). Returns the report.
 *
 * @example
 * await assertEquivariant((x) => model.apply(tree.ref(p64), x), {
 *   group: SO2, actIn: rotatePoints, actOut: rotatePoints, input: ({ dtype }) => points(dtype) });
 */
export async function assertEquivariant<G>(
  f: (x: JArray) => JArray,
  opts: EquivarianceOptions<G>,
): Promise<EquivarianceReport> {
  const report = await equivarianceError(f, opts);
  if (!(report.maxError <= report.tol)) throw new EquivarianceError(report);
  return report;
}

/** Options of `repEquivarianceError` / `assertRepEquivariant`: the harness's, without what the module declares. */
export interface RepEquivarianceOptions<P> {
  /** Parameters (borrowed); default: `module.init(makeKey(seed))` made on the evaluation device in its dtype. */
  params?: P;
  /** Rows of the random N(0, 1) input batch [batch, repIn.size] (default 3). */
  batch?: number;
  /** Sampled elements of an infinite group (default 3). */
  samples?: number;
  tol?: number;
  /** Evaluation dtype (default "float64") and device (default "cpu"). */
  dtype?: FloatDtype;
  device?: Device;
  /** Seed of the parameters, the input and the sampled elements (default 0). */
  seed?: number;
}

/**
 * The equivariance error of a module that declares its representations: the group is
 * `module.repIn.G`, the actions are `repAction(module.repIn)` and `repAction(module.repOut)`.
 * A plain (non-Rep) model can be checked the same way by wrapping it as a RepModule — the
 * negative control every equivariance test keeps beside the positive one.
 */
export async function repEquivarianceError<P extends Params>(
  module: RepModule<P>,
  opts: RepEquivarianceOptions<P> = {},
): Promise<EquivarianceReport> {
  const dtype = opts.dtype ?? "float64";
  const device = opts.device ?? "cpu";
  const seed = opts.seed ?? 0;
  const own = opts.params === undefined;
  const params =
    opts.params ??
    (await withDevice(device, () => castTree(module.init(makeKey(seed)) as never, { dtype, device }) as P));
  const batch = opts.batch ?? 3;
  const n = module.repIn.size;
  try {
    return await equivarianceError((x) => module.apply(tree.ref(params), x), {
      group: module.repIn.G,
      actIn: repAction(module.repIn),
      actOut: repAction(module.repOut),
      input: ({ dtype: dt, device: dev }) =>
        fromHost(hostNormal(batch * n, hostRng(seed + 1)), [batch, n], { dtype: dt, device: dev }),
      samples: opts.samples ?? 3,
      dtype,
      device,
      seed,
      ...(opts.tol !== undefined ? { tol: opts.tol } : {}),
    });
  } finally {
    if (own) tree.dispose(params);
  }
}

/**
 * Asserts that a RepModule is equivariant to its group, in one line:
 * `await assertRepEquivariant(EquivariantLinear(V(G), V(G)))` (float64 on cpu, tol 1e-9; float32
 * tol 1e-4). Throws an EquivarianceError naming the worst element; returns the report.
 */
export async function assertRepEquivariant<P extends Params>(
  module: RepModule<P>,
  opts: RepEquivarianceOptions<P> = {},
): Promise<EquivarianceReport> {
  const report = await repEquivarianceError(module, opts);
  if (!(report.maxError <= report.tol)) throw new EquivarianceError(report);
  return report;
}
