/**
 * noether/flows: bijector identities (inverse∘forward, logDet against jacfwd, float64 on cpu),
 * the symmetries of the lattice and Hamiltonian flows through the equivariance harness (each with
 * a control that must fail), the φ⁴ and U(1) lattice quantities against host references and
 * exact results, one Metropolis–Hastings core checked empirically for detailed balance with HMC
 * and with independence proposals, reverse-KL training (progress, and the stop at a non-finite
 * loss), bad input, and leaks.
 */
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { grad, jacfwd, numpy as np, tree, type Array as JArray } from "../src/jax.js";
import { initEngine, withDevice } from "../src/core/engine.js";
import { ConfigError, NonFiniteError } from "../src/core/errors.js";
import { castTree, fromHost, toFloat64 } from "../src/core/host.js";
import { absDet } from "../src/core/matrix.js";
import { hostNormal, hostRng, makeKey } from "../src/core/rng.js";
import type { Params } from "../src/core/tree.js";
import {
  absMagnetisation,
  bind,
  checkerboard,
  columns,
  essPerSample,
  freeFieldPhi2,
  gaugeTransform,
  hamiltonianFlow,
  hmcKernel,
  independenceKernel,
  integratedAutocorrTime,
  integratedAutocorrTimeChains,
  meanPlaquette,
  metropolis,
  negLogLikelihood,
  phi4Action,
  phi4ActionHost,
  phi4Flow,
  phi4Force,
  plaquettes,
  reverseKL,
  rotatePhaseSpace,
  standardNormal,
  topologicalCharge,
  twoPointG0,
  trainReverseKL,
  u1Coupling,
  u1Flow,
  u1PlaquetteExact,
  wilsonAction,
  wilsonForce,
  type Flow,
} from "../src/flows/index.js";
import { equivarianceError, expectNoLeaks } from "../src/testing/index.js";

before(async () => {
  await initEngine();
});

const f64 = { dtype: "float64" as const, device: "cpu" as const };
const z64 = { dtype: np.float64, device: "cpu" as const };

/** Flow params made on the default device, copied to float64 on cpu. */
function params64<P extends Params>(flow: Flow<P>, seed: number): P {
  return castTree(flow.init(makeKey(seed)), f64);
}

/** Inverse∘forward error and |logDet − log|det J|| (jacfwd, one sample) of `flow` at x [D] (host). */
function bijectorErrors<P extends Params>(
  flow: Flow<P>,
  p: P,
  x: Float64Array,
): { inv: number; ld: number; ldSum: number } {
  const ev = flow.eventShape;
  const D = x.length;
  const mk = () => fromHost(x, [1, ...ev], f64);
  const [y, ld] = flow.forward(tree.ref(p), mk());
  const yh = toFloat64(y.ref);
  const [x2, ldInv] = flow.inverse(tree.ref(p), y);
  const x2h = toFloat64(x2);
  let inv = 0;
  for (let i = 0; i < D; i++) {
    // angles compare on the circle
    const d = Math.abs(x2h[i]! - x[i]!);
    inv = Math.max(inv, Math.min(d, Math.abs(d - 2 * Math.PI)));
  }
  const J = toFloat64(
    jacfwd((v: JArray) => flow.forward(tree.ref(p), v.reshape([1, ...ev]))[0].reshape([D]))(fromHost(x, [D], f64)),
  );
  const ldH = toFloat64(ld)[0]!;
  const ldI = toFloat64(ldInv)[0]!;
  void yh;
  return { inv, ld: Math.abs(ldH - Math.log(absDet(J, D))), ldSum: Math.abs(ldH + ldI) };
}

