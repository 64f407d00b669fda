/**
 * {@linkcode addUploads}: one task per file, with stable ids, after checking
 * that the browser's storage has room for the files.
 *
 * @module
 */

import { type Engine, StateNotStorableError, type Task, type WorkMap } from "../mod.ts";
import { uploadId, type UploadIdOptions } from "./ids.ts";
import { nodeFs } from "./_source.ts";
import {
  baseName,
  isBlob,
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
 * Adds one upload task per file: `File`s in a browser (stored in the state,
 * so the IndexedDB driver keeps them across reloads), or paths on Node and
 * Deno. Each task's id comes from {@linkcode uploadId} (a path's is made of
 * its absolute path, size and modification time), so a file added again
 * returns its existing task instead of a second upload; a file listed twice
 * gets one task. Before it stores any new `File`, it checks the storage
 * estimate and throws a `StorageRoomError` saying how much room is missing.
 * Resolves with the tasks, in the order of `sources`.
 *
 * @example
 * ```ts
 * import { rm, writeFile } from "node:fs/promises";
 * import { createEngine } from "stater";
 * import { memoryDriver } from "stater/drivers/memory";
 * import { addUploads, tusWork } from "stater/tus";
 *
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
  if (checkStorage) {
    const found = await Promise.all(unique.map((entry) => core.get(entry.id)));
    const blobs = unique.filter((entry, i) => !found[i] && isBlob(entry.state.source))
      .map((entry) => entry.state.source as Blob);
    if (blobs.length > 0) await checkStorageRoom(blobs, { storage: options.storage });
  }
  const tasks = new Map<string, Promise<Task>>();
  for (const entry of unique) {
    tasks.set(
      entry.id,
      core.create(work, entry.state, { id: entry.id, start }).catch((error) => {
        throw notStorable(error);
      }),
    );
  }
  const created = await Promise.all(entries.map((entry) => tasks.get(entry.id)!));
  return created as UploadTask[];
}
