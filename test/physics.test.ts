import { test } from "node:test";
import assert from "node:assert/strict";
import { grad, hessian, numpy as np, type Array as JArray } from "../src/jax.js";
import { initEngine, withDevice } from "../src/core/engine.js";
import { ConfigError, NonFiniteError, ShapeError } from "../src/core/errors.js";
import { fromHost, toFloat64 } from "../src/core/host.js";
import { hostRng } from "../src/core/rng.js";
import { expectNoLeaks } from "../src/testing/leaks.js";
import {
  linspace,
  pendulumDataset,
  springDataset,
  toArrays,
  trajectoryRows,
  trueTrajectories,
  twoBodyDataset,
  type TrajectoryDataset,
} from "../src/data/trajectories.js";
import { doublePendulumSamples, relativisticSamples, uniformStateSamples } from "../src/data/state-samples.js";
import {
  dopri5,
  dopri5Host,
  leapfrog,
  leapfrogTrajectory,
  rk4,
  rk4Host,
  rk4Trajectory,
} from "../src/physics/integrators.js";
import {
  doublePendulum,
  massSpring,
  pendulum,
  relativisticParticle,
  twoBody,
  type PhysicalSystem,
  type Potential,
} from "../src/physics/systems.js";

await initEngine();

const f64 = (data: ArrayLike<number>, shape: number[]) => fromHost(data, shape, { dtype: "float64" });

