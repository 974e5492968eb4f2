/**
 * Every option of every command, walked from the command definitions (buildProgram), so a new
 * option is covered without editing this file: an integer option (a parseIntArg parser) must
 * reject "", NaN, negatives, fractions, exponents, hex and words, naming the option, with exit
 * code 1; any other option that takes a value must be listed in STRING_OPTIONS below, so adding
 * one forces a decision about what it accepts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Command, Option } from "commander";
import type { IntArgParser } from "../src/cli/format.js";
import { buildProgram, main } from "../src/cli/program.js";

/** Options that take a free-form or enumerated string (commander checks `choices`). */
const STRING_OPTIONS = new Set([
  "run --out",
  "run --data",
  "run --group",
  "run --target",
  "run --inputs",
  "run --param",
  "discover --data",
  "discover --method",
  "discover --target",
  "discover --inputs",
  "discover --outputs",
  "discover --out",
  "discover --name",
  "tour --out",
  "tour --only",
]);

const BAD = ["", "NaN", "-1", "1.5", "1e3", "0x10", "abc", "Infinity"];

/** Runs the CLI in this process, capturing what it writes to stderr (commander writes there directly). */
async function runCli(argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = "";
  const write = process.stderr.write.bind(process.stderr);
  const writeOut = process.stdout.write.bind(process.stdout);
  process.stderr.write = ((s: string | Uint8Array) => {
    stderr += String(s);
    return true;
  }) as typeof process.stderr.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    const code = await main(["node", "noether", ...argv], {
      out: () => undefined,
      err: (l) => {
        stderr += `${l}\n`;
      },
    });
    return { code, stderr };
  } finally {
    process.stderr.write = write;
    process.stdout.write = writeOut;
  }
}

const takesValue = (o: Option): boolean => o.required || o.optional;

test("every integer option rejects bad values naming the option; every other valued option is classified", async () => {
  const program = buildProgram();
  const unclassified: string[] = [];
  let checked = 0;
  for (const cmd of program.commands as Command[]) {
    const positional = cmd.registeredArguments.filter((a) => a.required).map(() => "x");
    for (const o of cmd.options as Option[]) {
      if (!takesValue(o)) continue;
      const flag = o.long!;
      const parser = o.parseArg as IntArgParser | undefined;
      if (parser?.intOption === undefined) {
        if (!STRING_OPTIONS.has(`${cmd.name()} ${flag}`)) unclassified.push(`${cmd.name()} ${flag}`);
        continue;
      }
      const bad = [...BAD, ...(parser.intOption.min > 0 ? [String(parser.intOption.min - 1)] : [])];
      for (const v of bad) {
        const r = await runCli([cmd.name(), ...positional, flag, v]);
        assert.equal(r.code, 1, `${cmd.name()} ${flag} ${JSON.stringify(v)} was accepted`);
        assert.ok(
          r.stderr.includes(`${flag} must be an integer ≥ ${parser.intOption.min}, got ${JSON.stringify(v)}`),
          `${cmd.name()} ${flag} ${JSON.stringify(v)}: ${r.stderr.split("\n")[0]}`,
        );
        checked++;
      }
    }
  }
  assert.deepEqual(unclassified, [], "options that take a value but are neither integer options nor in STRING_OPTIONS");
  assert.ok(checked >= 50, `only ${checked} bad values checked`);
});

test("the integer parser accepts what it should: digits, a leading +, surrounding spaces", () => {
  const program = buildProgram();
  const seed = (program.commands as Command[])
    .find((c) => c.name() === "run")!
    .options.find((o) => o.long === "--seed")!;
  const parse = seed.parseArg as IntArgParser;
  assert.equal(parse("0"), 0);
  assert.equal(parse("+7"), 7);
  assert.equal(parse(" 12 "), 12);
  assert.throws(() => parse("9007199254740993"), /must be an integer/);
});
