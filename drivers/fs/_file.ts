/**
 * The files of a store, at the byte level: reading a framed file back,
 * appending frames to the journal, and replacing a file atomically
 * (write a temporary file, fdatasync, rename, fsync the folder).
 *
 * @module
 */

import { fdatasyncSync, ftruncateSync, writeSync } from "node:fs";
import { type FileHandle, open, readFile, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { errorCode, StoreCorruptError } from "../../src/driver.ts";
import { frame, type Scan, scanFrames } from "./_frame.ts";

/** How far the journal reserves space ahead of its data, with zeros. */
const RESERVE = 256 * 1024;

// Made on first use: importing the driver touches nothing.
let encoder: TextEncoder | undefined;
let decoder: TextDecoder | undefined;
let zeros: Uint8Array | undefined;
const utf8 = (s: string) => (encoder ??= new TextEncoder()).encode(s);
const text = (bytes: Uint8Array) =>
  (decoder ??= new TextDecoder("utf-8", { fatal: true })).decode(bytes);

/** The first frame of every store file. */
export function headerFrame(kind: string, extra: Record<string, unknown> = {}): Uint8Array {
  return frame(utf8(JSON.stringify({ stater: "fs", kind, v: 1, ...extra })));
}

/** Frames lines (one commit batch) into bytes. */
export function linesFrame(lines: readonly string[]): Uint8Array {
  return frame(utf8(lines.join("\n")));
}

/** A store file read back: its header, its frames as lines, and its valid length. */
export interface ReadFile extends Scan {
  /** The header's fields. */
  header: Record<string, unknown>;
  /** The text of each frame after the header. */
  texts: { offset: number; text: string }[];
}

/** Reads a framed store file of `kind`; `undefined` when it does not exist or is empty. */
export async function readStoreFile(path: string, kind: string): Promise<ReadFile | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return undefined;
    throw error;
  }
  const scan = scanFrames(bytes, path);
  const [first, ...rest] = scan.frames;
  if (!first) {
    // Store files are written whole before they get their name, so only an empty one lacks a header.
    if (bytes.every((b) => b === 0)) return undefined;
    throw new StoreCorruptError(
      `The fs driver found ${path}, which is not a stater ${kind} file: move it out of the store folder`,
      { file: path, offset: 0 },
    );
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(text(first.payload));
  } catch {
    header = {};
  }
  if (header.stater !== "fs" || header.kind !== kind) {
    throw new StoreCorruptError(
      `The fs driver found ${path}, which is not a stater ${kind} file: move it out of the store folder`,
      { file: path, offset: 0 },
    );
  }
  if (header.v !== 1) {
    throw new StoreCorruptError(
      `${path} was written by a newer stater (format ${
        String(header.v)
      }): upgrade stater to open this store`,
      { file: path, offset: 0 },
    );
  }
  const texts = rest.map((f) => {
    try {
      return { offset: f.offset, text: text(f.payload) };
    } catch (cause) {
      throw new StoreCorruptError(
        `The fs driver found a record in ${path} at byte ${f.offset} that is not UTF-8 text: restore the store from a backup`,
        { file: path, offset: f.offset },
        { cause },
      );
    }
  });
  return { ...scan, header, texts };
}

/** Writes `bytes` to `path` atomically and durably: a crash leaves the old file or the new one. */
export async function replaceFile(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp`;
  const handle = await open(tmp, "w");
  try {
    await handle.write(bytes, 0, bytes.length, 0);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
  await syncFolder(dirname(path));
}

/** Makes renames and new files inside `dir` durable. */
export async function syncFolder(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch (error) {
    // Some platforms (Windows) cannot open or sync a folder; the rename is still atomic there.
    if (!["EISDIR", "EPERM", "EACCES", "EINVAL", "ENOTSUP"].includes(errorCode(error) ?? "")) {
      throw error;
    }
  } finally {
    await handle?.close();
  }
}

/** Removes `path`, which may be missing. */
export async function removeFile(path: string): Promise<void> {
  await unlink(path).catch((error) => {
    if (errorCode(error) !== "ENOENT") throw error;
  });
}

/**
 * The journal open for appending: frames go after the valid data, positioned,
 * so a failed write can be cut off; zeros are kept ahead of the data.
 */
export class AppendFile {
  /** The valid length; the next frame goes here. */
  size: number;
  /** Set when a failed write could not be cut off: the file must be reopened (recovery drops the partial frame). */
  damaged = false;
  /** The file's length: `size` plus the zeros written ahead. */
  #allocated: number;

  private constructor(readonly path: string, private readonly handle: FileHandle, size: number) {
    this.size = size;
    this.#allocated = size;
  }

  /**
   * Writes zeros ahead of the data, so that most appends overwrite space the
   * file already has: their fdatasync then has no file length to record,
   * which is faster than appending to a growing file. A failure here is not
   * an error: the append itself still extends the file.
   */
  async #reserve(upTo: number, sync: boolean): Promise<void> {
    const target = upTo + RESERVE;
    let at = this.#allocated;
    try {
      while (at < target) {
        const z = (zeros ??= new Uint8Array(64 * 1024));
        const n = Math.min(z.length, target - at);
        at += sync
          ? writeSync(this.handle.fd, z, 0, n, at)
          : (await this.handle.write(z, 0, n, at)).bytesWritten;
      }
    } catch {
      // Out of space for the reserve: the append below reports it if it does not fit either.
    }
    this.#allocated = at;
  }

  /** Opens `path` (which must exist) for appending at `size`, cutting off what lies after it. */
  static async open(path: string, size: number): Promise<AppendFile> {
    const handle = await open(path, "r+");
    try {
      if ((await handle.stat()).size !== size) {
        await handle.truncate(size);
        await handle.datasync();
      }
    } catch (error) {
      await handle.close();
      throw error;
    }
    return new AppendFile(path, handle, size);
  }

  /** Writes `bytes` at the end; on failure cuts the partial bytes off again and rethrows. `sync` uses blocking calls. */
  async append(bytes: Uint8Array, sync: boolean): Promise<void> {
    const at = this.size;
    if (at + bytes.length > this.#allocated) await this.#reserve(at + bytes.length, sync);
    let done = 0;
    try {
      while (done < bytes.length) {
        done += sync
          ? writeSync(this.handle.fd, bytes, done, bytes.length - done, at + done)
          : (await this.handle.write(bytes, done, bytes.length - done, at + done)).bytesWritten;
      }
    } catch (error) {
      // Leave no partial frame behind, so the next one follows whole frames.
      try {
        ftruncateSync(this.handle.fd, at);
        this.#allocated = at;
      } catch {
        this.damaged = true;
      }
      throw error;
    }
    this.size = at + bytes.length;
  }

  /** Flushes the written bytes to the disk (fdatasync). */
  async flush(sync: boolean): Promise<void> {
    if (sync) fdatasyncSync(this.handle.fd);
    else await this.handle.datasync();
  }

  /** Closes the file. */
  async close(): Promise<void> {
    await this.handle.close();
  }
}
