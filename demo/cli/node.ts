/**
 * The terminal uploader on Node, its tasks on the fs driver:
 *
 *   npm run demo:node -- <folder> [--endpoint URL]
 *
 * Without `--endpoint` it starts the demo's own tus server on 127.0.0.1.
 * Stop it (Ctrl-C, or kill -9) and run it again: it goes on where it stopped.
 */
import process from "node:process";
import { fsDriver } from "stater/drivers/fs";
import { runUploader } from "./uploader.ts";

const code = await runUploader({
  command: "npm run demo:node",
  defaultStore: ".stater/cli-node",
  driver: (dir) => fsDriver({ dir }),
}, process.argv.slice(2));
process.exit(code);
