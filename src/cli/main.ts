/** Entry point of the `noether` command (Node only); see ./program.ts for the commands. */
import { main } from "./program.js";

process.exitCode = await main(process.argv);
