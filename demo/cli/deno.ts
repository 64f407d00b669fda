/**
 * The terminal uploader on Deno, its tasks in a Deno KV store:
 *
 *   npm run demo:deno -- <folder> [--endpoint URL]
 *
 * Without `--endpoint` it starts the demo's own tus server on 127.0.0.1.
 * Stop it (Ctrl-C, or kill -9) and run it again: it goes on where it stopped.
 */
import process from "node:process";
import { denoKvDriver } from "stater/drivers/deno-kv";
import { runUploader } from "./uploader.ts";

const code = await runUploader({
  command: "npm run demo:deno",
  defaultStore: ".stater/cli-deno",
  driver: (dir) => denoKvDriver({ path: `${dir}/tasks.kv` }),
}, process.argv.slice(2));
process.exit(code);
