/**
 * The bytes of an upload as a `Blob`: the state's own `Blob`, or a path
 * opened as a `Blob` with `fs.openAsBlob` (Node ≥ 19.8, Deno 2). `node:fs`
 * is imported lazily, through a specifier the bundlers leave alone, and only
 * when a path is uploaded: a browser bundle never touches it.
 *
 * A file whose size or modification time differs from what the upload began
 * with is refused, since its bytes on the server would be a mix of two files.
 *
 * @module
 */

import { TusError } from "./errors.ts";
import { isBlob, type TusUploadState } from "./state.ts";

interface NodeFs {
  openAsBlob(path: string): Promise<Blob>;
  promises: {
    stat(path: string): Promise<{ size: number; mtimeMs: number; isFile(): boolean }>;
    realpath(path: string): Promise<string>;
  };
}

/** A source opened for one upload. */
export interface Opened {
  blob: Blob;
  /** The file's modification time (paths only). */
  lastModified?: number;
}

const FS_SPECIFIER = "node:fs";
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

async function openPath(state: TusUploadState, path: string): Promise<Opened> {
  let fs: NodeFs;
  try {
    fs = await nodeFs();
  } catch (error) {
    throw new TusError(
      "TUS_SOURCE_MISSING",
      `Uploading "${state.name}" needs node:fs to read the path ${JSON.stringify(path)}: a path ` +
        `source works on Node and Deno; in a browser, give tusUpload() the File itself`,
      { file: state.name, retryable: false, cause: error },
    );
  }
  let info;
  let blob;
  try {
    info = await fs.promises.stat(path);
    if (!info.isFile()) throw new Error(`${path} is not a file`);
    blob = await fs.openAsBlob(path);
  } catch (error) {
    throw new TusError(
      "TUS_SOURCE_MISSING",
      `Uploading "${state.name}" cannot read ${JSON.stringify(path)} (${
        (error as Error).message
      }): put the file back, or remove the task`,
      { file: state.name, retryable: false, cause: error },
    );
  }
  return { blob, lastModified: info.mtimeMs };
}

/**
 * The bytes of `state`'s source; a `TusError` when it is missing or changed.
 * A path is opened (and looked at) again at each step: a `stat` costs little
 * next to a chunk, and a file changed between two steps is caught at once.
 */
export async function openSource(state: TusUploadState): Promise<Opened> {
  const source = state.source;
  let opened: Opened;
  if (isBlob(source)) opened = { blob: source };
  else if (typeof source === "string" && source !== "") opened = await openPath(state, source);
  else {
    throw new TusError(
      "TUS_BAD_STATE",
      `Uploading "${state.name}" cannot go on: its state has no file (state.source is ${
        source === null ? "null" : typeof source
      }). Make the state with tusUpload(file, { endpoint })`,
      { file: String(state.name), retryable: false },
    );
  }
  if (state.size !== undefined && opened.blob.size !== state.size) {
    throw changed(state, `its size went from ${state.size} to ${opened.blob.size} bytes`);
  }
  if (
    opened.lastModified !== undefined && state.lastModified !== undefined &&
    opened.lastModified !== state.lastModified
  ) {
    throw changed(state, "the file was modified");
  }
  return opened;
}
