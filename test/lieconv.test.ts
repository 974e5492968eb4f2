/**
 * LieConv (src/layers/lieconv): log maps against exp round trips in float64 (near 0 and near π),
 * exact invariance of LieConv networks per group through the harness in float64 (with a trivial
 * group model that must fail the SO(2) check), B-spline kernels and random subsampling, the typed
 * errors for bad clouds, no leaked buffers, the second-order gradient of Hamiltonian LieConv
 * against finite differences, and Noether's theorem in code: T(2) conserves linear momentum and
 * SO(2) angular momentum to rounding over a float64 rollout, while the other models do not.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { grad, numpy as np, tree, type Array as JArray } from "../src/jax.js";
import { initEngine, withDevice } from "../src/core/engine.js";
import { ConfigError, NonFiniteError, ShapeError } from "../src/core/errors.js";
import { castTree, fromHost, toFloat64 } from "../src/core/host.js";
import { hostNormal, hostRng, makeKey } from "../src/core/rng.js";
import { springsDataset } from "../src/data/springs.js";
import { SO } from "../src/groups/index.js";
import {
  angularMomentumHost,
  hLieConv,
  lieConvGroup,
  lieConvNet,
  linearMomentumHost,
  rolloutHLieConv,
  type LieConvGroup,
  type LieConvNetOptions,
} from "../src/layers/lieconv/index.js";
import { equivarianceError } from "../src/testing/equivariance.js";
import { liveBufferCount } from "../src/testing/leaks.js";

await initEngine();

const F64 = { dtype: "float64" as const, device: "cpu" as const };

/** A group matrix's blocks as the engine arrays `logBlocks` takes ([1, k, k] and [1, k]). */
function blocks(G: LieConvGroup, g: Float64Array): [JArray | null, JArray | null] {
  const m = G.matrixGroup.d;
  const affine = G.name.startsWith("SE") || G.name.startsWith("T(");
  const k = affine ? m - 1 : m;
  let rot: JArray | null = null;
  if (!G.name.startsWith("T(")) {
    const R = new Float64Array(k * k);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) R[i * k + j] = g[i * m + j]!;
    rot = fromHost(R, [1, k, k], F64);
  }
  const trans = affine
    ? fromHost(
        Float64Array.from({ length: k }, (_, i) => g[i * m + k]!),
        [1, k],
        F64,
      )
    : null;
  return [rot, trans];
}

test("log maps invert exp in float64 (host and engine), including angles near 0 and near π", async () => {
  const names = ["T(2)", "T(3)", "SO(2)", "R×SO(2)", "SE(2)", "SO(3)", "SE(3)"];
  const angles = [0, 1e-9, 1e-6, 0.4, 2.5, Math.PI - 1e-6, Math.PI - 1e-9];
  await withDevice("cpu", () => {
    for (const name of names) {
      const G = lieConvGroup(name);
      const rng = hostRng(7);
      for (const th of angles) {
        const c = hostNormal(G.algebraDim, rng);
        if (name === "SO(2)" || name === "SE(2)") c[0] = th;
        if (name === "R×SO(2)") c[1] = th;
        if (name === "SO(3)" || name === "SE(3)") {
          const r = Math.hypot(c[0]!, c[1]!, c[2]!);
          for (let i = 0; i < 3; i++) c[i] = (c[i]! * th) / r;
        }
        const g = G.expHost(c);
        const host = G.logHost(g);
        const eng = toFloat64(G.logBlocks(...blocks(G, g)));
        const scale = Math.max(1, ...Array.from(c, Math.abs));
        for (let i = 0; i < c.length; i++) {
          assert.ok(
            Math.abs(host[i]! - c[i]!) <= 1e-12 * scale,
            `${name} θ=${th}: host log[${i}] ${host[i]} vs ${c[i]}`,
          );
          assert.ok(
            Math.abs(eng[i]! - c[i]!) <= 1e-12 * scale,
            `${name} θ=${th}: engine log[${i}] ${eng[i]} vs ${c[i]}`,
          );
        }
      }
    }
    // The branch cut: a rotation by exactly π has log angle +π (not −π), on both sides.
    for (const name of ["SO(2)", "SE(2)"]) {
      const G = lieConvGroup(name);
      const g = G.expHost(name === "SO(2)" ? [Math.PI] : [Math.PI, 0.3, -0.2]);
      assert.ok(Math.abs(G.logHost(g)[0]! - Math.PI) < 1e-12);
      assert.ok(Math.abs(toFloat64(G.logBlocks(...blocks(G, g)))[0]! - Math.PI) < 1e-12);
    }
  });
});