test("bijectors: inverse∘forward = id and logDet = log|det J| (jacfwd, float64 on cpu) for φ⁴, U(1) and Hamiltonian flows", async () => {
  await withDevice("cpu", () => {
    const rng = hostRng(3);
    const cases: [string, Flow<Params>, Float64Array][] = [
      ["phi4 conv Z2", phi4Flow({ L: 4, couplings: 2, hidden: [4] }) as Flow<Params>, hostNormal(16, rng)],
      [
        "phi4 dense",
        phi4Flow({ L: 4, couplings: 2, conditioner: "dense", hidden: [8] }) as Flow<Params>,
        hostNormal(16, rng),
      ],
      [
        "u1 plaquettes",
        u1Flow({ L: 4, couplings: 2, hidden: [4] }) as Flow<Params>,
        Float64Array.from({ length: 32 }, () => 2 * Math.PI * rng()),
      ],
      [
        "hamiltonian",
        hamiltonianFlow({ construction: "invariant", hidden: 8, steps: 3 }) as Flow<Params>,
        hostNormal(4, rng),
      ],
    ];
    for (const [name, flow, x] of cases) {
      const p = params64(flow, 1);
      const e = bijectorErrors(flow, p, x);
      assert.ok(e.inv < 1e-9, `${name}: inverse∘forward error ${e.inv}`);
      assert.ok(e.ld < 1e-8, `${name}: logDet vs log|det J| differ by ${e.ld}`);
      assert.ok(e.ldSum < 1e-8, `${name}: forward and inverse logDets do not cancel (${e.ldSum})`);
      tree.dispose(p);
    }
  });
});

/** f(x) = [y, logDet] as [B, D + 1] for the harness. */
function withLogDet(flow: Flow<Params>, p: Params) {
  return (x: JArray) => {
    const B = x.shape[0]!;
    const [y, ld] = flow.forward(tree.ref(p), x);
    return np.concatenate([y.reshape([B, -1]), ld.reshape([B, 1])], 1);
  };
}

test("φ⁴ flow: the conv form commutes with checkerboard-preserving translations and φ → −φ; the dense control and the unsymmetrised net fail", async () => {
  const L = 4;
  const rollXY = (s: [number, number], x: JArray) => np.roll(np.roll(x, s[0], 1), s[1], 2);
  const translations = {
    name: "even translations",
    elements: (): [number, number][] => [
      [2, 0],
      [0, 2],
      [2, 2],
      [0, -2],
    ],
  };
  const actOut = (s: [number, number], y: JArray) => {
    const B = y.shape[0]!;
    const f = rollXY(s, y.ref.slice([], [0, L * L]).reshape([B, L, L])).reshape([B, L * L]);
    return np.concatenate([f, y.slice([], [L * L, L * L + 1])], 1);
  };
  const z2 = { name: "Z2", elements: () => [-1] };
  const flipOut = (_: number, y: JArray) => {
    return np.concatenate([y.ref.slice([], [0, L * L]).neg(), y.slice([], [L * L, L * L + 1])], 1);
  };
  const input = () => fromHost(hostNormal(3 * L * L, hostRng(7)), [3, L, L], f64);
  const run = async (flow: Flow<Params>, g: "t" | "z2") => {
    const p = params64(flow, 2);
    const r =
      g === "t"
        ? await equivarianceError(withLogDet(flow, p), { group: translations, actIn: rollXY, actOut, input })
        : await equivarianceError(withLogDet(flow, p), {
            group: z2,
            actIn: (_s, x) => x.neg(),
            actOut: flipOut,
            input,
          });
    tree.dispose(p);
    return r.maxError;
  };
  const conv = phi4Flow({ L, couplings: 2, hidden: [4] }) as Flow<Params>;
  assert.ok((await run(conv, "t")) < 1e-10, "conv flow: translations");
  assert.ok((await run(conv, "z2")) < 1e-10, "conv flow: Z2");
  const dense = phi4Flow({ L, couplings: 2, conditioner: "dense", hidden: [8] }) as Flow<Params>;
  assert.ok((await run(dense, "t")) > 1e-3, "the dense control must fail translations");
  const noZ2 = phi4Flow({ L, couplings: 2, hidden: [4], z2: false }) as Flow<Params>;
  assert.ok((await run(noZ2, "t")) < 1e-10, "unsymmetrised conv flow still commutes with translations");
  assert.ok((await run(noZ2, "z2")) > 1e-3, "the unsymmetrised conv flow must fail Z2");
});