/** Closed form of massSpring({k, m}): q(t) = q0 cos ωt + p0/(mω) sin ωt, p(t) = p0 cos ωt − mω q0 sin ωt. */
function springExact(k: number, m: number, x0: Float64Array, t: number): Float64Array {
  const w = Math.sqrt(k / m);
  const out = new Float64Array(x0.length);
  for (let b = 0; b < x0.length / 2; b++) {
    const q0 = x0[2 * b]!,
      p0 = x0[2 * b + 1]!;
    out[2 * b] = q0 * Math.cos(w * t) + (p0 / (m * w)) * Math.sin(w * t);
    out[2 * b + 1] = p0 * Math.cos(w * t) - m * w * q0 * Math.sin(w * t);
  }
  return out;
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

const x0Spring = Float64Array.from([1, 0, 0.3, -0.7, -0.5, 0.2]); // 3 states [q, p]

test("RK4 and leapfrog converge at orders 4 and 2 on the harmonic oscillator (float64, cpu)", async () => {
  const sys = massSpring({ k: 3, m: 0.7 });
  const T = 2;
  const exact = springExact(3, 0.7, x0Spring, T);
  const orders = await withDevice("cpu", () => {
    const errs = { rk4: [] as number[], leapfrog: [] as number[] };
    for (const N of [8, 16, 32, 64]) {
      errs.rk4.push(maxAbsDiff(toFloat64(rk4(sys.field, f64(x0Spring, [3, 2]), T / N, N)), exact));
      errs.leapfrog.push(maxAbsDiff(toFloat64(leapfrog(sys.separable!, f64(x0Spring, [3, 2]), T / N, N)), exact));
    }
    const ord = (e: number[]) => e.slice(1).map((v, i) => Math.log2(e[i]! / v));
    return { rk4: ord(errs.rk4), leapfrog: ord(errs.leapfrog), errs };
  });
  console.log(
    "convergence orders (dt halved 8→64 steps over T=2):",
    JSON.stringify({ rk4: orders.rk4.map((o) => +o.toFixed(3)), leapfrog: orders.leapfrog.map((o) => +o.toFixed(3)) }),
  );
  const last = (a: number[]) => a[a.length - 1]!;
  assert.ok(Math.abs(last(orders.rk4) - 4) < 0.15, `RK4 order ${orders.rk4}`);
  assert.ok(Math.abs(last(orders.leapfrog) - 2) < 0.1, `leapfrog order ${orders.leapfrog}`);
  // host RK4 gives the same numbers as the jax-js one
  const host = rk4Host((_t, y, dy) => sys.fieldHost(y, dy), x0Spring.subarray(0, 2), T / 64, 64);
  assert.ok(maxAbsDiff(host.subarray(64 * 2), exact.subarray(0, 2)) < 2 * orders.errs.rk4[3]!);
});

test("RK4 is differentiable: d q(T)/d x0 equals the RK4 map's Jacobian and ≈ the closed form (float64, cpu)", async () => {
  const sys = massSpring();
  const N = 8;
  const dt = 1 / N;
  const g = await withDevice("cpu", () =>
    toFloat64(grad((x: JArray) => np.sum(rk4(sys.field, x, dt, N).slice([], 0)))(f64(x0Spring, [3, 2]))),
  );
  // the field is linear, so the Jacobian's first row is q(T) of the RK4 map applied to unit vectors
  const field = (_t: number, y: Float64Array, dy: Float64Array) => sys.fieldHost(y, dy);
  const dq = [rk4Host(field, [1, 0], dt, N)[2 * N]!, rk4Host(field, [0, 1], dt, N)[2 * N]!];
  for (let b = 0; b < 3; b++) {
    assert.ok(Math.abs(g[2 * b]! - dq[0]!) < 1e-13 && Math.abs(g[2 * b + 1]! - dq[1]!) < 1e-13, `grad ${g} vs ${dq}`);
    // q(T) = q0 cos 2T + p0 sin 2T for k = 2, m = 1/2, T = 1
    assert.ok(Math.abs(g[2 * b]! - Math.cos(2)) < 1e-3 && Math.abs(g[2 * b + 1]! - Math.sin(2)) < 1e-3);
  }
});

test("DOPRI5 meets its tolerance against the closed form (jax-js on cpu, and host)", async () => {
  const sys = massSpring({ k: 3, m: 0.7 });
  const tEval = [0, 0.5, 1.7, 3];
  const rows: string[] = [];
  for (const rtol of [1e-6, 1e-9]) {
    const res = await withDevice("cpu", () => dopri5(sys.field, f64(x0Spring, [3, 2]), 3, { rtol, atol: rtol, tEval }));
    let err = 0;
    res.y.forEach((y, i) => (err = Math.max(err, maxAbsDiff(toFloat64(y), springExact(3, 0.7, x0Spring, tEval[i]!)))));
    const host = dopri5Host((_t, y, dy) => sys.fieldHost(y, dy), x0Spring.subarray(0, 2), 3, {
      rtol,
      atol: rtol,
      tEval,
    });
    let errHost = 0;
    tEval.forEach(
      (t, i) =>
        (errHost = Math.max(
          errHost,
          maxAbsDiff(host.y.subarray(2 * i, 2 * i + 2), springExact(3, 0.7, x0Spring.subarray(0, 2), t)),
        )),
    );
    rows.push(
      `rtol ${rtol}: max error ${err.toExponential(2)} (${res.steps} steps, ${res.rejected} rejected), host ${errHost.toExponential(2)} (${host.steps} steps)`,
    );
    // global error over ~4 periods stays within 10·rtol (|y| ≤ 1.3)
    assert.ok(err < 10 * rtol, `dopri5 error ${err} at rtol ${rtol}`);
    assert.ok(errHost < 10 * rtol, `dopri5Host error ${errHost} at rtol ${rtol}`);
    assert.deepEqual(Array.from(res.t), tEval);
  }
  console.log("DOPRI5:", rows.join("; "));
});

/** Relative energy error |E/E0 − 1| along a trajectory of host states. */
function energyErrors(sys: PhysicalSystem, states: JArray[]): number[][] {
  const e: number[][] = [];
  for (const s of states) {
    const h = toFloat64(s);
    const row: number[] = [];
    for (let b = 0; b < h.length / sys.dim; b++) row.push(sys.energyHost(h.subarray(b * sys.dim, (b + 1) * sys.dim)));
    e.push(row);
  }
  return e.map((row) => row.map((v, b) => v / e[0]![b]! - 1));
}

test("leapfrog keeps energy bounded over long runs while RK4 drifts (spring and pendulum)", async () => {
  const dt = 0.25;
  const steps = 800; // t = 200: ~64 spring periods
  const cases: [PhysicalSystem, number[]][] = [
    [massSpring(), [1, 0, 0, 0.5]],
    [pendulum(), [1.5, 0, 0.3, 0.8]],
  ];
  const lines: string[] = [];
  await withDevice("wasm", () => {
    for (const [sys, init] of cases) {
      const lf = energyErrors(sys, leapfrogTrajectory(sys.separable!, f64(init, [2, 2]), dt, steps, { syncEvery: 4 }));
      const rk = energyErrors(sys, rk4Trajectory(sys.field, f64(init, [2, 2]), dt, steps, { syncEvery: 4 }));
      const q = Math.floor(steps / 4);
      const maxAbs = (e: number[][], a: number, b: number) => Math.max(...e.slice(a, b).flat().map(Math.abs));
      const lfFirst = maxAbs(lf, 0, q + 1),
        lfLast = maxAbs(lf, steps - q, steps + 1);
      const rkFirst = maxAbs(rk, 0, q + 1),
        rkLast = maxAbs(rk, steps - q, steps + 1);
      lines.push(
        `${sys.name}: leapfrog max |ΔE/E| first quarter ${lfFirst.toExponential(2)}, last ${lfLast.toExponential(2)}; RK4 ${rkFirst.toExponential(2)} → ${rkLast.toExponential(2)}`,
      );
      assert.ok(lfLast <= 1.05 * lfFirst, `${sys.name}: leapfrog energy error grew ${lfFirst} → ${lfLast}`);
      assert.ok(lfLast < 0.1, `${sys.name}: leapfrog energy error ${lfLast}`);
      assert.ok(rkLast > 3 * rkFirst, `${sys.name}: RK4 should drift: ${rkFirst} → ${rkLast}`);
      // RK4 loses energy (dissipative drift), at the end for every trajectory
      for (const v of rk[steps]!) assert.ok(v < 0, `${sys.name}: RK4 ΔE at the end ${v}`);
    }
  });
  console.log("energy over 800 steps of dt = 0.25:", lines.join("; "));
});

/**
 * q̈ from the Euler–Lagrange equation applied with autodiff to sys.lagrangian at one state
 * z = [q, q̇]: q̈ = (∇q̇∇q̇ᵀL)⁻¹ [∇qL − (∇q̇∇qᵀL) q̇], on the current device.
 */
function eulerLagrange(sys: PhysicalSystem, z: Float64Array): Float64Array {
  const n = sys.dof;
  const Lz = (v: JArray) =>
    np.sum(sys.lagrangian!(v.ref.slice([0, n]).reshape([1, n]), v.slice([n, 2 * n]).reshape([1, n])));
  const g = toFloat64(grad(Lz)(f64(z, [2 * n])));
  const H = toFloat64(hessian(Lz)(f64(z, [2 * n])));
  // A = H[n:, n:], rhs = g[:n] − H[n:, :n] q̇ ; solve by Gaussian elimination with pivoting
  const A = Array.from({ length: n }, (_, i) =>
    Array.from({ length: n + 1 }, (_, j) => (j < n ? H[(n + i) * 2 * n + n + j]! : 0)),
  );
  for (let i = 0; i < n; i++) {
    let r = g[i]!;
    for (let j = 0; j < n; j++) r -= H[(n + i) * 2 * n + j]! * z[n + j]!;
    A[i]![n] = r;
  }
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r]![c]!) > Math.abs(A[piv]![c]!)) piv = r;
    [A[c], A[piv]] = [A[piv]!, A[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = A[r]![c]! / A[c]![c]!;
      for (let j = c; j <= n; j++) A[r]![j]! -= f * A[c]![j]!;
    }
  }
  return Float64Array.from({ length: n }, (_, i) => A[i]![n]! / A[i]![i]!);
}

