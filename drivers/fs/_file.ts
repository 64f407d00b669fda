/**
 * The files of a store, at the byte level: reading a framed file back, and
 * replacing a file atomically (write a temporary file, fdatasync, rename,
 * fsync the folder). The journal's appends are in `_journal.ts`.
 *
 * @module
 */

import { type FileHandle, open, readFile, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { errorCode, StoreCorruptError } from "../../src/driver.ts";
import type { ReplacePoint } from "./_faults.ts";
import {
  BACK_BYTES,
  frame,
  FRAME_HEADER,
  headerAt,
  type Scan,
  scanFrames,
  seal,
} from "./_frame.ts";

// Made on first use: importing the driver touches nothing.
let encoder: TextEncoder | undefined;
let decoder: TextDecoder | undefined;
const utf8 = (s: string) => (encoder ??= new TextEncoder()).encode(s);
const text = (bytes: Uint8Array) =>
  (decoder ??= new TextDecoder("utf-8", { fatal: true })).decode(bytes);

/** The format this driver writes: 2 (frames after the header carry `back`). It reads 1 and 2. */
export const FORMAT = 2;

/** The first frame of every store file. */
export function headerFrame(kind: string, extra: Record<string, unknown> = {}): Uint8Array {
  return frame(utf8(JSON.stringify({ stater: "fs", kind, v: FORMAT, ...extra })));
}

/** Frames lines (one commit batch) into bytes, for a file written whole (`back` 0). */
export function linesFrame(lines: readonly string[]): Uint8Array {
  const payload = utf8(lines.join("\n"));
  const out = new Uint8Array(FRAME_HEADER + BACK_BYTES + payload.length);
  out.set(payload, FRAME_HEADER + BACK_BYTES);
  seal(out, 0, BACK_BYTES + payload.length);
  return out;
}

/** A whole store file of `kind`: its header (with `extra` fields), then `lines` in one frame. */
export function storeFileBytes(
  kind: string,
  lines: readonly string[],
  extra: Record<string, unknown> = {},
): Uint8Array {
  const header = headerFrame(kind, extra);
  if (lines.length === 0) return header;
  const body = linesFrame(lines);
  const out = new Uint8Array(header.length + body.length);
  out.set(header);
  out.set(body, header.length);
  return out;
}

/** A store file read back: its header, its frames as lines, and its valid length. */
export interface ReadFile extends Scan {
  /** The header's fields. */
  header: Record<string, unknown>;
  /** The text of each frame after the header. */
  texts: { offset: number; text: string }[];
}

function notStaterFile(path: string, kind: string): StoreCorruptError {
  return new StoreCorruptError(
    `The fs driver found ${path}, which is not a stater ${kind} file or is damaged from its first ` +
      `byte: move it out of the store folder (and restore the store from a backup if it was one)`,
    { file: path, offset: 0 },
  );
}

/**
 * Reads a framed store file of `kind`; `undefined` when it does not exist or
 * is empty. `whole`: the file was written whole (a segment), so any damage is
 * corruption, never a torn tail.
 */
export async function readStoreFile(
  path: string,
  kind: string,
  whole = false,
): Promise<ReadFile | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return undefined;
    throw error;
  }
  const first = headerAt(bytes);
  if (!first) {
    // Store files are written whole before they get their name, so only an empty one lacks a header.
    if (bytes.every((b) => b === 0)) return undefined;
    throw notStaterFile(path, kind);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(text(first.payload));
  } catch {
    header = {};
  }
  if (header.stater !== "fs" || header.kind !== kind) throw notStaterFile(path, kind);
  if (header.v !== 1 && header.v !== FORMAT) {
    throw new StoreCorruptError(
      `${path} was written by a newer stater (format ${
        String(header.v)
      }): upgrade stater to open this store`,
      { file: path, offset: 0 },
    );
  }
  const scan = scanFrames(bytes, path, { start: first.end, backed: header.v !== 1, whole });
  const texts = scan.frames.map((f) => {
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

/** Called at each point of replacing a file (tests inject failures with it). */
export type Fault = (point: ReplacePoint) => void;

/**
 * Writes `bytes` to a temporary file next to `path` and flushes it; returns
 * its path. Nothing is replaced yet: a failure here leaves `path` as it was.
 */
export async function writeTemp(path: string, bytes: Uint8Array, fault?: Fault): Promise<string> {
  const tmp = `${path}.tmp`;
  const handle = await open(tmp, "w");
  try {
    fault?.("before-write");
    await handle.write(bytes, 0, bytes.length, 0);
    fault?.("after-write");
    fault?.("before-fsync");
    await handle.datasync();
    fault?.("after-fsync");
  } finally {
    await handle.close();
  }
  return tmp;
}

/** Renames `tmp` (from {@linkcode writeTemp}) over `path` and makes that durable. */
export async function installTemp(tmp: string, path: string, fault?: Fault): Promise<void> {
  fault?.("before-rename");
  await rename(tmp, path);
  fault?.("after-rename");
  fault?.("before-folder-sync");
  await syncFolder(dirname(path));
  fault?.("after-folder-sync");
}

/** Writes `bytes` to `path` atomically and durably: a crash leaves the old file or the new one. */
export async function replaceFile(path: string, bytes: Uint8Array, fault?: Fault): Promise<void> {
  await installTemp(await writeTemp(path, bytes, fault), path, fault);
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
