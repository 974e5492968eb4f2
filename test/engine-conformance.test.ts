/**
 * Engine conformance: the jax-js kernels noether relies on, checked two ways.
 *
 * 1. Device agreement (float32): every function, its gradient and a second-order gradient
 *    (the gradient of a function of an input-gradient, as in HNN/LNN training) are evaluated on
 *    the `wasm` device and on the plain-JS `cpu` device and must agree to ~1e-4 (relative to the
 *    largest magnitude of each result). This is what exposed the Wasm SIMD pointer-sharing bug
 *    (patches/README.md, fix a): wrong numbers, no error.
 * 2. Autodiff against central finite differences (float64 on `cpu`, which computes
 *    transcendentals in true float64): a directional derivative <grad F(x), v> against
 *    (F(x + h v) - F(x - h v)) / 2h, for F the function and for the second-order objective.
 *
 * Kernels: matmul with inner size K in {1,2,3,4,8,16,64} and output widths that are and are
 * not multiples of 4, two-layer tanh MLPs with small inputs (the HNN shape), batched matmul,
 * tanh/exp/softplus/sin/reciprocal, sum/mean/max over each axis, np.take and integer-array
 * indexing, lax.convGeneralDilated; and the second-order gradients of the MLPs under jit.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { defaultDevice, grad, jit, lax, nn, numpy as np, type Array as JArray, type Device } from "../src/jax.js";
import { initEngine, toDType } from "../src/core/engine.js";

await initEngine({ device: "wasm" });

type Dtype = "float32" | "float64";
/** A function under test: consumes its array arguments, returns one array. */
type Fn = (xs: JArray[]) => JArray;

interface Case {
  name: string;
  /** Shapes of the differentiable inputs; the first is "the input" for second-order checks. */
  shapes: number[][];
  fn: Fn;
  /** Scale of the random inputs (default 2: values in [-1, 1)). */
  scale?: number;
  /** Skip the second-order objective (functions whose input-gradient is constant in all args). */
  firstOrderOnly?: boolean;
}

/** Deterministic values in [-scale/2, scale/2) (an LCG; independent of the engine's RNG). */
function values(n: number, seed: number, scale = 2): number[] {
  const out: number[] = [];
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push((s / 4294967296 - 0.5) * scale);
  }
  return out;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function onDevice<T>(device: Device, fn: () => T): T {
  const prev = defaultDevice();
  defaultDevice(device);
  try {
    return fn();
  } finally {
    defaultDevice(prev);
  }
}

function toArrays(data: number[][], shapes: number[][], device: Device, dtype: Dtype): JArray[] {
  return data.map((v, i) => np.array(v, { shape: shapes[i]!, device, dtype: toDType(dtype) }));
}

/** s(xs) = sum(fn(xs) * C): a scalar with a fixed, non-uniform cotangent C. */
function scalarize(c: Case, cot: number[], outShape: number[], device: Device, dtype: Dtype): Fn {
  return (xs) => {
    const C = np.array(cot, { shape: outShape, device, dtype: toDType(dtype) });
    return c.fn(xs).mul(C).sum();
  };
}

/** L(xs) = sum((d s / d xs[0])^2): the gradient of a function of an input-gradient. */
function secondOrder(s: Fn): Fn {
  return (xs) => {
    const [x0, ...rest] = xs;
    const g = grad((x: JArray) => s([x, ...rest]))(x0!);
    return g.ref.mul(g).sum();
  };
}

interface Evaluation {
  out: Float64Array;
  grads: Float64Array[];
  second: Float64Array[] | null;
}

const read = (a: JArray) => Float64Array.from(a.dataSync() as ArrayLike<number>);