test("double pendulum: analytic q̈ equals Euler–Lagrange with autodiff on L, to 1e-10 (float64, cpu)", async () => {
  for (const sys of [doublePendulum(), doublePendulum({ m1: 1.3, m2: 0.6, l1: 0.8, l2: 1.4, g: 3.7 })]) {
    const s = doublePendulumSamples({ n: 6, seed: 3, system: sys });
    let worst = 0;
    await withDevice("cpu", () => {
      const fieldQdd = toFloat64(sys.field(f64(s.x, [6, 4])));
      for (let i = 0; i < 6; i++) {
        const z = s.x.subarray(4 * i, 4 * i + 4);
        const el = eulerLagrange(sys, z);
        const host = sys.accelerationHost(z);
        for (let j = 0; j < 2; j++) {
          const scale = Math.max(1, Math.abs(host[j]!));
          worst = Math.max(
            worst,
            Math.abs(el[j]! - host[j]!) / scale,
            Math.abs(fieldQdd[4 * i + 2 + j]! - host[j]!) / scale,
          );
        }
      }
    });
    console.log(
      `double pendulum ${JSON.stringify(sys.params)}: max |q̈_EL − q̈_analytic| / max(1, |q̈|) = ${worst.toExponential(2)}`,
    );
    assert.ok(worst < 1e-10, `worst ${worst}`);
  }
});

