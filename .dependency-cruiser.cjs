/**
 * The import graph of src/ (checked by `npm run lint:imports`, part of `npm test`): no cycles,
 * no import from a lower layer into a higher one, and nothing that must run in a browser imports
 * a Node built-in. Layers, lowest first — each may import only the ones before it:
 */
const LAYERS = [
  "src/jax\\.ts", //          the one engine import
  "src/core/", //             engine set-up, errors, host transfers, rng, trees, host linear algebra
  "src/groups/", //           groups as data
  "src/reps/", //             representations
  "src/solve/", //            equivariant bases
  "src/nn/", //               modules, dense layers
  "src/train/", //            losses, optimisers, fit, checkpoint codec
  "src/physics/", //          systems, integrators, HNN/LNN fields
  "src/layers/", //           EMLP, G-CNN (and the families to come)
  "src/flows/", //            normalizing flows, lattice theories, samplers
  "src/soft/", //             symmetry through the loss: penalties, Augerino, orbit regulariser, VAE
  "src/discovery/", //        learned symmetries → groups
  "src/data/", //             data generators
  "src/testing/", //          the public harness
  "src/plot/", //             vega-lite → SVG
  "src/node/", //             Node-only pieces
  "src/experiments/", //      experiments run by the CLI and the tour
  "src/cli/", //              the noether command
  "src/(index|node)\\.ts", // the package's entry points
];

const upward = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `no-upward-from-${layer.replace(/[^a-z]+/g, "-").replace(/^-|-$/g, "")}`,
  comment: `${layer} may import only the layers below it (see LAYERS)`,
  severity: "error",
  from: { path: `^${layer}` },
  to: { path: `^(${LAYERS.slice(i + 1).join("|")})` },
}));

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "no import cycles, type-only ones included",
      from: {},
      to: { circular: true },
    },
    ...upward,
    {
      name: "browser-safe",
      severity: "error",
      comment: "everything but node/, cli/, experiments/, plot/ and the node entry runs in browsers: no Node built-ins",
      from: { path: "^src/", pathNot: "^src/(node|cli|experiments|plot)/|^src/node\\.ts$" },
      to: { dependencyTypes: ["core"] },
    },
    { name: "not-to-unresolvable", severity: "error", from: {}, to: { couldNotResolve: true } },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    // Resolve packages through their "exports" maps (csv-parse/sync, vega-lite).
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] },
    exclude: { path: "^(bench|test|examples)/" },
  },
};