function evaluate(
  c: Case,
  data: number[][],
  cot: number[],
  outShape: number[],
  device: Device,
  dtype: Dtype,
  jitted = false,
): Evaluation {
  return onDevice(device, () => {
    const out = read(c.fn(toArrays(data, c.shapes, device, dtype)));
    const s = scalarize(c, cot, outShape, device, dtype);
    const g1 = jitted ? jit(grad(s)) : grad(s);
    const grads = (g1(toArrays(data, c.shapes, device, dtype)) as JArray[]).map(read);
    let second: Float64Array[] | null = null;
    if (!c.firstOrderOnly) {
      const g2 = jitted ? jit(grad(secondOrder(s))) : grad(secondOrder(s));
      second = (g2(toArrays(data, c.shapes, device, dtype)) as JArray[]).map(read);
    }
    return { out, grads, second };
  });
}

/** max |a - b| / max |b| (b the reference). */
function relErr(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return Infinity;
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return num === 0 ? 0 : num / Math.max(den, 1e-12);
}

function prepare(c: Case, seed: number) {
  const data = c.shapes.map((s, i) => values(size(s), seed * 31 + i, c.scale ?? 2));
  const outShape = onDevice("cpu", () => c.fn(toArrays(data, c.shapes, "cpu", "float64")).shape);
  const cot = values(size(outShape), seed * 31 + 17, 2).map((v) => v + 0.25);
  return { data, outShape, cot };
}

/** wasm vs cpu in float32 (and optionally wasm under jit); returns failure messages. */
function checkDevices(c: Case, seed: number, tol = 1e-4, withJit = false): string[] {
  const { data, outShape, cot } = prepare(c, seed);
  const ref = evaluate(c, data, cot, outShape, "cpu", "float32");
  const runs: [string, Evaluation][] = [["wasm", evaluate(c, data, cot, outShape, "wasm", "float32")]];
  if (withJit) runs.push(["wasm+jit", evaluate(c, data, cot, outShape, "wasm", "float32", true)]);
  const fails: string[] = [];
  for (const [label, got] of runs) {
    const check = (what: string, a: Float64Array, b: Float64Array) => {
      const e = relErr(a, b);
      if (!(e <= tol)) fails.push(`${c.name} [${label}] ${what}: rel err ${e.toExponential(2)} vs cpu`);
    };
    check("forward", got.out, ref.out);
    got.grads.forEach((g, i) => check(`grad[${i}]`, g, ref.grads[i]!));
    got.second?.forEach((g, i) => check(`2nd-order grad[${i}]`, g, ref.second![i]!));
  }
  return fails;
}

/** Autodiff vs central finite differences along a random direction, float64 on cpu. */
function checkFiniteDifferences(c: Case, seed: number, tol = 1e-6): string[] {
  const { data, outShape, cot } = prepare(c, seed);
  const dir = c.shapes.map((s, i) => values(size(s), seed * 31 + 101 + i, 2));
  const s = scalarize(c, cot, outShape, "cpu", "float64");
  const objectives: [string, Fn][] = [["grad", s]];
  if (!c.firstOrderOnly) objectives.push(["2nd-order grad", secondOrder(s)]);
  const fails: string[] = [];
  onDevice("cpu", () => {
    for (const [label, F] of objectives) {
      const gs = (grad(F)(toArrays(data, c.shapes, "cpu", "float64")) as JArray[]).map(read);
      let analytic = 0;
      gs.forEach((g, i) => g.forEach((v, j) => (analytic += v * dir[i]![j]!)));
      const at = (t: number) =>
        F(
          toArrays(
            data.map((d, i) => d.map((v, j) => v + t * dir[i]![j]!)),
            c.shapes,
            "cpu",
            "float64",
          ),
        ).item();
      const h = 1e-5;
      const numeric = (at(h) - at(-h)) / (2 * h);
      const scale = Math.max(Math.abs(analytic), Math.abs(numeric), 1e-3);
      const e = Math.abs(analytic - numeric) / scale;
      if (!(e <= tol))
        fails.push(
          `${c.name} ${label}: autodiff ${analytic} vs finite differences ${numeric} (rel ${e.toExponential(2)})`,
        );
    }
  });
  return fails;
}

