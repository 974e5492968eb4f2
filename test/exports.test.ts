/**
 * The public surface is deliberate: every entry point of package.json's "exports" is read with
 * the TypeScript checker (values and types, as a consumer's editor sees them) and compared with
 * test/exports.snapshot.txt. A change to what the package exports must change that file too:
 * `UPDATE_EXPORTS=1 node --import tsx --test test/exports.test.ts` rewrites it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import ts from "typescript";

const SNAPSHOT = "test/exports.snapshot.txt";
const pkg = JSON.parse(readFileSync("package.json", "utf8")) as {
  exports: Record<string, { import: string } | string>;
};

/** Entry name → its sorted exports, each "name" (a value) or "type name" (types only). */
function surface(): Map<string, string[]> {
  const entries = Object.entries(pkg.exports)
    .filter(([k]) => k !== "./package.json")
    .map(
      ([k, v]) =>
        [
          k === "." ? "noether" : `noether/${k.slice(2)}`,
          (v as { import: string }).import.replace(/^\.\/dist\//, "src/").replace(/\.js$/, ".ts"),
        ] as const,
    );
  const program = ts.createProgram(
    entries.map(([, f]) => f),
    {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      strict: true,
      skipLibCheck: true,
      noEmit: true,
    },
  );
  const checker = program.getTypeChecker();
  const out = new Map<string, string[]>();
  for (const [name, file] of entries) {
    const sf = program.getSourceFile(file);
    assert.ok(sf, `${name}: ${file} not found`);
    const sym = checker.getSymbolAtLocation(sf);
    assert.ok(sym, `${name}: ${file} is not a module`);
    const names = checker.getExportsOfModule(sym).map((e) => {
      const t = e.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(e) : e;
      return t.flags & ts.SymbolFlags.Value ? e.name : `type ${e.name}`;
    });
    out.set(
      name,
      names.sort((a, b) => a.replace(/^type /, "").localeCompare(b.replace(/^type /, ""))),
    );
  }
  return out;
}

function render(s: Map<string, string[]>): string {
  return [...s]
    .map(([name, names]) => `${name} (${names.length})\n${names.map((n) => `  ${n}`).join("\n")}\n`)
    .join("\n");
}

test("the package exports exactly what test/exports.snapshot.txt lists", { timeout: 120_000 }, () => {
  const now = render(surface());
  if (process.env.UPDATE_EXPORTS === "1") writeFileSync(SNAPSHOT, now);
  const want = readFileSync(SNAPSHOT, "utf8");
  if (now !== want) {
    const a = new Set(want.split("\n"));
    const b = new Set(now.split("\n"));
    const added = [...b].filter((l) => !a.has(l) && l.trim() !== "");
    const removed = [...a].filter((l) => !b.has(l) && l.trim() !== "");
    assert.fail(
      `the public surface changed (UPDATE_EXPORTS=1 to accept):\n+ ${added.join("\n+ ")}\n- ${removed.join("\n- ")}`,
    );
  }
});

test("no internal helper is exported from any entry point", { timeout: 120_000 }, () => {
  // Implementation details of layers and data (each used by its own module and tests only).
  const internal = [
    "filterIndexMap",
    "tapConv",
    "laxConv",
    "denseConv",
    "expandFilter",
    "spatialSourceIndex",
    "actionIndex",
    "checkStates",
    "hostArray",
    "countParams",
    "Z2",
    "linearApply",
    "constraintOps",
    "toDType",
    "epochOrder",
    "epochSeed",
    "activationDerivs",
  ];
  for (const [name, names] of surface()) {
    if (name === "noether/jax") continue; // the engine's own API, re-exported whole
    const leaked = names.map((n) => n.replace(/^type /, "")).filter((n) => internal.includes(n));
    assert.deepEqual(leaked, [], `${name} exports internals`);
  }
});