const quartic: Potential = { name: "quartic", V: (q) => np.sum(np.square(np.square(q)), -1).mul(0.25) }; // no gradV, no host: autodiff + cpu fallback

test("every system: jax-js field/energy match the host versions; Hamiltonian field = J∇H; Lagrangian field = Euler–Lagrange (float64, cpu)", async () => {
  const rng = hostRng(11);
  const systems: [PhysicalSystem, (i: number) => number][] = [
    [massSpring({ k: 1.5, m: 0.8 }), () => rng() * 2 - 1],
    [pendulum({ m: 0.9, l: 1.2, g: 9.8 }), () => rng() * 4 - 2],
    [twoBody({ m1: 1, m2: 2.5, G: 0.7 }), (i) => (i < 4 ? (i % 2 === 0 ? 1 : -1) * (0.5 + rng()) : rng() - 0.5)],
    [doublePendulum(), (i) => (i < 2 ? rng() * 6.28 : rng() * 20 - 10)],
    [relativisticParticle({ m: 1.3, potential: undefined }), (i) => (i < 1 ? rng() * 20 - 10 : rng() * 1.9 - 0.95)],
    [
      relativisticParticle({ m: 0.7, c: 2, dof: 2, potential: quartic }),
      (i) => (i < 2 ? rng() * 4 - 2 : rng() * 2.6 - 1.3),
    ],
  ];
  const B = 4;
  await withDevice("cpu", () => {
    for (const [sys, draw] of systems) {
      const x = new Float64Array(B * sys.dim);
      for (let b = 0; b < B; b++) for (let j = 0; j < sys.dim; j++) x[b * sys.dim + j] = draw(j);
      const field = toFloat64(sys.field(f64(x, [B, sys.dim])));
      const energy = toFloat64(sys.energy(f64(x, [B, sys.dim])));
      const dx = new Float64Array(sys.dim);
      for (let b = 0; b < B; b++) {
        const s = x.subarray(b * sys.dim, (b + 1) * sys.dim);
        sys.fieldHost(s, dx);
        const fScale = Math.max(1, ...Array.from(dx, Math.abs));
        assert.ok(
          maxAbsDiff(dx, field.subarray(b * sys.dim, (b + 1) * sys.dim)) < 1e-12 * fScale,
          `${sys.name}: field vs fieldHost`,
        );
        if (sys.name !== "relativistic-particle" || sys.dof === 1) {
          const e = sys.energyHost(s);
          assert.ok(
            Math.abs(e - energy[b]!) < 1e-12 * Math.max(1, Math.abs(e)),
            `${sys.name}: energy ${energy[b]} vs host ${e}`,
          );
        }
      }
      const n = sys.dof;
      if (sys.hamiltonian) {
        const gH = toFloat64(grad((v: JArray) => np.sum(sys.hamiltonian!(v)))(f64(x, [B, sys.dim])));
        for (let b = 0; b < B; b++) {
          for (let j = 0; j < n; j++) {
            assert.ok(Math.abs(field[b * 2 * n + j]! - gH[b * 2 * n + n + j]!) < 1e-12, `${sys.name}: dq/dt = ∂H/∂p`);
            assert.ok(
              Math.abs(field[b * 2 * n + n + j]! + gH[b * 2 * n + j]!) <
                1e-12 * Math.max(1, Math.abs(gH[b * 2 * n + j]!)),
              `${sys.name}: dp/dt = −∂H/∂q`,
            );
          }
        }
      }
      if (sys.lagrangian) {
        for (let b = 0; b < B; b++) {
          const s = x.subarray(b * sys.dim, (b + 1) * sys.dim);
          // canonical systems: L is a function of (q, q̇) with q̇ = dq/dt from the field
          const z =
            sys.coordinates === "velocity"
              ? Float64Array.from(s)
              : Float64Array.from([...s.subarray(0, n), ...field.subarray(b * 2 * n, b * 2 * n + n)]);
          const qdd = eulerLagrange(sys, z);
          // expected q̈: velocity systems read it from the field; canonical ones (diagonal masses) have q̈ = ṗ / m
          if (sys.coordinates === "velocity") {
            const fb = field.subarray(b * 2 * n + n, b * 2 * n + 2 * n);
            assert.ok(
              maxAbsDiff(qdd, fb) < 1e-10 * Math.max(1, ...Array.from(fb, Math.abs)),
              `${sys.name}: EL q̈ ${qdd} vs field ${fb}`,
            );
          } else {
            const masses =
              sys.name === "two-body"
                ? [sys.params.m1!, sys.params.m2!, sys.params.m1!, sys.params.m2!]
                : sys.name === "mass-spring"
                  ? [sys.params.m!]
                  : [sys.params.m! * sys.params.l! ** 2];
            const want = masses.map((mm, j) => field[b * 2 * n + n + j]! / mm);
            assert.ok(
              maxAbsDiff(qdd, want) < 1e-10 * Math.max(1, ...want.map(Math.abs)),
              `${sys.name}: EL q̈ ${qdd} vs ṗ/m ${want}`,
            );
          }
        }
      }
    }
  });
});

