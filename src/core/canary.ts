/**
 * The engine canary: tiny computations that each give a known wrong answer (or throw) on the stock
 * `@jax-js/jax` 0.1.25 and the right one with noether's patch (patches/README.md, fixes a–j).
 * `initEngine` runs it once per process and refuses to go on with an engine that fails it, so a
 * consumer can never compute on the unpatched engine without being told.
 *
 * Fix (c) is a speed fix (a jit fusion cliff); it changes no value, so the canary cannot see it
 * cheaply. Its regression test (test/engine-patches.test.ts) times jit against eager instead.
 */
import type * as JaxModule from "../jax.js";
import { NoetherError } from "./errors.js";

/** The jax-js module namespace the canary runs against (noether's own, or another copy in tests). */
export type EngineModule = typeof JaxModule;

/** One check of the canary. */
export interface CanaryResult {
  /** The letter of the fix in patches/README.md. */
  fix: string;
  /** What the fix repairs, in a few words. */
  title: string;
  ok: boolean;
  /** On failure: what the engine did instead. */
  detail?: string;
}

/** Thrown by `initEngine` when the engine is not noether's patched build. */
export class EngineError extends NoetherError {}

type Arr = JaxModule.Array;
type Patched = { liveBuffers?: (d?: string) => number; deviceMemory?: (d?: string) => unknown };

/** max |a − b| / max |b|; Infinity when the lengths differ or `a` has a non-finite value. */
function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]!)) return Infinity;
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return num / Math.max(den, 1e-30);
}

const fmt = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    typeof x === "number" ? (Number.isFinite(x) ? Number(x.toPrecision(6)) : String(x)) : x,
  );

/**
 * (a) A float32 second-order parameter gradient on Wasm against its closed form:
 * L(W) = Σ_b ‖∇ₓ E(x_b)‖², E(x) = Σ_h w2_h tanh((xW)_h), with x [5,2], W [2,8] — the HNN shape
 * whose kernel the stock engine's SIMD pointer sharing gets wrong (5% off, no error).
 */
function secondOrderGradient(jax: EngineModule, device: "wasm" | "cpu"): string | null {
  const { numpy: np, grad } = jax;
  const B = 5;
  const K = 2;
  const H = 8;
  const xs = Array.from({ length: B * K }, (_, i) => Math.fround(Math.sin(1.3 * i + 0.2)));
  const ws = Array.from({ length: K * H }, (_, i) => Math.fround(0.5 * Math.cos(0.7 * i + 0.1)));
  const vs = Array.from({ length: H }, (_, i) => Math.fround(0.3 * Math.sin(0.9 * i + 1)));
  const x = np.array(xs, { shape: [B, K], device });
  const w2 = np.array(vs, { shape: [H, 1], device });
  const loss = (w1: Arr): Arr => {
    const energy = (xx: Arr): Arr => np.matmul(np.tanh(np.matmul(xx, w1.ref)), w2.ref).sum();
    const g = grad(energy)(x.ref);
    w1.dispose();
    return g.ref.mul(g).sum();
  };
  const got = grad(loss)(np.array(ws, { shape: [K, H], device })).dataSync();
  x.dispose();
  w2.dispose();
  // Closed form: with t = tanh(xW), s_h = w2_h (1 − t_h²) and g = W s = ∇ₓE,
  // ∂L/∂W_kh = 2 Σ_b [ g_k s_h + (Σ_k' g_k' W_k'h) w2_h (−2 t_h)(1 − t_h²) x_k ].
  const want = new Float64Array(K * H);
  for (let b = 0; b < B; b++) {
    const xb = [xs[b * K]!, xs[b * K + 1]!];
    const t = Array.from({ length: H }, (_, h) => Math.tanh(xb[0]! * ws[h]! + xb[1]! * ws[H + h]!));
    const s = t.map((th, h) => vs[h]! * (1 - th * th));
    const g = [0, 1].map((k) => s.reduce((a, sh, h) => a + sh * ws[k * H + h]!, 0));
    for (let h = 0; h < H; h++) {
      const gw = g[0]! * ws[h]! + g[1]! * ws[H + h]!;
      const ds = vs[h]! * -2 * t[h]! * (1 - t[h]! * t[h]!);
      for (let k = 0; k < K; k++) want[k * H + h] = want[k * H + h]! + 2 * (g[k]! * s[h]! + gw * ds * xb[k]!);
    }
  }
  const err = maxRelDiff(got as ArrayLike<number>, want);
  return err < 1e-4
    ? null
    : `second-order float32 gradient on ${device} is off by ${(err * 100).toPrecision(2)}% (relative) from its closed form`;
}

