/**
 * noether/node — the Node-only side: checkpoint files (atomic writes).
 * Everything else is in the core entry (`noether`), which runs in browsers too.
 */
export * from "./node/checkpoint-file.js";
