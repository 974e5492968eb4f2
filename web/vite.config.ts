/**
 * The playground's build (`npm run build:web` → web/dist, `npm run web` serves it). Pages are
 * plain HTML entries; each demo trains in a module Web Worker on the library's own code (src/),
 * bundled here — nothing comes from a CDN, so the built folder works offline.
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));
const pages = (process.env.NOETHER_WEB_PAGES ?? "index,hnn,gcnn,discovery,phi4").split(",");

export default defineConfig({
  root: here,
  base: "./",
  publicDir: resolve(here, "public"),
  build: {
    outDir: resolve(here, "dist"),
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 4096,
    rollupOptions: { input: Object.fromEntries(pages.map((p) => [p, resolve(here, `${p}.html`)])) },
  },
  worker: { format: "es" },
  preview: { port: 4173, strictPort: false },
});
