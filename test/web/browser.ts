/**
 * Browser-test support: serves the built playground (web/dist) with Vite's preview server and
 * drives Debian's Chromium through playwright-core (no browser download). `chromiumPath()` is
 * null where Chromium is not installed; the tests then skip with a printed reason.
 */
import { existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { chromium, type Browser } from "playwright-core";
import { preview, type PreviewServer } from "vite";

export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Debian's chromium binary (`which chromium`), or null. */
export function chromiumPath(): string | null {
  for (const p of [process.env.CHROMIUM_PATH, "/usr/bin/chromium"]) if (p && existsSync(p)) return p;
  try {
    return execFileSync("which", ["chromium"], { encoding: "utf8" }).trim() || null;
  } catch {
    return null;
  }
}

/** Builds the playground (as `npm run build:web` does). */
export function buildWeb(): void {
  execFileSync(process.execPath, ["scripts/build-web.mjs"], { stdio: "inherit" });
}

export async function startPreview(): Promise<{ url: string; close(): Promise<void> }> {
  const server: PreviewServer = await preview({
    configFile: "web/vite.config.ts",
    preview: { port: 0, host: "127.0.0.1", open: false },
    logLevel: "silent",
  });
  const url = server.resolvedUrls?.local[0];
  if (url === undefined) throw new Error("vite preview did not report a URL");
  return { url, close: () => server.close() };
}

export async function launch(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, args: CHROMIUM_FLAGS, headless: true });
}