/** Applies a group matrix to the positions of a packed cloud [B, N, d + c]. */
function actOnCloud(G: LieConvGroup, harnessD: number, affine: boolean) {
  const d = G.d;
  return (g: Float64Array, x: JArray): JArray => {
    const shape = x.shape;
    const w = shape[2]!;
    const h = toFloat64(x);
    const out = Float64Array.from(h);
    for (let p = 0; p < h.length / w; p++)
      for (let i = 0; i < d; i++) {
        let s = affine ? g[i * harnessD + d]! : 0;
        for (let j = 0; j < d; j++) s += g[i * harnessD + j]! * h[p * w + j]!;
        out[p * w + i] = s;
      }
    return fromHost(out, shape, F64);
  };
}

async function invarianceError(G: LieConvGroup, opts: Partial<LieConvNetOptions>, harness = G.matrixGroup) {
  const N = 7;
  const net = lieConvNet(G, {
    inChannels: 1,
    outSize: 2,
    channels: 6,
    nbhd: 5,
    keep: 0.6,
    kernelHidden: 8,
    mid: 4,
    ...opts,
  });
  const params = await withDevice("cpu", () => castTree(net.init(makeKey(3)), F64));
  try {
    const affine = harness.name.startsWith("SE") || harness.name.startsWith("T(");
    return await equivarianceError((x) => net.apply(tree.ref(params), x), {
      group: harness,
      actIn: actOnCloud(G, harness.d, affine),
      actOut: (_g, y) => y,
      input: ({ dtype, device }) =>
        fromHost(hostNormal(2 * N * (G.d + 1), hostRng(11)), [2, N, G.d + 1], { dtype, device }),
      samples: 2,
    });
  } finally {
    tree.dispose(params);
  }
}

test("LieConv networks are invariant in float64 for T(2), SO(2), R×SO(2), SE(2), SO(3), SE(3); the trivial group fails SO(2)", {
  timeout: 180_000,
}, async () => {
  for (const name of ["T(2)", "SO(2)", "R×SO(2)", "SE(2)", "SO(3)", "SE(3)"]) {
    const G = lieConvGroup(name);
    const r = await invarianceError(G, G.hasStabilizer ? { samples: 2 } : {});
    assert.ok(r.maxError < 1e-9, `${name}: invariance error ${r.maxError}`);
  }
  // Negative control: the same network over the trivial group sees absolute positions.
  const bad = await invarianceError(lieConvGroup("Trivial"), {}, SO(2));
  assert.ok(bad.maxError > 1e-3, `trivial-group model should fail SO(2): ${bad.maxError}`);
  // And a T(2) model is not rotation invariant (the check has power for each group).
  const t2 = await invarianceError(lieConvGroup("T(2)"), {}, SO(2));
  assert.ok(t2.maxError > 1e-3, `T(2) model should fail SO(2): ${t2.maxError}`);
});

test("B-spline kernels, sum aggregation and random subsampling keep exact SE(2) invariance", {
  timeout: 60_000,
}, async () => {
  const G = lieConvGroup("SE(2)");
  const r1 = await invarianceError(G, { samples: 2, kernel: "bspline", centers: 16 });
  assert.ok(r1.maxError < 1e-9, `bspline: ${r1.maxError}`);
  const r2 = await invarianceError(G, { samples: 2, subsample: "random", aggregation: "sum" });
  assert.ok(r2.maxError < 1e-9, `random/sum: ${r2.maxError}`);
  const bad = await invarianceError(lieConvGroup("Trivial"), { kernel: "bspline", centers: 16 }, SO(2));
  assert.ok(bad.maxError > 1e-5, `trivial bspline should fail: ${bad.maxError}`);
});

