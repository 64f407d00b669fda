/**
 * The benches' tus server, in a process of its own so that it does not share
 * an event loop with the client being measured: a real @tus/server with
 * @tus/file-store (uploads named by key), its store in the folder given as the
 * first argument (or the system's temporary folder). Prints `{ endpoint, dir }`
 * as JSON.
 */

import { rmSync } from "node:fs";
import { startTusServer } from "../../test/tus/_server.ts";

const server = await startTusServer({ naming: "key", parent: process.argv[2] || undefined });
console.log(JSON.stringify({ endpoint: server.endpoint, dir: server.dir }));
process.on("SIGTERM", () => {
  // Its folder goes with it, even when a connection keeps the close from finishing.
  setTimeout(() => {
    rmSync(server.dir, { recursive: true, force: true });
    process.exit(0);
  }, 2000).unref();
  void server.close().then(() => process.exit(0));
});
