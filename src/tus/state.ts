/**
 * The state of one upload, and {@linkcode tusUpload}, which makes it.
 *
 * @module
 */

/**
 * The chunk size used when none is given: one `PATCH` (and one commit) per
 * 4 MiB.
 *
 * @example
 * ```ts
 * import { DEFAULT_CHUNK_SIZE } from "stater/tus";
 *
 * console.log(DEFAULT_CHUNK_SIZE / 2 ** 20); // 4
 * ```
 */
export const DEFAULT_CHUNK_SIZE: number = 4 * 1024 * 1024;

/** A `Blob` kept apart from the task's record (see `tusWork`'s `keepFiles`), by the upload key. */
export interface KeptFile {
  /** The IndexedDB database that keeps it. */
  keptIn: string;
  /** Its key there: the upload key. */
  key: string;
}

/**
 * The state of one upload: plain data every driver stores (plus the `Blob`
 * on the IndexedDB driver). Make it with {@linkcode tusUpload}; the work
 * function of `tusWork()` moves it along, one request a step.
 */
export interface TusUploadState {
  /** The tus endpoint that creates uploads (the `POST` goes there), an absolute URL. */
  endpoint: string;
  /**
   * The bytes: a `Blob` or `File` (which only the IndexedDB driver stores),
   * or the path of a file (Node, Deno). The first step moves a `Blob` to a
   * database of its own and names it here ({@linkcode KeptFile}); it is
   * deleted, and dropped from the state, once the server has all of it.
   */
  source?: Blob | string | KeptFile;
  /** The file's name, sent as `filename` in `Upload-Metadata`. */
  name: string;
  /** The file's media type, sent as `filetype` (may be empty). */
  type: string;
  /** The size in bytes; for a path, set when the upload is created. */
  size?: number;
  /** The file's modification time (ms since the epoch), when known; a path's must not change. */
  lastModified?: number;
  /** More `Upload-Metadata` entries. */
  metadata: Record<string, string>;
  /** Bytes per `PATCH`. */
  chunkSize: number;
  /** The upload key, sent as `key` in `Upload-Metadata`, so a server may name the upload by it. */
  key: string;
  /** The upload's URL, committed right after the server created it. */
  url?: string;
  /** Bytes the server confirmed it has. */
  offset: number;
}

/** What a finished upload's task returns. */
export interface TusUploadResult {
  /** The upload's URL on the server. */
  url: string;
  /** The file's name. */
  name: string;
  /** The file's media type. */
  type: string;
  /** Its size in bytes. */
  size: number;
  /** The upload key. */
  key: string;
  /** The file's path, for a path source. */
  path?: string;
}

/** Options of {@linkcode tusUpload}. */
export interface TusUploadOptions {
  /** The tus endpoint that creates uploads; a relative URL is resolved against the page's. */
  endpoint: string | URL;
  /** Bytes per `PATCH`, a whole number > 0. @default DEFAULT_CHUNK_SIZE (4 MiB) */
  chunkSize?: number;
  /** The name sent as `filename`. @default the File's name, the path's last part, or "blob" */
  name?: string;
  /** The media type sent as `filetype`. @default the Blob's type, or "" for a path */
  type?: string;
  /** More `Upload-Metadata` entries (ASCII keys without spaces or commas). */
  metadata?: Record<string, string>;
  /** The upload key. @default 32 random hex digits */
  key?: string;
}

import { baseName, isBlob, randomKey } from "./_util.ts";

const RESERVED = new Set(["filename", "filetype", "key"]);

function absoluteEndpoint(endpoint: string | URL): string {
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  try {
    return new URL(endpoint, base).href;
  } catch {
    throw new TypeError(
      `tusUpload's endpoint must be a URL (a relative one only in a page or worker), got ${
        JSON.stringify(String(endpoint))
      }`,
    );
  }
}

/** Checks a chunk size; `RangeError` unless a whole number of bytes > 0. */
function checkChunkSize(chunkSize: unknown, what = "tusUpload's chunkSize"): number {
  if (typeof chunkSize !== "number" || !Number.isSafeInteger(chunkSize) || chunkSize <= 0) {
    throw new RangeError(`${what} must be a whole number of bytes > 0, got ${String(chunkSize)}`);
  }
  return chunkSize;
}

function checkMetadata(metadata: unknown): Record<string, string> {
  if (metadata === undefined) return {};
  if (typeof metadata !== "object" || metadata === null) {
    throw new TypeError("tusUpload's metadata must be an object of strings");
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (!/^[\x21-\x2b\x2d-\x7e]+$/.test(key) || RESERVED.has(key)) {
      throw new TypeError(
        `tusUpload's metadata key ${
          JSON.stringify(key)
        } is not allowed: use ASCII without spaces ` +
          `or commas, and not "filename", "filetype" or "key" (set name, type and key instead)`,
      );
    }
    if (typeof value !== "string") {
      throw new TypeError(`tusUpload's metadata.${key} must be a string, got ${typeof value}`);
    }
    out[key] = value;
  }
  return out;
}

/**
 * Makes the state of an upload of `source` (a `Blob`, a `File`, or a file
 * path on Node and Deno) to a tus server; hand it to `engine.create` with
 * the work of `tusWork()`. The upload key is drawn here, so it is committed
 * with the task before any request is made.
 *
 * @example
 * ```ts
 * import { tusUpload } from "stater/tus";
 *
 * const state = tusUpload(new File(["hello"], "hello.txt", { type: "text/plain" }), {
 *   endpoint: "https://uploads.example.com/files/",
 *   chunkSize: 1024 * 1024,
 * });
 * console.log(state.name, state.size, state.offset); // hello.txt 5 0
 * ```
 */
export function tusUpload(source: Blob | string, options: TusUploadOptions): TusUploadState {
  const isPath = typeof source === "string";
  if (!isPath && !isBlob(source)) {
    throw new TypeError(
      `tusUpload(source) needs a Blob, a File or a file path, got ${
        source === null ? "null" : typeof source
      }`,
    );
  }
  if (isPath && source === "") throw new TypeError("tusUpload(source) got an empty path");
  if (typeof options !== "object" || options === null || options.endpoint === undefined) {
    throw new TypeError("tusUpload(source, { endpoint }) needs the tus endpoint's URL");
  }
  const chunkSize = options.chunkSize === undefined
    ? DEFAULT_CHUNK_SIZE
    : checkChunkSize(options.chunkSize);
  const key = options.key ?? randomKey();
  if (typeof key !== "string" || !/^[\w-]{8,128}$/.test(key)) {
    throw new TypeError(
      `tusUpload's key must be 8 to 128 letters, digits, "_" or "-", got ${JSON.stringify(key)}`,
    );
  }
  const fileName = isPath ? baseName(source) : (source as Partial<File>).name;
  const state: TusUploadState = {
    endpoint: absoluteEndpoint(options.endpoint),
    source,
    name: options.name ?? (fileName || "blob"),
    type: options.type ?? (isPath ? "" : source.type),
    metadata: checkMetadata(options.metadata),
    chunkSize,
    key,
    offset: 0,
  };
  if (!isPath) {
    state.size = source.size;
    const lastModified = (source as Partial<File>).lastModified;
    if (typeof lastModified === "number") state.lastModified = lastModified;
  }
  return state;
}