function runCases(
  cases: Case[],
  opts: { fd?: boolean | ((c: Case, i: number) => boolean); jit?: boolean; tol?: number } = {},
) {
  const fails: string[] = [];
  cases.forEach((c, i) => {
    fails.push(...checkDevices(c, i + 1, opts.tol ?? 1e-4, opts.jit ?? false));
    const fd = typeof opts.fd === "function" ? opts.fd(c, i) : (opts.fd ?? true);
    if (fd) fails.push(...checkFiniteDifferences(c, i + 1));
  });
  assert.deepEqual(fails, [], `${fails.length} mismatches:\n${fails.join("\n")}`);
}

// ---------------------------------------------------------------------------------------------

test("matmul [M,K]@[K,N]: K in {1,2,3,4,8,16,64}, N multiple of 4 and not", () => {
  const cases: Case[] = [];
  for (const K of [1, 2, 4, 8]) {
    for (const N of [3, 4, 6, 8, 12, 200]) {
      const M = N === 200 ? 16 : 7;
      cases.push({
        name: `matmul M=${M} K=${K} N=${N}`,
        shapes: [
          [M, K],
          [K, N],
        ],
        fn: ([x, w]) => np.matmul(x!, w!),
      });
    }
  }
  for (const [M, K, N] of [
    [5, 3, 5],
    [9, 16, 4],
    [4, 64, 9],
    [33, 64, 64],
  ] as const) {
    cases.push({
      name: `matmul M=${M} K=${K} N=${N}`,
      shapes: [
        [M, K],
        [K, N],
      ],
      fn: ([x, w]) => np.matmul(x!, w!),
    });
  }
  runCases(cases, { fd: (_c, i) => i % 3 === 0 });
});

test("two-layer tanh MLP with small inputs (HNN shape): second-order parameter gradients, eager and jit", () => {
  const cases: Case[] = [];
  for (const K of [2, 4, 8]) {
    for (const H of [8, 12, 64]) {
      cases.push({
        name: `mlp K=${K} H=${H}`,
        shapes: [[10, K], [K, H], [H], [H, 1]],
        fn: ([x, w1, b1, w2]) => np.matmul(np.tanh(np.matmul(x!, w1!).add(b1!)), w2!),
      });
    }
  }
  runCases(cases, { jit: true, fd: (_c, i) => i % 3 === 1 });
});

test("batched matmul [B,M,K]@[B,K,N] and [B,M,K]@[K,N]", () => {
  const cases: Case[] = [
    {
      name: "bmm B=3 M=5 K=2 N=8",
      shapes: [
        [3, 5, 2],
        [3, 2, 8],
      ],
      fn: ([x, w]) => np.matmul(x!, w!),
    },
    {
      name: "bmm B=2 M=4 K=8 N=7",
      shapes: [
        [2, 4, 8],
        [2, 8, 7],
      ],
      fn: ([x, w]) => np.matmul(x!, w!),
    },
    {
      name: "bmm B=4 M=3 K=1 N=4",
      shapes: [
        [4, 3, 1],
        [4, 1, 4],
      ],
      fn: ([x, w]) => np.matmul(x!, w!),
    },
    {
      name: "3-D@2-D B=3 M=5 K=4 N=12",
      shapes: [
        [3, 5, 4],
        [4, 12],
      ],
      fn: ([x, w]) => np.matmul(x!, w!),
    },
    {
      name: "3-D@2-D B=2 M=6 K=2 N=5",
      shapes: [
        [2, 6, 2],
        [2, 5],
      ],
      fn: ([x, w]) => np.matmul(x!, w!),
    },
    {
      name: "bmm then tanh B=3 M=4 K=4 N=8",
      shapes: [
        [3, 4, 4],
        [3, 4, 8],
      ],
      fn: ([x, w]) => np.tanh(np.matmul(x!, w!)),
    },
  ];
  runCases(cases);
});

