/** Numeric CSV input for the commands that run on a user's data: what works, and every way it fails. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError } from "../src/core/errors.js";
import { parseNumericCsv, selectColumns } from "../src/node/csv.js";

const fails = (text: string, re: RegExp) =>
  assert.throws(
    () => parseNumericCsv(text, "data.csv"),
    (e: unknown) => e instanceof ConfigError && re.test((e as Error).message),
    `expected ${re}`,
  );

test("a header and numeric rows parse; columns select by name", () => {
  const t = parseNumericCsv("x1, x2 ,y\n1,2,3\n# a comment\n\n4,5e-1,-6\n");
  assert.deepEqual(t.columns, ["x1", "x2", "y"]);
  assert.equal(t.rows, 2);
  assert.deepEqual(Array.from(t.values), [1, 2, 3, 4, 0.5, -6]);
  assert.deepEqual(Array.from(selectColumns(t, ["y", "x1"])), [3, 1, -6, 4]);
  assert.throws(() => selectColumns(t, ["z"], "data.csv"), /data.csv: no column "z"; the columns are x1, x2, y/);
});

test("bad files name the line and the column", () => {
  fails("", /the file is empty/);
  fails("1,2,3\n4,5,6\n", /line 1 is all numbers .*a header row of column names is missing/);
  fails("a,b\n1,2\n3\n", /line 3 has 1 fields, the header has 2 \(ragged rows\)/);
  fails("a,b\n1,x\n", /line 2, column "b" is "x", not a number/);
  fails("a,b\n1,NaN\n", /line 2, column "b" is NaN/);
  fails("a,b\n1,\n", /line 2, column "b" is empty/);
  fails("a,a\n1,2\n", /column name "a" appears twice/);
  fails('a,"b\n1,2\n', /not valid CSV/);
});
