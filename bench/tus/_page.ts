/**
 * The page that bench/tus/browser.ts drives in Chromium: stater/tus on the
 * IndexedDB driver and tus-js-client, uploading the same Files to the same
 * server; and a run that the bench reloads in the middle.
 */

import * as tus from "tus-js-client";
import { createEngine } from "../../src/mod.ts";
import { indexedDBDriver } from "../../drivers/indexeddb/mod.ts";
import { addUploads, tusWork } from "../../src/tus/mod.ts";

let files: File[] = [];
/** Both clients retry a failed request this many times (tus-js-client's default delays). */
const RETRY_DELAYS = [0, 1000, 3000, 5000];

/** A file input, as a page has: the bench picks real files from disk with it. */
const input = Object.assign(document.createElement("input"), { type: "file", multiple: true });
input.id = "files";
document.body.append(input);

/** Takes the Files picked in the input (disk-backed, as a user's are) for every run. */
function useInputFiles(): number {
  files = [...(input.files ?? [])];
  return files.length;
}

function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
  });
}

function openEngine(
  name: string,
  concurrency: number,
  durability: "strict" | "relaxed" = "strict",
) {
  return createEngine({
    driver: indexedDBDriver({ name, durability }),
    work: { upload: tusWork() },
    concurrency,
    retry: { maxAttempts: RETRY_DELAYS.length + 1, initialDelayMs: 1000 },
  });
}

/**
 * Milliseconds for stater to upload the Files, a commit after every chunk:
 * from adding them (which keeps each File in IndexedDB, while the first
 * uploads run) to the last one done; or, with `kept`, from starting tasks
 * whose Files were kept beforehand. `durability` is the driver's.
 */
async function stater(
  endpoint: string,
  chunkSize: number,
  concurrency: number,
  run: number,
  kept = false,
  durability: "strict" | "relaxed" = "strict",
) {
  const name = `bench-tus-${run}-${kept}-${durability}`;
  const engine = await openEngine(name, concurrency, durability);
  let started = performance.now();
  const options = { endpoint, chunkSize, prefix: `run-${run}-${kept}-${durability}`, start: !kept };
  const tasks = await addUploads(engine, files, options);
  if (kept) {
    started = performance.now();
    await Promise.all(tasks.map((task) => task.start()));
  }
  await Promise.all(tasks.map((task) => task.result()));
  const ms = performance.now() - started;
  await engine.close();
  await deleteDatabase(name);
  return ms;
}

function uploadWithTusJs(file: File, endpoint: string, chunkSize: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(file, {
      endpoint,
      chunkSize,
      metadata: { filename: file.name, filetype: file.type },
      removeFingerprintOnSuccess: true,
      retryDelays: RETRY_DELAYS,
      onShouldRetry: (error) => {
        console.log(`tus-js-client retries: ${error.message}`);
        return true;
      },
      onSuccess: () => resolve(),
      onError: reject,
    });
    upload.start();
  });
}

/** Milliseconds for tus-js-client, `concurrency` uploads at a time. */
async function tusJs(endpoint: string, chunkSize: number, concurrency: number) {
  const started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < files.length) await uploadWithTusJs(files[next++]!, endpoint, chunkSize);
  }));
  return performance.now() - started;
}

const RELOAD_DB = "bench-tus-reload";

/** Starts uploading the Files on the reload database, and returns at once. */
async function startReload(endpoint: string, chunkSize: number, concurrency: number) {
  await deleteDatabase(RELOAD_DB);
  const engine = await openEngine(RELOAD_DB, concurrency);
  await addUploads(engine, files, { endpoint, chunkSize, prefix: "reload" });
  return files.length;
}

/** After the reload: opens the engine, which resumes the uploads; resolves with their sizes. */
async function finishReload(concurrency: number) {
  const engine = await openEngine(RELOAD_DB, concurrency);
  const infos = await engine.list();
  const results = await Promise.all(
    infos.map(async (info) => (await engine.get(info.id))!.result() as Promise<{ size: number }>),
  );
  await engine.close();
  await deleteDatabase(RELOAD_DB);
  return results.map((result) => result.size);
}

(globalThis as { bench?: unknown }).bench = {
  useInputFiles,
  stater,
  tusJs,
  startReload,
  finishReload,
};