test("true trajectories conserve energy (all systems) and two-body angular momentum", () => {
  const tol = { rtol: 1e-10, atol: 1e-10 };
  const t = linspace(0, 20, 101);
  const cases: [PhysicalSystem, number[]][] = [
    [massSpring(), [0.7, -0.2]],
    [pendulum(), [2.5, 0.3]],
    [doublePendulum(), [2.0, -1.0, 3.0, -5.0]],
    [relativisticParticle(), [5, 0.9]],
    [twoBody(), [1, -1, 0.5, -0.5, -0.2, 0.2, 0.45, -0.45]],
  ];
  const lines: string[] = [];
  for (const [sys, x0] of cases) {
    const traj = trueTrajectories(sys, x0, t, tol);
    const e0 = sys.energyHost(x0);
    let worst = 0;
    for (let i = 0; i < t.length; i++)
      worst = Math.max(worst, Math.abs(sys.energyHost(traj.subarray(i * sys.dim, (i + 1) * sys.dim)) / e0 - 1));
    lines.push(`${sys.name} ${worst.toExponential(1)}`);
    assert.ok(worst < 1e-7, `${sys.name}: relative energy drift ${worst}`);
  }
  const tb = twoBody();
  const x0 = [1, -1, 0.5, -0.5, -0.2, 0.2, 0.45, -0.45];
  const traj = trueTrajectories(tb, x0, t, tol);
  const L0 = tb.angularMomentumHost(x0);
  let worstL = 0;
  for (let i = 0; i < t.length; i++)
    worstL = Math.max(worstL, Math.abs(tb.angularMomentumHost(traj.subarray(8 * i, 8 * i + 8)) - L0) / Math.abs(L0));
  lines.push(`two-body angular momentum ${worstL.toExponential(1)}`);
  assert.ok(worstL < 1e-8, `angular momentum drift ${worstL}`);
  console.log("max relative drift over t ∈ [0, 20], DOPRI5 rtol 1e-10:", lines.join(", "));
});

