/**
 * One measured run of bench/tus/node.ts, in a fresh process so that runs do
 * not inherit each other's sockets, heap or pools: uploads the files with
 * stater/tus (fs driver, strict or relaxed durability) or with tus-js-client,
 * and prints the milliseconds from the first file added to the last one done.
 *
 *   node --import tsx bench/tus/_node_client.ts <strict|relaxed|tus-js-client> \
 *     <endpoint> <chunk> <concurrency> <paths…>
 */

import { createReadStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import * as tus from "tus-js-client";
import { createEngine } from "../../src/mod.ts";
import { fsDriver } from "../../drivers/fs/mod.ts";
import { addUploads, tusWork } from "../../src/tus/mod.ts";

const [mode, endpoint, chunk, concurrency, ...paths] = process.argv.slice(2) as string[];
const chunkSize = Number(chunk);
const at = Number(concurrency);

async function stater(durability: "strict" | "relaxed"): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), "stater-tus-bench-store-"));
  const engine = await createEngine({
    driver: fsDriver({ dir, durability }),
    work: { upload: tusWork() },
    concurrency: at,
  });
  const started = performance.now();
  const tasks = await addUploads(engine, paths, { endpoint: endpoint!, chunkSize });
  await Promise.all(tasks.map((task) => task.result()));
  const ms = performance.now() - started;
  await engine.close();
  await rm(dir, { recursive: true, force: true });
  return ms;
}

async function upload(path: string): Promise<void> {
  const { size } = await stat(path);
  await new Promise<void>((resolve, reject) => {
    new tus.Upload(createReadStream(path), {
      endpoint: endpoint!,
      chunkSize,
      uploadSize: size,
      metadata: { filename: basename(path), filetype: "application/octet-stream" },
      retryDelays: [100, 1000],
      onSuccess: () => resolve(),
      onError: reject,
    }).start();
  });
}

async function tusJs(): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: at }, async () => {
    while (next < paths.length) await upload(paths[next++]!);
  }));
  return performance.now() - started;
}

const ms = mode === "strict" || mode === "relaxed" ? await stater(mode) : await tusJs();
console.log(String(ms));