test("φ⁴ action and force match the host action and autodiff; free-field ⟨φ²⟩ formula", async () => {
  await withDevice("cpu", () => {
    const th = { L: 4, m2: -4, lambda: 6.975 };
    const x = hostNormal(2 * 16, hostRng(1));
    const S = toFloat64(phi4Action(th, fromHost(x, [2, 4, 4], f64)));
    for (let b = 0; b < 2; b++)
      assert.ok(Math.abs(S[b]! - phi4ActionHost(th, x.subarray(16 * b, 16 * b + 16))) < 1e-10);
    const F = toFloat64(phi4Force(th, fromHost(x, [2, 4, 4], f64)));
    const G = toFloat64(grad((v: JArray) => phi4Action(th, v).sum())(fromHost(x, [2, 4, 4], f64)));
    for (let i = 0; i < F.length; i++) assert.ok(Math.abs(F[i]! - G[i]!) < 1e-10, `force ${i}`);
  });
  // L = 1: S = m² φ² (no neighbours differ) → ⟨φ²⟩ = 1/(2m²).
  assert.ok(Math.abs(freeFieldPhi2(1, 0.5) - 1) < 1e-12);
});

test("Metropolis–Hastings core: HMC and independence proposals both reproduce the free field's exact ⟨φ²⟩ with symmetric transition counts", async () => {
  const L = 2;
  const m2 = 0.5;
  const th = { L, m2, lambda: 0 };
  const D = L * L;
  const exact = freeFieldPhi2(L, m2);
  const chains = 16;
  const check = (name: string, x: Float64Array, width: number, steps: number) => {
    // ⟨φ²⟩ over sites, chains, steps (after 10% burn-in), error from per-chain means.
    const perChain = new Float64Array(chains);
    const burn = Math.floor(steps / 10);
    for (let c = 0; c < chains; c++) {
      let s = 0;
      for (let t = burn; t < steps; t++) for (let i = 0; i < D; i++) s += x[(t * chains + c) * width + i]! ** 2;
      perChain[c] = s / ((steps - burn) * D);
    }
    const mean = perChain.reduce((a, b) => a + b) / chains;
    const sd = Math.sqrt(perChain.reduce((a, b) => a + (b - mean) ** 2, 0) / (chains - 1) / chains);
    assert.ok(Math.abs(mean - exact) < 4 * sd + 1e-3, `${name}: ⟨φ²⟩ = ${mean} ± ${sd}, exact ${exact}`);
    // Detailed balance: the counts of consecutive (sign φ₀) pairs (+,−) and (−,+) agree.
    let pm = 0;
    let mp = 0;
    for (let t = burn + 1; t < steps; t++)
      for (let c = 0; c < chains; c++) {
        const a = x[((t - 1) * chains + c) * width]! > 0;
        const b = x[(t * chains + c) * width]! > 0;
        if (a && !b) pm++;
        if (!a && b) mp++;
      }
    assert.ok(Math.abs(pm - mp) < 4 * Math.sqrt(pm + mp) + 5, `${name}: transitions +→− ${pm}, −→+ ${mp}`);
    assert.ok(pm + mp > 100, `${name}: the chains must move (${pm + mp} sign changes)`);
    return mean;
  };
  // HMC.
  const hmc = hmcKernel({
    dim: D,
    action: (q) => phi4Action(th, q.reshape([-1, L, L])),
    force: (q) => phi4Force(th, q.reshape([-1, L, L])).reshape([-1, D]),
    dt: 0.3,
    leapfrogSteps: 4,
  });
  const rh = metropolis(hmc, new Float64Array(chains * D), chains, 600, hostRng(11));
  hmc.dispose();
  assert.ok(rh.acceptance > 0.5 && rh.acceptance < 1, `HMC acceptance ${rh.acceptance}`);
  check("HMC", rh.samples, D, 600);
  // Independence sampler: proposals N(0, σ²) with σ² = 2·exact (too wide), log w = −S − log q.
  const sig2 = 2 * exact;
  const prng = hostRng(12);
  const next = (n: number) => {
    const x = hostNormal(n * D, prng).map((v) => v * Math.sqrt(sig2));
    const logw = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const row = x.subarray(i * D, (i + 1) * D);
      let sq = 0;
      for (const v of row) sq += v * v;
      logw[i] = -phi4ActionHost(th, row) + sq / (2 * sig2);
    }
    return { x, logw };
  };
  const first = next(chains);
  const init = new Float64Array(chains * (D + 1));
  for (let c = 0; c < chains; c++) {
    init.set(first.x.subarray(c * D, (c + 1) * D), c * (D + 1));
    init[c * (D + 1) + D] = first.logw[c]!;
  }
  const ri = metropolis(independenceKernel(D, next), init, chains, 1500, hostRng(13));
  assert.ok(ri.acceptance > 0.05 && ri.acceptance < 0.95, `independence acceptance ${ri.acceptance}`);
  check("independence", ri.samples, D + 1, 1500);
  // Control: the raw proposals are not the target (their ⟨φ²⟩ = σ² = 2·exact).
  const raw = next(4000).x;
  const rawMean = raw.reduce((a, v) => a + v * v, 0) / raw.length;
  assert.ok(Math.abs(rawMean - exact) > 0.3 * exact, `proposal ⟨φ²⟩ ${rawMean} vs exact ${exact}`);
});