test("bad clouds: NaN, masks inconsistent with sizes, non-0/1 masks, fewer points than the neighbourhood", () => {
  const G = lieConvGroup("SO(2)");
  const net = lieConvNet(G, { inChannels: 1, outSize: 1, nbhd: 4, channels: 4 });
  const p = net.init(makeKey(0));
  const B = 2;
  const N = 5;
  const cloud = (o: { nan?: boolean; maskN?: number; valuesN?: number; maskValue?: number; n?: number } = {}) => {
    const n = o.n ?? N;
    const pts = hostNormal(B * n * 2, hostRng(1));
    if (o.nan) pts[3] = Number.NaN;
    const mask = new Float32Array(B * (o.maskN ?? n)).fill(1);
    if (o.maskValue !== undefined) mask[1] = o.maskValue;
    return {
      points: fromHost(pts, [B, n, 2]),
      values: fromHost(new Float32Array(B * (o.valuesN ?? n)), [B, o.valuesN ?? n, 1]),
      mask: fromHost(mask, [B, o.maskN ?? n]),
    };
  };
  assert.throws(
    () => net.apply(tree.ref(p), cloud({ nan: true })),
    (e: unknown) => e instanceof NonFiniteError && /points must be finite/.test((e as Error).message),
  );
  assert.throws(
    () => net.apply(tree.ref(p), cloud({ maskN: N + 1 })),
    (e: unknown) => e instanceof ShapeError && /mask must be \[B, N\] = \[2, 5\].*\[2, 6\]/.test((e as Error).message),
  );
  assert.throws(
    () => net.apply(tree.ref(p), cloud({ valuesN: N - 1 })),
    (e: unknown) => e instanceof ShapeError && /values must be/.test((e as Error).message),
  );
  assert.throws(
    () => net.apply(tree.ref(p), cloud({ maskValue: 0.5 })),
    (e: unknown) => e instanceof ConfigError && /0 or 1/.test((e as Error).message),
  );
  assert.throws(
    () => net.apply(tree.ref(p), cloud({ n: 3 })),
    (e: unknown) =>
      e instanceof ConfigError && /3 \(lifted\) points, fewer than the neighbourhood size 4/.test((e as Error).message),
  );
  // A valid masked cloud works, and padding points do not change the output.
  const y = toFloat64(net.apply(tree.ref(p), cloud()));
  assert.equal(y.length, B);
  assert.ok(y.every(Number.isFinite));
  tree.dispose(p);
});

test("masked padding points do not change a LieConv output; repeated applies leak no buffers", () => {
  const G = lieConvGroup("SE(2)");
  const net = lieConvNet(G, { inChannels: 1, outSize: 2, nbhd: 4, channels: 4, keep: 0.75, samples: 2 });
  const p = net.init(makeKey(2));
  const pts = hostNormal(6 * 2, hostRng(4));
  const vals = hostNormal(6, hostRng(5));
  const run = (pad: number[], padValues: number[]) =>
    toFloat64(
      net.apply(tree.ref(p), {
        points: fromHost([...pts, ...pad], [1, 8, 2]),
        values: fromHost([...vals, ...padValues], [1, 8, 1]),
        mask: fromHost([1, 1, 1, 1, 1, 1, 0, 0], [1, 8]),
      }),
    );
  const b = run([9, 9, -7, 3], [5, -5]);
  const c = run([0.1, 0.2, 40, -3], [-50, 50]);
  assert.ok(b.every(Number.isFinite));
  for (let i = 0; i < b.length; i++)
    assert.ok(Math.abs(b[i]! - c[i]!) < 1e-5, `padding changed output ${i}: ${b[i]} vs ${c[i]}`);
  const before = liveBufferCount();
  for (let i = 0; i < 5; i++) run([1, 2, 3, 4], [0, 0]);
  assert.equal(liveBufferCount(), before, "buffers leaked by LieConv applies");
  tree.dispose(p);
});

/** Six spring particles: features (m, k), inverse masses, initial states. */
function springSystems(B: number, dtype: "float32" | "float64", device: "cpu" | "wasm") {
  const data = springsDataset({ systems: B, steps: 1, seed: 3 });
  const n = 6;
  const feats = new Float64Array(B * n * 2);
  const inv = new Float64Array(B * n * 2);
  const x0 = new Float64Array(B * 4 * n);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < n; i++) {
      feats[(b * n + i) * 2] = data.masses[b * n + i]!;
      feats[(b * n + i) * 2 + 1] = data.k[b * n + i]!;
      inv[b * 2 * n + 2 * i] = 1 / data.masses[b * n + i]!;
      inv[b * 2 * n + 2 * i + 1] = 1 / data.masses[b * n + i]!;
    }
    x0.set(data.states.subarray(b * 2 * 4 * n, b * 2 * 4 * n + 4 * n), b * 4 * n);
  }
  const pl = { dtype, device };
  return { sys: { feats: fromHost(feats, [B, n, 2], pl), invMass: fromHost(inv, [B, 2 * n], pl) }, x0, n };
}