let twoBodyCache: { data: TrajectoryDataset; ms: number } | null = null;
function twoBodyData() {
  if (!twoBodyCache) {
    const t0 = performance.now();
    const data = twoBodyDataset();
    twoBodyCache = { data, ms: performance.now() - t0 };
  }
  return twoBodyCache;
}

test("HNN spring/pendulum datasets: shapes, 25/25 split, noise σ, exact derivatives, radius, determinism", () => {
  for (const [make, P, radius] of [
    [springDataset, 30, [0.1, 1.0]],
    [pendulumDataset, 45, [0.2, 2.0]],
  ] as const) {
    const t0 = performance.now();
    const d = make();
    const ms = performance.now() - t0;
    console.log(`${d.system} dataset: ${ms.toFixed(0)} ms`);
    assert.equal(d.dim, 2);
    assert.equal(d.t.length, P);
    assert.equal(d.t[P - 1], 3);
    for (const s of [d.train, d.test]) {
      assert.equal(s.trajectories, 25);
      assert.equal(s.n, 25 * P);
      assert.equal(s.x.length, 25 * P * 2);
      assert.equal(s.dx.length, 25 * P * 2);
      assert.equal(s.energy.length, 25 * P);
    }
    const sys = d.system === "mass-spring" ? massSpring() : pendulum();
    let ss = 0;
    const dx = new Float64Array(2);
    for (let i = 0; i < d.train.n; i++) {
      for (let j = 0; j < 2; j++) ss += (d.train.x[2 * i + j]! - d.train.xTrue[2 * i + j]!) ** 2;
      sys.fieldHost(d.train.xTrue.subarray(2 * i, 2 * i + 2), dx);
      assert.ok(maxAbsDiff(dx, d.train.dx.subarray(2 * i, 2 * i + 2)) === 0);
    }
    const sigma = Math.sqrt(ss / (2 * d.train.n));
    assert.ok(Math.abs(sigma - 0.05) < 0.005, `noise σ ${sigma}`);
    for (let k = 0; k < 25; k++) {
      const x0 = trajectoryRows(d.test, k).subarray(0, 2);
      const r = Math.hypot(x0[0]!, x0[1]!);
      assert.ok(r >= radius[0] - 1e-12 && r <= radius[1] + 1e-12, `initial radius ${r}`);
    }
    const again = make({ seed: 0 });
    assert.deepEqual(again.train.x, d.train.x);
    assert.deepEqual(again.test.dx, d.test.dx);
    assert.notDeepEqual(make({ seed: 1 }).train.x, d.train.x);
  }
});

