#!/usr/bin/env node
// Launcher for the `noether` command. From a source checkout (src/cli/main.ts next to this
// folder) it registers tsx and runs the TypeScript entry; from an installed package it runs the
// compiled ../dist/cli/main.js.
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const source = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
if (existsSync(source)) {
  const { register } = await import("tsx/esm/api");
  register();
  await import(pathToFileURL(source).href);
} else {
  await import("../dist/cli/main.js");
}