test("Hamiltonian LieConv: T(2) conserves linear and SO(2) angular momentum to rounding in float64; the others do not", {
  timeout: 60_000,
}, async () => {
  const B = 2;
  const steps = 40;
  const drifts: Record<string, { P: number; L: number }> = {};
  await withDevice("wasm", () => {
    for (const name of ["Trivial", "T(2)", "SO(2)"]) {
      const { sys, x0, n } = springSystems(B, "float64", "wasm");
      const model = hLieConv(lieConvGroup(name), { particles: n, features: 2, channels: 8, layers: 2 });
      const params = castTree(model.init(makeKey(1)), { dtype: "float64", device: "wasm" });
      const st = rolloutHLieConv(model, params, fromHost(x0, [B, 4 * n], { dtype: "float64", device: "wasm" }), sys, {
        dt: 0.01,
        steps,
      });
      const D = 4 * n;
      let P = 0;
      let L = 0;
      let moved = 0;
      for (let b = 0; b < B; b++) {
        const at = (t: number) => st.subarray((b * (steps + 1) + t) * D, (b * (steps + 1) + t + 1) * D);
        const P0 = linearMomentumHost(at(0), n, 2);
        const L0 = angularMomentumHost(at(0), n);
        let pScale = 0;
        let lScale = 0;
        for (let i = 0; i < n; i++) {
          const s = at(0);
          pScale += Math.hypot(s[2 * n + 2 * i]!, s[2 * n + 2 * i + 1]!);
          lScale += Math.abs(s[2 * i]! * s[2 * n + 2 * i + 1]! - s[2 * i + 1]! * s[2 * n + 2 * i]!);
        }
        for (let t = 0; t <= steps; t++) {
          const Pt = linearMomentumHost(at(t), n, 2);
          P = Math.max(P, Math.hypot(Pt[0]! - P0[0]!, Pt[1]! - P0[1]!) / pScale);
          L = Math.max(L, Math.abs(angularMomentumHost(at(t), n) - L0) / lScale);
          moved = Math.max(moved, Math.abs(at(t)[0]! - at(0)[0]!));
        }
      }
      assert.ok(moved > 1e-3, `${name}: the rollout did not move (${moved})`);
      drifts[name] = { P, L };
      tree.dispose([params, sys]);
    }
  });
  assert.ok(drifts["T(2)"]!.P < 1e-12, `T(2) linear momentum drift ${drifts["T(2)"]!.P}`);
  assert.ok(drifts["SO(2)"]!.L < 1e-12, `SO(2) angular momentum drift ${drifts["SO(2)"]!.L}`);
  assert.ok(
    drifts.Trivial!.P > 1e-6 && drifts.Trivial!.L > 1e-6,
    `trivial should conserve neither: ${JSON.stringify(drifts.Trivial)}`,
  );
  assert.ok(drifts["T(2)"]!.L > 1e-6, `T(2) should not conserve angular momentum: ${drifts["T(2)"]!.L}`);
  assert.ok(drifts["SO(2)"]!.P > 1e-6, `SO(2) should not conserve linear momentum: ${drifts["SO(2)"]!.P}`);
});

test("Hamiltonian LieConv second-order gradient (params of a loss on ∂V/∂q) matches central differences in float64", {
  timeout: 120_000,
}, async () => {
  await withDevice("cpu", () => {
    const B = 2;
    const { sys, x0, n } = springSystems(B, "float64", "cpu");
    const model = hLieConv(lieConvGroup("SO(2)"), {
      particles: n,
      features: 2,
      channels: 4,
      layers: 1,
      kernelHidden: 4,
      mid: 2,
    });
    const params = castTree(model.init(makeKey(5)), F64);
    const q = fromHost(
      Float64Array.from({ length: B * 2 * n }, (_, i) => x0[Math.floor(i / (2 * n)) * 4 * n + (i % (2 * n))]!),
      [B, 2 * n],
      F64,
    );
    const loss = (p: typeof params) => {
      const g = model.dVdq(p, q.ref, sys);
      return np.sum(g.ref.mul(g));
    };
    const gp = grad(loss)(tree.ref(params));
    // Directional derivative along a random direction v vs (L(p + εv) − L(p − εv)) / 2ε.
    const leaves = tree.leaves(params) as JArray[];
    const gl = tree.leaves(gp) as JArray[];
    const rng = hostRng(9);
    const dirs = leaves.map((l) => hostNormal(l.size, rng));
    let analytic = 0;
    gl.forEach((g, i) => {
      const gv = toFloat64(g.ref);
      for (let j = 0; j < gv.length; j++) analytic += gv[j]! * dirs[i]![j]!;
    });
    const shifted = (eps: number) => {
      const [, def] = tree.flatten(params);
      const moved = leaves.map((l, i) => {
        const v = toFloat64(l.ref);
        return fromHost(
          v.map((x, j) => x + eps * dirs[i]![j]!),
          l.shape,
          F64,
        );
      });
      return toFloat64(loss(tree.unflatten(def, moved) as typeof params))[0]!;
    };
    const eps = 1e-5;
    const numeric = (shifted(eps) - shifted(-eps)) / (2 * eps);
    assert.ok(Math.abs(analytic) > 1e-6, `degenerate check: directional derivative ${analytic}`);
    assert.ok(
      Math.abs(analytic - numeric) <= 1e-6 * Math.max(1, Math.abs(numeric)),
      `analytic ${analytic} vs numeric ${numeric}`,
    );
    tree.dispose([params, gp, sys, q]);
  });
});