test("statistics: ESS of equal weights is 1, of one dominant weight ~1/N; τ_int ≈ ½ for white noise and ≈ (1+ρ)/(2(1−ρ)) for AR(1)", () => {
  assert.ok(Math.abs(essPerSample(new Float64Array(100).fill(3)) - 1) < 1e-12);
  const lw = new Float64Array(100).fill(-50);
  lw[0] = 0;
  assert.ok(essPerSample(lw) < 0.011);
  const rng = hostRng(5);
  const white = hostNormal(20000, rng);
  assert.ok(Math.abs(integratedAutocorrTime(white) - 0.5) < 0.1);
  const rho = 0.8;
  const ar = new Float64Array(40000);
  const e = hostNormal(40000, rng);
  for (let i = 1; i < ar.length; i++) ar[i] = rho * ar[i - 1]! + e[i]!;
  const want = (1 + rho) / (2 * (1 - rho));
  const got = integratedAutocorrTime(ar);
  assert.ok(Math.abs(got - want) < 0.2 * want, `AR(1) τ ${got} vs ${want}`);
  assert.ok(Number.isNaN(integratedAutocorrTime(new Float64Array(10).fill(1))));
});

test("U(1): plaquettes and action are gauge invariant, the force is ∂S/∂θ, Q is an integer, exact ⟨cos P⟩ checks out", async () => {
  await withDevice("cpu", () => {
    const L = 4;
    const rng = hostRng(2);
    const th = Float64Array.from({ length: 2 * 2 * L * L }, () => 2 * Math.PI * rng());
    const al = Float64Array.from({ length: 2 * L * L }, () => 2 * Math.PI * rng());
    const mk = () => fromHost(th, [2, 2, L, L], f64);
    const S = toFloat64(wilsonAction(1.7, mk()));
    const Sg = toFloat64(wilsonAction(1.7, gaugeTransform(mk(), fromHost(al, [2, L, L], f64))));
    for (let b = 0; b < 2; b++) assert.ok(Math.abs(S[b]! - Sg[b]!) < 1e-10);
    const Pg = toFloat64(plaquettes(gaugeTransform(mk(), fromHost(al, [2, L, L], f64))));
    const P = toFloat64(plaquettes(mk()));
    for (let i = 0; i < P.length; i++) assert.ok(Math.abs(P[i]! - Pg[i]!) < 1e-10);
    // Non-invariant control: rotating only the links (not a gauge transform) changes S.
    const Sr = toFloat64(wilsonAction(1.7, mk().add(fromHost(al.subarray(0, 16), [1, 1, L, L], f64))));
    assert.ok(Math.abs(Sr[0]! - S[0]!) > 1e-3);
    const F = toFloat64(wilsonForce(1.7, mk()));
    const G = toFloat64(grad((v: JArray) => wilsonAction(1.7, v).sum())(mk()));
    for (let i = 0; i < F.length; i++) assert.ok(Math.abs(F[i]! - G[i]!) < 1e-10);
    const Q = topologicalCharge(th, L);
    for (const q of Q) assert.ok(Number.isInteger(q), `Q = ${q}`);
    assert.equal(meanPlaquette(new Float64Array(2 * L * L), L)[0], 1);
  });
  // V = 2: the two plaquettes sum to 0 on the torus, so ⟨cos P⟩ = I₁(2β)/I₀(2β); V → ∞: I₁(β)/I₀(β).
  const ratio = (b: number) => {
    let n0 = 0;
    let n1 = 0;
    for (let k = 0; k < 20000; k++) {
      const t = (Math.PI * (k + 0.5)) / 20000;
      const e = Math.exp(b * (Math.cos(t) - 1));
      n0 += e;
      n1 += e * Math.cos(t);
    }
    return n1 / n0;
  };
  for (const b of [0.5, 2, 5]) {
    assert.ok(Math.abs(u1PlaquetteExact(b, 2) - ratio(2 * b)) < 1e-8, `V = 2, β = ${b}`);
    assert.ok(Math.abs(u1PlaquetteExact(b, 4096) - ratio(b)) < 1e-3, `V large, β = ${b}`);
  }
});

