/** Entry point of the `noether` command (Node only); ./program.ts assembles the commands. */
import { main } from "./program.js";

process.exitCode = await main(process.argv);
