/**
 * Symmetry discovery on a 3-D point cloud (LieGAN-style, Yang et al. 2023): points x ~ N(0, I₃)
 * labelled by their squared distance from a hidden axis a, so the labelled cloud is symmetric
 * under rotations about a and nothing else in so(3). The library's `discoverAdversarial` learns
 * one generator Ĝ that a discriminator cannot tell from a symmetry; the page shows Ĝ against the
 * true generator [a]× (a × v) and the principal angle between them as training runs.
 */
import { hostNormal, hostRng } from "../../../src/core/rng.js";
import { discoverAdversarial } from "../../../src/discovery/adversarial.js";
import { principalAnglesDeg } from "../../../src/discovery/algebra.js";
import { serveDemo, type DemoContext, type Row } from "../lib/protocol.js";

serveDemo({ run });

/** The hidden axis for `seed`: a random unit vector. */
function axis(seed: number): [number, number, number] {
  const v = hostNormal(3, hostRng(seed * 7919 + 11));
  const n = Math.hypot(v[0]!, v[1]!, v[2]!);
  return [v[0]! / n, v[1]! / n, v[2]! / n];
}

const matrixRows = (name: string, g: ArrayLike<number>): Row[] =>
  Array.from({ length: 9 }, (_, i) => ({ which: name, r: Math.floor(i / 3), c: i % 3, v: Number(g[i]) }));

async function run(s: Record<string, number>, { post, signal }: DemoContext): Promise<number> {
  const n = s.samples!;
  const a = axis(s.seed!);
  const x = hostNormal(3 * n, hostRng(s.seed! + 1));
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const dot = a[0] * x[3 * i]! + a[1] * x[3 * i + 1]! + a[2] * x[3 * i + 2]!;
    y[i] = x[3 * i]! ** 2 + x[3 * i + 1]! ** 2 + x[3 * i + 2]! ** 2 - dot * dot;
  }
  // [a]×: the generator of rotations about a (unit Frobenius norm, as the learned one).
  const L = [0, -a[2], a[1], a[2], 0, -a[0], -a[1], a[0], 0].map((v) => v / Math.SQRT2);
  const truth = { d: 3, k: 1, generators: Float64Array.from(L) };
  const cloud: Row[] = [];
  for (let i = 0; i < Math.min(n, 600); i++)
    cloud.push({ x1: x[3 * i]!, x2: x[3 * i + 1]!, x3: x[3 * i + 2]!, label: y[i]! });
  post({
    type: "progress",
    step: 0,
    total: s.steps!,
    metrics: {},
    series: { cloud, generators: [...matrixRows("true [a]×", L), ...matrixRows("learned Ĝ", new Float64Array(9))] },
  });
  const every = 10;
  let last: Record<string, number> = {};
  const r = await discoverAdversarial(
    x,
    { n, d: 3 },
    {
      k: 1,
      steps: s.steps!,
      lr: s.lr!,
      seed: s.seed!,
      labels: y,
      signal,
      onStep: (step, losses, generators) => {
        if (step % every !== 0 && step !== s.steps) return;
        const g = generators();
        const angle = principalAnglesDeg({ d: 3, k: 1, generators: g }, truth)[0]!;
        last = { angle, discriminatorLoss: losses.discriminator, generatorLoss: losses.generator };
        const sign = g.reduce((acc, v, i) => acc + v * L[i]!, 0) < 0 ? -1 : 1;
        post({
          type: "progress",
          step,
          total: s.steps!,
          metrics: { angle, discriminatorLoss: losses.discriminator, generatorLoss: losses.generator },
          append: { angle: [{ step, angle }] },
          series: {
            generators: [
              ...matrixRows("true [a]×", L),
              ...matrixRows(
                "learned Ĝ",
                g.map((v) => sign * v),
              ),
            ],
          },
        });
      },
    },
  );
  post({
    type: "progress",
    step: r.details.steps as number,
    total: s.steps!,
    metrics: { ...last, symmetryScore: r.spectrum[0]! },
  });
  return r.details.steps as number;
}
