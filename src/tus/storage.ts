/**
 * The site's storage in a browser: {@linkcode checkStorageRoom} before files
 * are stored, and {@linkcode requestPersistence} so that the browser keeps
 * them under storage pressure.
 *
 * @module
 */

import { StorageRoomError } from "./errors.ts";

/** The part of `navigator.storage` these helpers use. */
export interface StorageLike {
  /** Usage and quota of the site, in bytes. */
  estimate(): Promise<{ usage?: number; quota?: number }>;
  /** Asks the browser to keep the site's data under storage pressure. */
  persist?(): Promise<boolean>;
  /** Whether it does already. */
  persisted?(): Promise<boolean>;
}

/** What {@linkcode checkStorageRoom} found. */
export interface StorageRoom {
  /** Bytes asked for. */
  needed: number;
  /** Bytes left under the quota. */
  available: number;
  /** The site's usage, in bytes. */
  usage: number;
  /** The site's quota, in bytes. */
  quota: number;
}

/** Options of {@linkcode checkStorageRoom} and {@linkcode requestPersistence}. */
export interface StorageOptions {
  /** The storage manager to ask. @default globalThis.navigator.storage */
  storage?: StorageLike;
}

function defaultStorage(): StorageLike | undefined {
  return (globalThis as { navigator?: { storage?: StorageLike } }).navigator?.storage;
}

/**
 * Checks that the site's storage has room for `needed` bytes (or for these
 * files), from `navigator.storage.estimate()`, and throws a
 * {@linkcode StorageRoomError} saying how much is missing when it has not.
 * Resolves with the figures, or with `undefined` where there is no storage
 * estimate (Node, Deno, old browsers). `addUploads()` calls it before it
 * stores any file on the IndexedDB driver.
 *
 * @example
 * ```ts
 * import { checkStorageRoom, StorageRoomError } from "stater/tus";
 *
 * try {
 *   const room = await checkStorageRoom([new Blob(["photo bytes"])]);
 *   console.log(room === undefined ? "no estimate here" : `${room.available} bytes left`);
 * } catch (error) {
 *   if (error instanceof StorageRoomError) console.log(error.message); // "… GiB are missing …"
 * }
 * ```
 */
export async function checkStorageRoom(
  needed: number | Iterable<Blob>,
  options: StorageOptions = {},
): Promise<StorageRoom | undefined> {
  let bytes = 0;
  if (typeof needed === "number") bytes = needed;
  else if (needed !== null && typeof needed === "object" && Symbol.iterator in needed) {
    for (const blob of needed) bytes += blob.size;
  } else {
    throw new TypeError("checkStorageRoom(needed) needs a number of bytes or some Blobs");
  }
  if (!(bytes >= 0)) throw new RangeError(`checkStorageRoom needs bytes ≥ 0, got ${bytes}`);
  const storage = options.storage ?? defaultStorage();
  if (typeof storage?.estimate !== "function") return undefined;
  const { usage = 0, quota } = await storage.estimate();
  if (quota === undefined) return undefined;
  const available = Math.max(0, quota - usage);
  if (bytes > available) throw new StorageRoomError(bytes, available);
  return { needed: bytes, available, usage, quota };
}

/**
 * Asks the browser to keep the site's data (the stored files of unfinished
 * uploads among them) when the device runs short of space, through
 * `navigator.storage.persist()`. Resolves with whether the data is
 * persistent; `false` where the platform cannot tell or refuses. Call it from
 * a click, since browsers weigh a user's gesture (Firefox asks the user).
 *
 * @example
 * ```ts
 * import { requestPersistence } from "stater/tus";
 *
 * const kept = await requestPersistence();
 * console.log(kept ? "uploads survive storage pressure" : "the browser may evict them");
 * ```
 */
export async function requestPersistence(options: StorageOptions = {}): Promise<boolean> {
  const storage = options.storage ?? defaultStorage();
  if (!storage) return false;
  if (await storage.persisted?.()) return true;
  return (await storage.persist?.()) ?? false;
}