test("elementwise transcendentals: tanh, exp, softplus, sin, reciprocal", () => {
  const shape = [4, 6];
  const cases: Case[] = [
    { name: "tanh", shapes: [shape], scale: 4, fn: ([x]) => np.tanh(x!) },
    { name: "exp", shapes: [shape], scale: 4, fn: ([x]) => np.exp(x!) },
    { name: "softplus", shapes: [shape], scale: 6, fn: ([x]) => nn.softplus(x!) },
    { name: "sin", shapes: [shape], scale: 6, fn: ([x]) => np.sin(x!) },
    { name: "1/(2+x)", shapes: [shape], scale: 2, fn: ([x]) => np.reciprocal(x!.add(2)) },
    { name: "tanh(x*y)+exp(y)", shapes: [shape, shape], fn: ([x, y]) => np.tanh(x!.mul(y!.ref)).add(np.exp(y!)) },
  ];
  runCases(cases);
});

test("reductions: sum, mean, max over each axis and over all", () => {
  const shape = [3, 4, 6];
  const cases: Case[] = [];
  for (const axis of [0, 1, 2, undefined]) {
    const a = axis === undefined ? "all" : String(axis);
    // tanh after the reduction makes the input-gradient depend on the input (second order).
    cases.push({ name: `sum axis=${a}`, shapes: [shape], fn: ([x]) => np.tanh(np.sum(x!, axis)) });
    cases.push({ name: `mean axis=${a}`, shapes: [shape], fn: ([x]) => np.tanh(np.mean(x!, axis)) });
    cases.push({ name: `max axis=${a}`, shapes: [shape], fn: ([x]) => np.tanh(np.max(x!, axis)) });
  }
  runCases(cases);
});

test("gathers: np.take along each axis and integer-array indexing (repeated indices)", () => {
  const idx = () => np.array([2, 0, 2, 1], { dtype: toDType("int32" as Dtype) });
  const cases: Case[] = [
    { name: "take axis=0", shapes: [[3, 5]], fn: ([x]) => np.tanh(np.take(x!, idx(), 0)) },
    { name: "take axis=1", shapes: [[3, 5]], fn: ([x]) => np.tanh(np.take(x!, idx(), 1)) },
    { name: "take flat", shapes: [[3, 5]], fn: ([x]) => np.tanh(np.take(x!, idx())) },
    { name: "x[idx]", shapes: [[4, 3]], fn: ([x]) => np.tanh(x!.slice(idx())) },
    { name: "x[:, idx]", shapes: [[2, 3, 4]], fn: ([x]) => np.tanh(x!.slice([], idx())) },
    {
      name: "take then matmul",
      shapes: [
        [3, 4],
        [4, 8],
      ],
      fn: ([x, w]) => np.tanh(np.matmul(np.take(x!, idx(), 0), w!)),
    },
  ];
  runCases(cases);
});

test("2-D convolutions: lax.convGeneralDilated (SAME, VALID, strided, dilated)", () => {
  const conv =
    (opts: { strides?: number[]; padding?: "SAME" | "VALID"; rhsDilation?: number[] }): Fn =>
    ([x, w]) =>
      np.tanh(
        lax.convGeneralDilated(x!, w!, opts.strides ?? [1, 1], opts.padding ?? "SAME", {
          rhsDilation: opts.rhsDilation ?? [1, 1],
        }),
      );
  const cases: Case[] = [
    {
      name: "conv 3x3 SAME",
      shapes: [
        [2, 3, 6, 6],
        [4, 3, 3, 3],
      ],
      fn: conv({}),
    },
    {
      name: "conv 3x3 VALID",
      shapes: [
        [2, 2, 5, 7],
        [8, 2, 3, 3],
      ],
      fn: conv({ padding: "VALID" }),
    },
    {
      name: "conv 3x3 stride 2",
      shapes: [
        [1, 3, 7, 7],
        [4, 3, 3, 3],
      ],
      fn: conv({ strides: [2, 2] }),
    },
    {
      name: "conv 2x2 dilation 2",
      shapes: [
        [2, 2, 6, 6],
        [3, 2, 2, 2],
      ],
      fn: conv({ padding: "VALID", rhsDilation: [2, 2] }),
    },
    {
      name: "conv 1x1",
      shapes: [
        [2, 4, 3, 3],
        [5, 4, 1, 1],
      ],
      fn: conv({}),
    },
  ];
  runCases(cases);
});
