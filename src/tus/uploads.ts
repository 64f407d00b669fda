/**
 * {@linkcode addUploads}: one task per file, with stable ids, after checking
 * that the browser's storage has room for the files.
 *
 * @module
 */

import { baseName, isBlob, isKept } from "./_util.ts";
import {
  DriverError,
  type Engine,
  StateNotStorableError,
  type Task,
  type WorkMap,
} from "../mod.ts";
import { KeptFiles, keptFiles } from "./_files.ts";
import { uploadId, type UploadIdOptions } from "./ids.ts";
import { nodeFs } from "./_source.ts";
import {
  tusUpload,
  type TusUploadOptions,
  type TusUploadResult,
  type TusUploadState,
} from "./state.ts";
import { checkStorageRoom, type StorageLike } from "./storage.ts";

/** Options of {@linkcode addUploads}. */
export interface AddUploadsOptions extends TusUploadOptions, UploadIdOptions {
  /** The name under which `tusWork()` is in the engine's `work`. @default "upload" */
  work?: string;
  /** Start the new tasks at once. @default true */
  start?: boolean;
  /** Check `navigator.storage.estimate()` before storing files. @default true */
  checkStorage?: boolean;
  /** The storage manager to ask. @default globalThis.navigator.storage */
  storage?: StorageLike;
  /**
   * The IndexedDB database in which the Files are kept, apart from the tasks'
   * records (see `tusWork`'s `keepFiles`), or `false` to store each File in
   * its task's state.
   * @default "stater-files"
   */
  keepFiles?: string | false;
}

/** A task of an upload. */
export type UploadTask = Task<TusUploadState, TusUploadResult>;

interface Entry {
  id: string;
  state: TusUploadState;
}

async function pathEntry(path: string, options: AddUploadsOptions): Promise<Entry> {
  const fs = await nodeFs();
  const absolute = await fs.promises.realpath(path);
  const info = await fs.promises.stat(absolute);
  const state = tusUpload(absolute, { ...options, name: options.name ?? baseName(path) });
  state.size = info.size;
  state.lastModified = info.mtimeMs;
  const id = uploadId({ name: absolute, size: info.size, lastModified: info.mtimeMs }, {
    prefix: options.prefix,
  });
  return { id, state };
}

function notStorable(error: unknown): unknown {
  if (!(error instanceof StateNotStorableError) || error.path !== "state.source") return error;
  return new StateNotStorableError(
    "state.source",
    "this driver cannot store a Blob or File (the IndexedDB driver can); on the fs, Deno KV and " +
      "memory drivers, pass the file's path to addUploads() or tusUpload() instead",
    { cause: error },
  );
}

/**
 * Adds one upload task per file: `File`s in a browser, or paths (Node, Deno).
 * Each task's id comes from {@linkcode uploadId} (a path's is made of its
 * absolute path, size and modification time), so a file added again returns
 * its existing task instead of a second upload; a file listed twice gets one
 * task. Before it stores any new `File`, it checks the storage estimate and
 * throws a `StorageRoomError` saying how much room is missing. Each `File` is
 * kept in IndexedDB apart from its task's record (`keepFiles`), so it
 * survives reloads without being copied at every commit; the tasks start at
 * once, and this resolves once every `File` is kept. A `File` added again
 * whose kept copy is gone is kept again, and its task retried.
 * Resolves with the tasks, in the order of `sources`.
 *
 * @example
 * ```ts
 * import { createEngine } from "stater";
 * import { memoryDriver } from "stater/drivers/memory";
 * import { addUploads, tusWork } from "stater/tus";
 *
 * const { rm, writeFile } = await import("node:fs/promises"); // Node or Deno
 * const engine = await createEngine({ driver: memoryDriver(), work: { upload: tusWork() } });
 * await writeFile("notes.txt", "hello");
 * const [task] = await addUploads(engine, ["notes.txt"], {
 *   endpoint: "https://uploads.example.com/files/",
 *   start: false,
 * });
 * console.log(task!.state.name, task!.state.size); // notes.txt 5
 * await engine.close();
 * await rm("notes.txt");
 * ```
 */
