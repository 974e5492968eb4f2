/** Entry point of the `noether` command (Node only); ./program.ts assembles the commands. */
import { main } from "./program.js";

const code = await main(process.argv);
process.exitCode = code;
// After an error, a file-system call that timed out (outputDir on a hung mount) may still be
// pending and would keep the process alive: exit anyway once the output has had time to drain.
if (code !== 0) setTimeout(() => process.exit(code), 2000).unref();
