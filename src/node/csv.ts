/**
 * Numeric tables from CSV files (Node only), for commands that run on the user's own data
 * (`noether discover`, `noether run emlp-learned`). Parsing is csv-parse's; what is checked here is
 * what the commands need: a header row of column names, then rows of finite numbers, all of the
 * same length. Every error names the file, the line and the column.
 */
import { readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";
import { ConfigError } from "../core/errors.js";

/** A numeric table: column names and row-major values [rows, columns.length]. */
export interface NumericTable {
  columns: string[];
  rows: number;
  values: Float64Array;
}

/** Parses CSV text (header row, then numbers); `where` names the source in errors. */
export function parseNumericCsv(text: string, where = "CSV"): NumericTable {
  let records: string[][];
  try {
    records = parse(text, { skip_empty_lines: true, trim: true, comment: "#", relax_column_count: true }) as string[][];
  } catch (e) {
    throw new ConfigError(`${where}: not valid CSV (${(e as Error).message})`);
  }
  if (records.length === 0)
    throw new ConfigError(`${where}: the file is empty; expected a header row of column names, then rows of numbers`);
  const header = records[0]!;
  if (header.every((h) => h !== "" && Number.isFinite(Number(h)))) {
    throw new ConfigError(
      `${where}: line 1 is all numbers (${header.slice(0, 4).join(", ")}…): a header row of column names is missing`,
    );
  }
  header.forEach((h, j) => {
    if (h === "") throw new ConfigError(`${where}: column ${j + 1} of the header row has no name`);
  });
  const dup = header.find((h, j) => header.indexOf(h) !== j);
  if (dup !== undefined)
    throw new ConfigError(`${where}: column name ${JSON.stringify(dup)} appears twice in the header`);
  const rows = records.length - 1;
  const values = new Float64Array(rows * header.length);
  for (let r = 0; r < rows; r++) {
    const rec = records[r + 1]!;
    const line = r + 2;
    if (rec.length !== header.length)
      throw new ConfigError(
        `${where}: line ${line} has ${rec.length} fields, the header has ${header.length} (ragged rows)`,
      );
    rec.forEach((cell, j) => {
      const v = cell === "" ? NaN : Number(cell);
      if (!Number.isFinite(v)) {
        const what =
          cell === ""
            ? "is empty"
            : /^[+-]?(nan|inf(inity)?)$/i.test(cell)
              ? `is ${cell}`
              : `is ${JSON.stringify(cell)}, not a number`;
        throw new ConfigError(
          `${where}: line ${line}, column ${JSON.stringify(header[j])} ${what}; every cell must be a finite number`,
        );
      }
      values[r * header.length + j] = v;
    });
  }
  return { columns: header, rows, values };
}

/** Reads and parses a numeric CSV file (errors name the file). */
export function readNumericCsv(file: string): NumericTable {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(code === "ENOENT" ? `no file ${file}` : `cannot read ${file}: ${(e as Error).message}`);
  }
  return parseNumericCsv(text, file);
}

/** The named columns of a table as a row-major [rows, names.length] array; unknown names are errors listing the table's columns. */
export function selectColumns(t: NumericTable, names: readonly string[], where = "CSV"): Float64Array {
  const idx = names.map((n) => {
    const i = t.columns.indexOf(n);
    if (i < 0)
      throw new ConfigError(`${where}: no column ${JSON.stringify(n)}; the columns are ${t.columns.join(", ")}`);
    return i;
  });
  const out = new Float64Array(t.rows * names.length);
  for (let r = 0; r < t.rows; r++)
    idx.forEach((c, j) => (out[r * names.length + j] = t.values[r * t.columns.length + c]!));
  return out;
}