test("two-body dataset: 1000 orbits × 50 states, 20% test, near-circular, conserved energy, determinism", () => {
  const { data: d, ms } = twoBodyData();
  console.log(`two-body dataset (1000 orbits): ${ms.toFixed(0)} ms`);
  assert.equal(d.dim, 8);
  assert.equal(d.train.trajectories, 800);
  assert.equal(d.test.trajectories, 200);
  assert.equal(d.train.n, 40000);
  assert.equal(d.test.n, 10000);
  assert.equal(d.t.length, 50);
  assert.equal(d.t[49], 20);
  const tb = twoBody();
  let worstE = 0;
  let worstL = 0;
  let minR = Infinity;
  let maxR = 0;
  for (const s of [d.train, d.test]) {
    for (let k = 0; k < s.trajectories; k++) {
      const rows = trajectoryRows(s, k);
      const x0 = rows.subarray(0, 8);
      const e0 = tb.energyHost(x0);
      const L0 = tb.angularMomentumHost(x0);
      assert.ok(e0 < 0, "bound orbit");
      const [Px, Py] = tb.momentumHost(x0);
      assert.ok(Math.abs(Px) < 1e-15 && Math.abs(Py) < 1e-15, "centre of mass at rest");
      for (let i = 0; i < 50; i++) {
        const st = rows.subarray(8 * i, 8 * i + 8);
        worstE = Math.max(worstE, Math.abs(tb.energyHost(st) / e0 - 1));
        worstL = Math.max(worstL, Math.abs(tb.angularMomentumHost(st) / L0 - 1));
        const r = Math.hypot(st[0]!, st[2]!);
        minR = Math.min(minR, r);
        maxR = Math.max(maxR, r);
      }
    }
  }
  console.log(
    `two-body data: max relative energy drift ${worstE.toExponential(2)}, angular momentum ${worstL.toExponential(2)}, body-1 radius in [${minR.toFixed(3)}, ${maxR.toFixed(3)}]`,
  );
  assert.ok(worstE < 1e-6 && worstL < 1e-6);
  // near-circular: body 1 starts at |r| ∈ [0.71, 2.12]; 5% speed noise keeps it within [0.5, 4]
  assert.ok(minR > 0.5 && maxR < 4, `radius range ${minR} ${maxR}`);
  const small = twoBodyDataset({ trials: 10, seed: 5 });
  assert.deepEqual(twoBodyDataset({ trials: 10, seed: 5 }).train.x, small.train.x);
  assert.equal(small.test.trajectories, 2);
});

test("double pendulum and relativistic samples: shapes, ranges, analytic targets, determinism", () => {
  const s = doublePendulumSamples({ n: 500, seed: 7 });
  assert.equal(s.x.length, 2000);
  assert.equal(s.qdd.length, 1000);
  assert.equal(s.dim, 4);
  const sys = doublePendulum();
  for (let i = 0; i < s.n; i++) {
    const x = s.x.subarray(4 * i, 4 * i + 4);
    assert.ok(x[0]! >= 0 && x[0]! < 2 * Math.PI && x[1]! >= 0 && x[1]! < 2 * Math.PI);
    assert.ok(Math.abs(x[2]!) <= 10 && Math.abs(x[3]!) <= 10);
    const a = sys.accelerationHost(x);
    assert.equal(s.qdd[2 * i], a[0]);
    assert.equal(s.qdd[2 * i + 1], a[1]);
    assert.equal(s.dx[4 * i], x[2]);
  }
  assert.deepEqual(doublePendulumSamples({ n: 500, seed: 7 }).x, s.x);
  assert.equal(sys.maxPotential, 29.400000000000002);
  const r = relativisticSamples({ n: 200, seed: 1 });
  for (let i = 0; i < r.n; i++) assert.ok(Math.abs(r.x[2 * i]!) <= 10 && Math.abs(r.x[2 * i + 1]!) <= 0.99);
});