test("U(1) couplings: gauge equivariant through the harness (random gauge transformations, float64); the link-conditioned control fails", async () => {
  const L = 4;
  const V = L * L;
  const gauge = {
    name: "U(1) gauge transformations",
    sample: (rng: () => number) => Float64Array.from({ length: V }, () => 2 * Math.PI * rng()),
    describe: () => "α",
  };
  const actIn = (a: Float64Array, x: JArray) =>
    gaugeTransform(x, fromHost(a, [1, L, L], f64).add(np.zeros([x.shape[0]!, L, L], z64)));
  // Outputs as [cos θ', sin θ', logDet]: the gauge transformation rotates each (cos, sin) pair.
  const toOut = (flow: Flow<Params>, p: Params) => (x: JArray) => {
    const B = x.shape[0]!;
    const [y, ld] = flow.forward(tree.ref(p), x);
    return np.concatenate([np.cos(y.ref).reshape([B, -1]), np.sin(y).reshape([B, -1]), ld.reshape([B, 1])], 1);
  };
  const actOut = (a: Float64Array, out: JArray) => {
    const B = out.shape[0]!;
    const zero = np.zeros([B, 2, L, L], z64);
    const d = toFloat64(gaugeTransform(zero, fromHost(a, [1, L, L], f64).add(np.zeros([B, L, L], z64))));
    const c = fromHost(d.map(Math.cos), [B, 2 * V], f64);
    const s = fromHost(d.map(Math.sin), [B, 2 * V], f64);
    const co = out.ref.slice([], [0, 2 * V]);
    const si = out.ref.slice([], [2 * V, 4 * V]);
    const ld = out.slice([], [4 * V, 4 * V + 1]);
    return np.concatenate([co.ref.mul(c.ref).sub(si.ref.mul(s.ref)), si.mul(c).add(co.mul(s)), ld], 1);
  };
  const input = () =>
    fromHost(
      Float64Array.from({ length: 2 * 2 * V }, (_, i) => (i * 2.399) % (2 * Math.PI)),
      [2, 2, L, L],
      f64,
    );
  for (const [cond, expectPass] of [
    ["plaquettes", true],
    ["links", false],
  ] as const) {
    const flow = u1Flow({ L, couplings: 2, hidden: [4], conditionOn: cond }) as Flow<Params>;
    const p = params64(flow, 4);
    const r = await equivarianceError(toOut(flow, p), { group: gauge, actIn, actOut, input, samples: 3 });
    tree.dispose(p);
    if (expectPass) assert.ok(r.maxError < 1e-9, `gauge-equivariant flow: ${r.maxError}`);
    else assert.ok(r.maxError > 1e-3, `control must fail: ${r.maxError}`);
  }
});

test("Hamiltonian flow: the density of the invariant construction is SO(2)-invariant through the harness; the unconstrained one is not", async () => {
  const so2 = { name: "SO(2) on (q, p)", sample: (rng: () => number) => 2 * Math.PI * rng() };
  const base = standardNormal([4]);
  const logDensity = (flow: Flow<Params>, p: Params) => (x: JArray) => {
    const B = x.shape[0]!;
    const [z, ld] = flow.inverse(tree.ref(p), x);
    return base.logProb(z).add(ld).reshape([B, 1]);
  };
  const input = () => fromHost(hostNormal(5 * 4, hostRng(9)), [5, 4], f64);
  const errs: Record<string, number> = {};
  for (const c of ["invariant", "unconstrained"] as const) {
    const flow = hamiltonianFlow({ construction: c, hidden: 8, steps: 4 }) as Flow<Params>;
    const p = params64(flow, 5);
    const r = await equivarianceError(logDensity(flow, p), {
      group: so2,
      actIn: rotatePhaseSpace,
      actOut: (_g, y) => y,
      input,
    });
    errs[c] = r.maxError;
    tree.dispose(p);
  }
  assert.ok(errs.invariant! < 1e-9, `invariant: ${errs.invariant}`);
  assert.ok(errs.unconstrained! > 1e-3, `unconstrained: ${errs.unconstrained}`);
});

