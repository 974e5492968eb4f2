/**
 * noether/node — the Node-only side: checkpoint files (atomic writes, validated loads, any
 * safetensors file). Everything else is in the other entry points, which run in browsers too.
 */
export { loadCheckpoint, loadSafetensors, removeStaleTemporaries, saveCheckpoint } from "./node/checkpoint-file.js";
