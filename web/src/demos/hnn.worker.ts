/**
 * HNN vs baseline on the ideal mass–spring (Greydanus et al. 2019), trained here in the worker
 * with the library's own pieces: `springDataset` (noisy observations), `MLP`,
 * `hamiltonianFieldMLP` (dx/dt = J∇H in closed form), `makeTrainStep` + `adam`, and RK4
 * `rollout`s of both learned fields against the true path.
 */
import { tree, type Array as JArray } from "../../../src/jax.js";
import { fromHost } from "../../../src/core/host.js";
import { makeKey, splitKey } from "../../../src/core/rng.js";
import { springDataset, toArrays, trueTrajectories } from "../../../src/data/trajectories.js";
import { MLP, type MLPParams } from "../../../src/nn/layers.js";
import { hamiltonianFieldMLP } from "../../../src/physics/fields.js";
import { bindField, energyOf, rollout } from "../../../src/physics/rollout.js";
import { massSpring } from "../../../src/physics/systems.js";
import { mse } from "../../../src/train/losses.js";
import { adam } from "../../../src/train/optim.js";
import { makeTrainStep } from "../../../src/train/step.js";
import { serveDemo, yieldNow, type DemoContext, type Row } from "../lib/protocol.js";

serveDemo({ run: train });

const system = massSpring();
const X0 = [1, 0];
const T_END = 20;
const POINTS = 200;
const SUBSTEPS = 4;
const tGrid = Float64Array.from({ length: POINTS }, (_, i) => (T_END * i) / (POINTS - 1));
const truth = trueTrajectories(system, X0, tGrid, { rtol: 1e-10, atol: 1e-10 });
const trueEnergy = energyOf(system, truth, 1, POINTS);

type Field = (p: MLPParams, x: JArray) => JArray;

/** One model's RK4 path from X0 over the grid, as plot rows (null if it blew up). */
function path(name: string, field: Field, params: MLPParams): { phase: Row[]; energy: Row[] } | null {
  const bound = bindField(field, tree.ref(params), { jit: true });
  try {
    const states = rollout(bound.field, fromHost(X0, [1, 2], { dtype: "float32" }), {
      dt: T_END / (POINTS - 1),
      steps: POINTS - 1,
      method: "rk4",
      substeps: SUBSTEPS,
    }).states;
    const e = energyOf(system, states, 1, POINTS);
    return {
      phase: tGrid.reduce<Row[]>((rows, _t, i) => {
        rows.push({ q: states[2 * i]!, p: states[2 * i + 1]!, i, series: name });
        return rows;
      }, []),
      energy: Array.from(tGrid, (t, i) => ({ t, E: e[i]!, series: name })),
    };
  } catch {
    return null;
  } finally {
    bound.dispose();
  }
}

const truthRows = {
  phase: Array.from(tGrid, (_t, i) => ({ q: truth[2 * i]!, p: truth[2 * i + 1]!, i, series: "true" })),
  energy: Array.from(tGrid, (t, i) => ({ t, E: trueEnergy[i]!, series: "true" })),
};

async function train(s: Record<string, number>, { post, signal }: DemoContext): Promise<number> {
  const steps = s.steps!;
  const hidden = s.hidden!;
  const data = springDataset({ seed: 0, noise: s.noise! });
  const { x, dx } = toArrays(data.train, { dtype: "float32" });
  const [kb, kh] = splitKey(makeKey(0), 2);
  const baseNet = MLP([2, hidden, hidden, 2], { activation: "tanh", init: "orthogonal" });
  const hnnNet = MLP([2, hidden, hidden, 1], { activation: "tanh", init: "orthogonal" });
  const hnnField = hamiltonianFieldMLP("tanh");
  const fields: Record<"baseline" | "hnn", Field> = {
    baseline: (p, xx) => baseNet.apply(p, xx),
    hnn: hnnField,
  };
  const opt = adam();
  const models = (["hnn", "baseline"] as const).map((name) => {
    const params = (name === "hnn" ? hnnNet : baseNet).init(name === "hnn" ? kh! : kb!);
    const step = makeTrainStep<MLPParams>((p, xb, yb) => mse(fields[name](p, xb), yb), opt);
    return { name, params, optState: opt.init(params), step };
  });
  let done = 0;
  try {
    for (let t = 1; t <= steps && !signal.aborted; t++) {
      const metrics: Record<string, number> = {};
      for (const m of models) {
        const out = m.step(m.params, m.optState, x.ref, dx.ref, s.lr!, t);
        m.params = out.params as MLPParams;
        m.optState = out.optState;
        metrics[m.name === "hnn" ? "hnnLoss" : "baselineLoss"] = out.loss.item();
      }
      done = t;
      const append = { loss: models.map((m) => ({ step: t, loss: metrics[`${m.name}Loss`]!, series: m.name })) };
      if (t % 50 === 0 || t === steps || t === 1) {
        const phase: Row[] = [...truthRows.phase];
        const energy: Row[] = [...truthRows.energy];
        for (const m of models) {
          const r = path(m.name, fields[m.name], m.params);
          if (r !== null) {
            phase.push(...r.phase);
            energy.push(...r.energy);
          }
        }
        post({ type: "progress", step: t, total: steps, metrics, append, series: { phase, energy } });
      } else post({ type: "progress", step: t, total: steps, metrics, append });
      await yieldNow();
    }
  } finally {
    for (const m of models) {
      tree.dispose([m.params, m.optState]);
      m.step.dispose();
    }
    tree.dispose([x, dx]);
  }
  return done;
}