test("reverse-KL training lowers the loss; a diverging run stops at the non-finite loss and returns finite last-good parameters", () => {
  const L = 4;
  const th = { L, m2: -4, lambda: 6.975 };
  const flow = phi4Flow({ L, couplings: 2, hidden: [4] });
  const base = standardNormal([L, L]);
  const action = (x: JArray) => phi4Action(th, x);
  const r = trainReverseKL({
    flow,
    base,
    action,
    params: flow.init(makeKey(0)),
    steps: 60,
    batch: 64,
    seed: 1,
    lr: 1e-2,
  });
  assert.equal(r.stopReason, "completed");
  const first = r.losses.slice(0, 5).reduce((a, b) => a + b) / 5;
  const last = r.losses.slice(-5).reduce((a, b) => a + b) / 5;
  assert.ok(last < first - 1, `loss ${first} → ${last}`);
  tree.dispose([r.params, r.optState]);
  // An action that is finite at first and NaN once any field value exceeds 3: training toward
  // large fields (S = −10 Σφ²) must hit it.
  const bad = (x: JArray) => {
    const B = x.shape[0]!;
    const big = np.greater(np.abs(x.ref), 3).astype(x.dtype).reshape([B, -1]).sum(1);
    return np
      .square(x)
      .reshape([B, -1])
      .sum(1)
      .mul(-10)
      .add(np.where(np.greater(big, 0), Number.NaN, 0));
  };
  const d = trainReverseKL({
    flow,
    base,
    action: bad,
    params: flow.init(makeKey(1)),
    steps: 200,
    batch: 16,
    seed: 2,
    lr: 0.05,
  });
  assert.equal(d.stopReason, "non-finite", `expected a stop, got ${d.stopReason}`);
  assert.match(d.message ?? "", /step \d+/);
  assert.ok(d.losses.every(Number.isFinite));
  for (const leaf of tree.leaves(d.params) as JArray[]) assert.ok(toFloat64(leaf.ref).every(Number.isFinite));
  tree.dispose(d.optState);
  // The returned params are those of the last finite loss: evaluating the same batch is finite.
  tree.dispose(d.params);
  assert.throws(
    () =>
      trainReverseKL({
        flow,
        base,
        action: (x) => x.sum([1, 2]).mul(Number.NaN),
        params: flow.init(makeKey(2)),
        steps: 3,
        batch: 4,
        seed: 0,
      }),
    NonFiniteError,
  );
});

test("bad input: odd L for checkerboards, L not a multiple of 4 for U(1) stripes, unbounded φ⁴ couplings, β ≤ 0 — typed errors naming what was given", () => {
  assert.throws(
    () => phi4Flow({ L: 5 }),
    (e: Error) => e instanceof ConfigError && /even lattice size.*L = 5/.test(e.message),
  );
  assert.throws(
    () => checkerboard(2, 2, 0).length === 4 && u1Coupling({ L: 6, mu: 0, off: 0 }),
    /multiple of 4, got L = 6/,
  );
  assert.throws(() => phi4Action({ L: 4, m2: -4, lambda: 0 }, np.zeros([1, 4, 4])), ConfigError);
  assert.throws(() => u1PlaquetteExact(0, 16), /β must be a finite number > 0, got 0/);
  assert.throws(
    () => phi4Action({ L: 4, m2: 1, lambda: 0 }, np.zeros([1, 3, 3])),
    /expected input \[B, 4, 4\], got \[1, 3, 3\]/,
  );
});

