/**
 * The bytes of an upload: the state's own `Blob` (a chunk is a `slice`, sent
 * as it is, which a browser streams from disk), or a file path read through
 * `node:fs` (Node, Deno): on Node a chunk is a stream of 1 MiB reads, which
 * Node's `fetch` sends with about two thirds of the CPU time of a byte array
 * (which it copies) or of a file-backed `Blob`; on Deno the chunk's bytes. `node:fs` is imported
 * lazily, through a specifier the bundlers leave alone, and only when a path
 * is uploaded: a browser bundle never touches it.
 *
 * A file whose size or modification time differs from what the upload began
 * with is refused, since its bytes on the server would be a mix of two files.
 *
 * @module
 */

import { isBlob, isKept } from "./_util.ts";
import { TusError } from "./errors.ts";
import type { Chunk } from "./_protocol.ts";
import { keptFiles } from "./_files.ts";
import { type TusUploadState } from "./state.ts";

interface FileStats {
  size: number;
  mtimeMs: number;
  isFile(): boolean;
}

interface FileHandle {
  stat(): Promise<FileStats>;
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{
    bytesRead: number;
  }>;
  close(): Promise<void>;
}

interface NodeFs {
  promises: {
    open(path: string, flags: "r"): Promise<FileHandle>;
    stat(path: string): Promise<FileStats>;
    realpath(path: string): Promise<string>;
  };
}

/** An upload's bytes, open for one step. */
export interface Source {
  size: number;
  /** The file's modification time (paths only). */
  lastModified?: number;
  /** The bytes from `start` to `end`, as a request body. */
  read(start: number, end: number): Promise<Chunk>;
  /** Lets go of the file. */
  close(): Promise<void>;
}

const FS_SPECIFIER = "node:fs";
/** How much of a file a stream reads at a time. */
const STREAM_PART = 1024 * 1024;
let fsModule: Promise<NodeFs> | undefined;

/** `node:fs`, imported at first use. */
export function nodeFs(): Promise<NodeFs> {
  fsModule ??= (import(/* @vite-ignore */ FS_SPECIFIER) as Promise<NodeFs>).catch((error) => {
    fsModule = undefined;
    throw error;
  });
  return fsModule;
}

function changed(state: TusUploadState, what: string): TusError {
  return new TusError(
    "TUS_SOURCE_CHANGED",
    `Uploading "${state.name}" cannot go on: ${what} since its upload began, so the server would ` +
      `hold a mix of two files. Remove the task and add the file again`,
    { file: state.name, url: state.url, retryable: false },
  );
}

function missing(state: TusUploadState, message: string, cause: unknown): TusError {
  return new TusError("TUS_SOURCE_MISSING", `Uploading "${state.name}" ${message}`, {
    file: state.name,
    retryable: false,
    cause,
  });
}

async function openPath(state: TusUploadState, path: string): Promise<Source> {
  let fs: NodeFs;
  try {
    fs = await nodeFs();
  } catch (error) {
    throw missing(
      state,
      `needs node:fs to read the path ${JSON.stringify(path)}: a path source works on Node and ` +
        `Deno; in a browser, give tusUpload() the File itself`,
      error,
    );
  }
  let handle: FileHandle | undefined;
  let stats: FileStats;
  try {
    handle = await fs.promises.open(path, "r");
    stats = await handle.stat();
    if (!stats.isFile()) throw new Error(`${path} is not a file`);
  } catch (error) {
    await handle?.close().catch(() => {});
    throw missing(
      state,
      `cannot read ${JSON.stringify(path)} (${(error as Error).message}): put the file back, or ` +
        `remove the task`,
      error,
    );
  }
  const file = handle;
  const read = async (bytes: Uint8Array<ArrayBuffer>, position: number) => {
    for (let at = 0; at < bytes.length;) {
      const { bytesRead } = await file.read(bytes, at, bytes.length - at, position + at);
      if (bytesRead === 0) throw changed(state, "the file got shorter");
      at += bytesRead;
    }
    return bytes;
  };
  return {
    size: stats.size,
    lastModified: stats.mtimeMs,
    async read(start, end) {
      const length = end - start;
      // Deno sends a stream chunked, which some servers and proxies refuse: it gets the bytes.
      if ("Deno" in globalThis) return { body: await read(new Uint8Array(length), start), length };
      // Node's fetch copies a byte array it is given, and sends a stream with less work.
      let at = start;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (at >= end) return controller.close();
          const part = await read(new Uint8Array(Math.min(STREAM_PART, end - at)), at);
          at += part.length;
          controller.enqueue(part);
        },
      });
      return { body, length };
    },
    close: () => file.close(),
  };
}

function blobSource(blob: Blob): Source {
  return {
    size: blob.size,
    read: (start, end) => Promise.resolve({ body: blob.slice(start, end), length: end - start }),
    close: () => Promise.resolve(),
  };
}

/** Opens `state`'s source for a step; a `TusError` when it is missing or changed. */
export async function openSource(state: TusUploadState): Promise<Source> {
  const source = state.source;
  let opened: Source;
  if (isBlob(source)) opened = blobSource(source);
  else if (isKept(source)) {
    let blob: Blob | undefined;
    try {
      blob = await keptFiles(source.keptIn).get(source.key);
    } catch (error) {
      throw new TusError(
        "TUS_SOURCE_MISSING",
        `Uploading "${state.name}": the file kept in IndexedDB ("${source.keptIn}") cannot be ` +
          `read (${(error as Error)?.message})`,
        { file: state.name, retryable: true, cause: error },
      );
    }
    if (!blob) {
      throw missing(
        state,
        `cannot go on: the file kept for it in IndexedDB ("${source.keptIn}") is gone (was the ` +
          `site's data cleared?). Remove the task and add the file again`,
        undefined,
      );
    }
    opened = blobSource(blob);
  } else if (typeof source === "string" && source !== "") opened = await openPath(state, source);
  else {
    throw new TusError(
      "TUS_BAD_STATE",
      `Uploading "${state.name}" cannot go on: its state has no file (state.source is ${
        source === null ? "null" : typeof source
      }). Make the state with tusUpload(file, { endpoint })`,
      { file: String(state.name), retryable: false },
    );
  }
  let problem: string | undefined;
  if (state.size !== undefined && opened.size !== state.size) {
    problem = `its size went from ${state.size} to ${opened.size} bytes`;
  } else if (
    opened.lastModified !== undefined && state.lastModified !== undefined &&
    opened.lastModified !== state.lastModified
  ) problem = "the file was modified";
  if (problem !== undefined) {
    await opened.close();
    throw changed(state, problem);
  }
  return opened;
}