test("bad input: wrong state dimension, non-finite data, bad parameters and options", async () => {
  const sys = massSpring();
  assert.throws(() => sys.field(f64([1, 2, 3], [1, 3])), ShapeError);
  assert.throws(() => twoBody().energy(f64([1, 2, 3, 4], [2, 2])), ShapeError);
  assert.throws(() => doublePendulum().lagrangian!(f64([1, 2, 3], [1, 3]), f64([1, 2], [1, 2])), ShapeError);
  assert.throws(() => massSpring({ m: -1 }), ConfigError);
  assert.throws(() => doublePendulum({ g: Number.NaN }), ConfigError);
  assert.throws(() => trueTrajectories(sys, [1, 2, 3], [0, 1], { rtol: 1e-8, atol: 1e-8 }), ShapeError);
  assert.throws(() => trueTrajectories(sys, [1, Number.NaN], [0, 1], { rtol: 1e-8, atol: 1e-8 }), NonFiniteError);
  assert.throws(
    () => dopri5Host((_t, y, dy) => sys.fieldHost(y, dy), [1, 0], 1, { rtol: Number.NaN, atol: 1e-9 }),
    ConfigError,
  );
  assert.throws(
    () => dopri5Host((_t, y, dy) => sys.fieldHost(y, dy), [1, 0], 1, { rtol: 1e-9, atol: 1e-9, tEval: [0.5, 0.2] }),
    ConfigError,
  );
  assert.throws(
    () => dopri5Host((_t, _y, dy) => dy.fill(Number.NaN), [1, 0], 1, { rtol: 1e-9, atol: 1e-9 }),
    NonFiniteError,
  );
  assert.throws(() => rk4(sys.field, f64([1, 0], [1, 2]), 0, 10), ConfigError);
  assert.throws(() => rk4(sys.field, f64([1, 0], [1, 2]), 0.1, 2.5), ConfigError);
  assert.throws(() => leapfrog(sys.separable!, f64([1, 0, 2], [1, 3]), 0.1, 1), ConfigError);
  assert.throws(() => relativisticParticle().fieldHost([0, 1.2], new Float64Array(2)), ConfigError);
  assert.throws(() => springDataset({ radius: [1, 0.1] }), ConfigError);
  assert.throws(() => springDataset({ noise: -1 }), ConfigError);
  assert.throws(() => springDataset({ system: doublePendulum() }), ConfigError);
  assert.throws(() => twoBodyDataset({ trials: 0 }), ConfigError);
  assert.throws(() => uniformStateSamples(doublePendulum(), [[0, 1]], 10, 0), ShapeError);
  const bad = springDataset({ trajectories: 2 });
  bad.train.x[3] = Number.POSITIVE_INFINITY;
  assert.throws(() => toArrays(bad.train), NonFiniteError);
  const ok = toArrays(bad.test, { dtype: "float64" });
  assert.deepEqual(ok.x.shape, [30, 2]);
  ok.x.dispose();
  ok.dx.dispose();
});

test("integrators and fields release every buffer (rk4, leapfrog, dopri5, trajectories; all systems' fields)", async () => {
  const sp = massSpring();
  const tb = twoBody();
  const x = () => f64(x0Spring, [3, 2]);
  await withDevice("cpu", async () => {
    await expectNoLeaks(
      () => {
        toFloat64(rk4(sp.field, x(), 0.1, 3));
        toFloat64(leapfrog(sp.separable!, x(), 0.1, 3));
        for (const s of rk4Trajectory(sp.field, x(), 0.1, 2)) s.dispose();
        for (const s of leapfrogTrajectory(sp.separable!, x(), 0.1, 2)) s.dispose();
        for (const s of dopri5(sp.field, x(), 0.5, { rtol: 1e-6, atol: 1e-6, tEval: [0, 0.2, 0.5] }).y) s.dispose();
        const xb = f64([1, -1, 0.5, -0.5, -0.2, 0.2, 0.45, -0.45], [1, 8]);
        toFloat64(tb.field(xb.ref));
        toFloat64(tb.energy(xb.ref));
        toFloat64(tb.angularMomentum(xb.ref));
        toFloat64(leapfrog(tb.separable!, xb, 0.01, 2));
        toFloat64(doublePendulum().field(f64([1, 2, 3, 4], [1, 4])));
        toFloat64(relativisticParticle().field(f64([1, 0.5], [1, 2])));
      },
      { devices: ["cpu"], iterations: 3, warmup: 1 },
    );
  });
});