interface Check {
  fix: string;
  title: string;
  run: (jax: EngineModule, wasm: boolean) => string | null;
}

const CHECKS: Check[] = [
  {
    fix: "a",
    title: "Wasm SIMD pointer sharing (wrong float32 second-order gradients)",
    run: (jax, wasm) => secondOrderGradient(jax, wasm ? "wasm" : "cpu"),
  },
  {
    fix: "b",
    title: "reciprocal JVP rule releases its input",
    run: ({ numpy: np, jvp }) => {
      const x = np.array([1, 2, 4], { device: "cpu" });
      const keep = x.ref;
      const [y, t] = jvp((v: Arr) => np.reciprocal(v), [x], [np.ones([3], { device: "cpu" })]);
      y.dispose();
      t.dispose();
      const rc = keep.refCount;
      for (let i = 0; i < rc; i++) keep.dispose();
      return rc === 1
        ? null
        : `jvp(reciprocal) kept ${rc - 1} extra reference(s) to its input (a buffer leaked per division under grad)`;
    },
  },
  {
    fix: "d",
    title: "jit sizes float64 constant kernels as float64",
    run: ({ numpy: np, jit, grad }) => {
      const f = jit((v: Arr) => grad((y: Arr) => y.mean())(v));
      const got = f(np.array([0.1, 0.2, 0.3, 0.4], { dtype: np.float64, device: "cpu" })).js() as number[];
      f.dispose();
      return got.every((v) => v === 0.25)
        ? null
        : `jit(grad(mean)) of a float64 [4] returned ${fmt(got)}, expected [0.25, 0.25, 0.25, 0.25]`;
    },
  },
  {
    fix: "e",
    title: "np.einsum / matvec / vecmat without iterator helpers (Node 20)",
    run: ({ numpy: np }) => {
      const got = np
        .einsum(
          "ij,jk->ik",
          np.array(
            [
              [1, 2],
              [3, 4],
            ],
            { device: "cpu" },
          ),
          np.array(
            [
              [0, 1],
              [1, 0],
            ],
            { device: "cpu" },
          ),
        )
        .js();
      return fmt(got) === "[[2,1],[4,3]]" ? null : `einsum returned ${fmt(got)}`;
    },
  },
  {
    fix: "f",
    title: "jit of a routine (sort, cholesky, …) applied to a view",
    run: ({ numpy: np, jit }) => {
      const f = jit((v: Arr) => np.sort(np.exp(v).transpose()));
      const got = f(
        np.array(
          [
            [0, 1],
            [2, 0.5],
          ],
          { device: "cpu" },
        ),
      ).js() as number[][];
      f.dispose();
      const want = [
        [1, Math.exp(2)],
        [Math.exp(0.5), Math.E],
      ];
      return maxRelDiff(got.flat(), want.flat()) < 1e-6 ? null : `jit(sort(exp(x).T)) returned ${fmt(got)}`;
    },
  },
  {
    fix: "g",
    title: "liveBuffers / deviceMemory diagnostics (leak checks)",
    run: (jax) => {
      const p = jax as unknown as Patched;
      if (typeof p.liveBuffers !== "function" || typeof p.deviceMemory !== "function")
        return "liveBuffers() and deviceMemory() are not exported";
      const before = p.liveBuffers("cpu");
      const a = jax.numpy.array([1, 2, 3, 4], { device: "cpu" });
      const b = jax.numpy.exp(a.ref);
      b.ref.dataSync(); // realises b and keeps it: two live buffers
      const held = p.liveBuffers("cpu") - before;
      a.dispose();
      b.dispose();
      return held === 2 ? null : `liveBuffers counted ${held} new buffers for 2 live arrays`;
    },
  },
  {
    fix: "h",
    title: "jit keeps JS-number constants exact in float64",
    run: ({ numpy: np, jit }) => {
      const f = jit((x: Arr) => x.mul(0.1));
      const got = (f(np.array(new Float64Array([1]), { dtype: np.float64, device: "cpu" })).js() as number[])[0];
      f.dispose();
      return got === 0.1 ? null : `jit(x·0.1)(1) in float64 returned ${got} (the constant was rounded to float32)`;
    },
  },
  {
    fix: "i",
    title: "nn.softplus / nn.sigmoid stay finite for large |x|",
    run: ({ numpy: np, nn, grad }, wasm) => {
      const device = wasm ? "wasm" : "cpu";
      // Non-uniform data: a uniform array is held as a constant and evaluated differently.
      const x = (): Arr => np.array(new Float32Array([90, 200]), { device });
      const v = nn.softplus(x()).js() as number[];
      const d = grad((u: Arr) => np.sum(nn.softplus(u)))(x()).js() as number[];
      return fmt(v) === "[90,200]" && fmt(d) === "[1,1]"
        ? null
        : `float32 softplus([90, 200]) = ${fmt(v)} with derivative ${fmt(d)} (expected [90, 200] and [1, 1])`;
    },
  },
  {
    fix: "j",
    title: "autodiff through zero tangents keeps cotangents aligned and releases buffers",
    run: ({ numpy: np, vjp, lax }) => {
      const cpu = (v: number[]): Arr => np.array(v, { device: "cpu" });
      const f = (u: Arr): Arr[] => [lax.stopGradient(u.ref), u.ref.mul(u)];
      const [ys, back] = vjp(f, [cpu([1, 2, 3])]);
      (ys as Arr[]).forEach((y) => y.dispose());
      // Cotangents [100,100,100] and [1,1,1], computed (a uniform literal is not buffer-backed).
      const [ct] = back([cpu([100, 100, 101]).sub(cpu([0, 0, 1])), cpu([1, 1, 2]).sub(cpu([0, 0, 1]))]) as Arr[];
      back.dispose();
      const got = ct!.js() as number[];
      return fmt(got) === "[2,4,6]"
        ? null
        : `vjp of [stopGradient(u), u·u] at u = [1,2,3] with cotangents [100, 1] returned ${fmt(got)}, expected [2,4,6]`;
    },
  },
];

