/**
 * stater/tus on Node (fs driver, strict durability, a commit after every
 * chunk) against tus-js-client on Node: the same files, the same real tus
 * server (in a process of its own), the same chunk size and the same number
 * of uploads at once, run alternately, each run in a fresh process (runs in
 * one process were skewed by what the run before left behind).
 *
 *   npx tsx bench/tus/node.ts
 */

import { spawn } from "node:child_process";
import { rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import * as shared from "./_shared.ts";

const { alternate, CHUNK, CONCURRENCY, FILE_SIZE, FILES, ROUNDS, SERVER_DIR } = shared;
const { describeRuns, makeFiles, printComparison, startServer } = shared;

const server = await startServer();
const files = await makeFiles(FILES, FILE_SIZE);
const bytes = FILES * FILE_SIZE;
const client = fileURLToPath(new URL("./_node_client.ts", import.meta.url));

/** Milliseconds of one run of `mode`, in a process of its own. */
function measure(mode: "strict" | "relaxed" | "tus-js-client"): Promise<number> {
  return new Promise((resolve, reject) => {
    const args = [String(CHUNK), String(CONCURRENCY), ...files.paths];
    const child = spawn(process.execPath, [
      "--import",
      "tsx",
      client,
      mode,
      server.endpoint,
      ...args,
    ], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    child.on(
      "exit",
      (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`${mode}: ${code}`))),
    );
  });
}

try {
  for (const mode of ["strict", "tus-js-client"] as const) {
    await measure(mode); // warm up
    await server.clear();
  }
  const runs = await alternate(ROUNDS, bytes, {
    tusJs: () => measure("tus-js-client"),
    strict: () => measure("strict"),
    relaxed: () => measure("relaxed"),
  }, server.clear);
  console.log(
    describeRuns(
      `Node ${process.version}`,
      `; the server stores in ${SERVER_DIR || "the temporary folder"}`,
    ),
  );
  printComparison(["tus-js-client (anchor)", runs.tusJs], [
    ["stater/tus, fs driver strict, commit/chunk", runs.strict],
    ["stater/tus, fs driver relaxed, commit/chunk", runs.relaxed],
  ]);
} finally {
  server.close();
  await rm(files.dir, { recursive: true, force: true });
}