export async function addUploads<W extends WorkMap>(
  engine: Engine<W>,
  sources: Iterable<Blob | string>,
  options: AddUploadsOptions,
): Promise<UploadTask[]> {
  if (sources === null || typeof sources !== "object" || !(Symbol.iterator in sources)) {
    throw new TypeError("addUploads(engine, sources) needs a list of Files or paths");
  }
  const { work = "upload", start = true, checkStorage = true } = options ?? {};
  const list = [...sources];
  const entries = await Promise.all(list.map((source): Entry | Promise<Entry> => {
    if (typeof source === "string") return pathEntry(source, options);
    if (!isBlob(source)) {
      throw new TypeError(`addUploads needs Files or paths, got ${typeof source}`);
    }
    return { id: uploadId(source as File, options), state: tusUpload(source, options) };
  }));
  const first = new Map<string, Entry>();
  for (const entry of entries) if (!first.has(entry.id)) first.set(entry.id, entry);
  const unique = [...first.values()];
  const core = engine as unknown as Engine;
  const found = await Promise.all(unique.map((entry) => core.get(entry.id)));
  if (checkStorage) {
    const blobs = unique.filter((entry, i) => !found[i] && isBlob(entry.state.source))
      .map((entry) => entry.state.source as Blob);
    if (blobs.length > 0) await checkStorageRoom(blobs, { storage: options.storage });
  }
  const keepIn = options.keepFiles ?? "stater-files";
  const kept = keepIn !== false && KeptFiles.available() ? keptFiles(keepIn) : undefined;
  // The Files of new tasks are kept apart from their records; the tasks start at once, reading
  // each File from memory until its copy is written.
  const keeping = new Map<string, { key: string; writing: Promise<void> }>();
  const tasks = new Map<string, Promise<Task>>();
  unique.forEach((entry, i) => {
    let state = entry.state;
    const blob = state.source;
    if (kept && !found[i] && isBlob(blob)) {
      keeping.set(entry.id, { key: state.key, writing: kept.put(state.key, blob) });
      state = { ...state, source: { keptIn: kept.name, key: state.key } };
    }
    tasks.set(
      entry.id,
      core.create(work, state, { id: entry.id, start }).catch((error) => {
        throw notStorable(error);
      }),
    );
  });
  const settled = await Promise.allSettled(entries.map((entry) => tasks.get(entry.id)!));
  let failure: unknown;
  for (const [id, { key, writing }] of keeping) {
    const task = await tasks.get(id)!.catch(() => undefined);
    try {
      await writing;
      if (!task) await kept!.delete(key); // its task was refused: the copy goes too
    } catch (error) {
      // Nothing half done stays behind: a task whose File could not be kept goes.
      failure ??= keepFailed(kept!.name, error);
      await task?.remove();
    }
  }
  const refused = settled.find((result) => result.status === "rejected");
  if (refused) throw refused.reason;
  if (failure) throw failure;
  const created = settled.map((result) => (result as PromiseFulfilledResult<Task>).value);
  if (kept) {
    for (const [i, task] of found.entries()) {
      const blob = unique[i]!.state.source;
      if (task && isBlob(blob)) await repair(task as UploadTask, blob, start);
    }
  }
  return created as UploadTask[];
}

function keepFailed(name: string, error: unknown): DriverError {
  const quota = (error as { name?: unknown })?.name === "QuotaExceededError";
  return new DriverError(
    "stater/tus",
    quota
      ? `Keeping the files in IndexedDB ("${name}") failed: the site's storage quota is full. ` +
        `Add fewer files at once, remove finished uploads, or ask for requestPersistence()`
      : `Keeping the files in IndexedDB ("${name}") failed: ${(error as Error)?.message}`,
    { code: quota ? "QUOTA_EXCEEDED" : "KEEP_FAILED", cause: error },
  );
}

/**
 * A file added again whose task lost its kept copy (the page closed before it
 * was kept, or the site's data was cleared) is kept again, and its task,
 * failed for want of it, runs again.
 */
async function repair(task: UploadTask, blob: Blob, start: boolean): Promise<void> {
  const source = task.state.source;
  if (!isKept(source) || task.status === "done" || task.status === "canceled") return;
  const files = keptFiles(source.keptIn);
  if (await files.get(source.key)) return;
  await files.put(source.key, blob);
  if (
    task.status === "failed" && (task.error as { code?: string })?.code === "TUS_SOURCE_MISSING"
  ) {
    await task.retry();
  } else if (start && task.status === "pending") await task.start();
}