/**
 * Runs every check against `jax` (devices "cpu" and, when `wasm`, "wasm" must be initialised).
 * Never throws for a failing check: a check that throws counts as failed, with its message.
 */
export function runEngineCanary(jax: EngineModule, opts: { wasm: boolean }): CanaryResult[] {
  return CHECKS.map(({ fix, title, run }) => {
    let detail: string | null;
    try {
      detail = run(jax, opts.wasm);
    } catch (e) {
      detail = `threw ${(e as Error).message.split("\n")[0]}`;
    }
    return detail === null ? { fix, title, ok: true } : { fix, title, ok: false, detail };
  });
}

/** Throws an EngineError naming every failed check; returns the results otherwise. */
export function assertPatchedEngine(jax: EngineModule, opts: { wasm: boolean }): CanaryResult[] {
  const results = runEngineCanary(jax, opts);
  const failed = results.filter((r) => !r.ok);
  if (failed.length > 0) {
    throw new EngineError(
      `the jax-js engine in use is not noether's patched build; ${failed.length} of ${results.length} canary checks failed:\n` +
        failed.map((r) => `  fix (${r.fix}) ${r.title}: ${r.detail}`).join("\n") +
        `\nAn installed noether carries its patched engine in dist/vendor/jax-js: import the engine from "noether" ` +
        `(import { numpy as np } from "noether"), not by installing @jax-js/jax beside it. In a source checkout, run \`npm install\` ` +
        `(it applies patches/ with patch-package).`,
    );
  }
  return results;
}