test("no leaks: flow forward/inverse, a reverse-KL loss and an HMC step release what they make", async () => {
  const L = 4;
  const flow = phi4Flow({ L, couplings: 2, hidden: [4] });
  const p = flow.init(makeKey(0));
  const b = bind(flow, tree.ref(p));
  const base = standardNormal([L, L]);
  const th = { L, m2: -4, lambda: 6.975 };
  const hmc = hmcKernel({
    dim: L * L,
    action: (q) => phi4Action(th, q.reshape([-1, L, L])),
    force: (q) => phi4Force(th, q.reshape([-1, L, L])).reshape([-1, L * L]),
    dt: 0.1,
    leapfrogSteps: 3,
    dtype: "float32",
  });
  const rng = hostRng(0);
  await expectNoLeaks(async () => {
    const [y, ld] = b.forward(base.sample(4, rng));
    const [x, ld2] = b.inverse(y);
    tree.dispose([x, ld, ld2]);
    (reverseKL(flow, base, (v) => phi4Action(th, v), tree.ref(p), base.sample(4, rng)).item() as number).toFixed();
    metropolis(hmc, new Float64Array(2 * L * L), 2, 2, rng);
    absMagnetisation(columns(new Float64Array(32), 16, 0, 16), L);
  });
  hmc.dispose();
  b.dispose();
  tree.dispose(p);
});

test("pooled τ_int over chains: one chain gives the single-chain value; chains frozen at different values count as correlated, not as missing", () => {
  const rng = hostRng(21);
  const ar = new Float64Array(4000);
  for (let i = 1; i < ar.length; i++) ar[i] = 0.8 * ar[i - 1]! + hostNormal(1, rng)[0]!;
  assert.equal(integratedAutocorrTimeChains([ar]), integratedAutocorrTime(ar));
  // Four AR(1) chains pooled: near (1 + ρ)/(2(1 − ρ)) = 4.5.
  const chains = [0, 1, 2, 3].map(() => {
    const c = new Float64Array(2000);
    for (let i = 1; i < c.length; i++) c[i] = 0.8 * c[i - 1]! + hostNormal(1, rng)[0]!;
    return c;
  });
  const tau = integratedAutocorrTimeChains(chains);
  assert.ok(Math.abs(tau - 4.5) < 0.2 * 4.5, `pooled AR(1) τ ${tau}`);
  // Frozen sectors: each chain constant (the single-chain estimator has nothing), different values.
  const frozen = [0, 1, -1, 0].map((q) => new Float64Array(200).fill(q));
  for (const f of frozen) assert.ok(Number.isNaN(integratedAutocorrTime(f)));
  assert.ok(integratedAutocorrTimeChains(frozen) > 20, `frozen chains τ ${integratedAutocorrTimeChains(frozen)}`);
  assert.ok(Number.isNaN(integratedAutocorrTimeChains([new Float64Array(50), new Float64Array(50)])));
  assert.throws(() => integratedAutocorrTimeChains([new Float64Array(3), new Float64Array(4)]), ConfigError);
});

test("negLogLikelihood: a Hamiltonian flow with flat V and T is a scaling, so the NLL is that of N(0, e^{2s}) exactly", async () => {
  await withDevice("cpu", () => {
    const flow = hamiltonianFlow({ construction: "invariant", hidden: 4, steps: 3 });
    const p = params64(flow, 6);
    tree.dispose([p.V.w2, p.T.w2, p.logScaleQ, p.logScaleP]);
    p.V.w2 = np.zeros([4], z64);
    p.T.w2 = np.zeros([4], z64);
    p.logScaleQ = np.array([0.3], z64);
    p.logScaleP = np.array([-0.2], z64);
    const x = hostNormal(6 * 4, hostRng(7));
    const got = toFloat64(negLogLikelihood(flow, standardNormal([4]), p, fromHost(x, [6, 4], f64)));
    for (let b = 0; b < 6; b++) {
      let want = 0;
      for (let i = 0; i < 4; i++) {
        const s = i < 2 ? 0.3 : -0.2;
        want += 0.5 * (x[4 * b + i]! * Math.exp(-s)) ** 2 + s + 0.5 * Math.log(2 * Math.PI);
      }
      assert.ok(Math.abs(got[b]! - want) < 1e-12, `sample ${b}: ${got[b]} vs ${want}`);
    }
  });
});

test("twoPointG0: (1/V) Σ φ² per configuration", () => {
  const L = 2;
  const g = twoPointG0(Float64Array.from([1, -1, 1, -1, 0, 0, 0, 2]), L);
  assert.deepEqual(Array.from(g), [1, 1]);
});
