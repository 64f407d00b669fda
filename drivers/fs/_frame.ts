/**
 * Frames: `[length u32 LE][crc32 u32 LE][payload]`. One commit batch is one
 * frame, so a batch is whole or absent after a crash. The first frame of a
 * file is its header. In format 2, the payload of every later frame starts
 * with `back` (u32 LE): how many bytes before the frame the data known to be
 * on the disk ended when it was written (0 in strict durability, where each
 * frame is flushed before the next is written).
 *
 * A crash may persist any subset of the pages written since the last flush:
 * the last frame's later pages without its first, or, in relaxed durability,
 * a later frame whole and an earlier one not. So reading a file back, zeros
 * where a frame should start end the data (the journal reserves space ahead
 * with zeros), and a damaged frame is a torn tail when no whole frame after
 * it says that the damaged bytes were already on the disk: the file is valid
 * up to it. Damage that a whole later frame proves was on the disk (format 1
 * has no `back`: any whole later frame) is corruption, reported with the file
 * and the offset.
 *
 * @module
 */

import { StoreCorruptError } from "../../src/driver.ts";
import { crc32 } from "./_crc32.ts";

/** Bytes before a frame's payload. */
export const FRAME_HEADER = 8;
/** Bytes of `back` at the start of a format-2 record frame's payload. */
export const BACK_BYTES = 4;
/** The largest payload a frame may declare (a bigger length is damage). */
export const MAX_FRAME = 0x7fff_0000;
/** The largest `back` a frame records; farther is recorded as this (it only makes a scan lenient). */
const MAX_BACK = 0xffff_ffff;

/** Frames `payload` into new bytes (a header frame, or a frame of format 1). */
export function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER + payload.length);
  out.set(payload, FRAME_HEADER);
  seal(out, 0, payload.length);
  return out;
}

/**
 * Writes the length and checksum of the frame at `at` in `buffer`, whose
 * payload of `length` bytes is already in place after the header.
 */
export function seal(buffer: Uint8Array, at: number, length: number): void {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  view.setUint32(at, length, true);
  view.setUint32(at + 4, crc32(buffer, at + FRAME_HEADER, at + FRAME_HEADER + length), true);
}

/** Writes `back` at the start of the payload of the frame at `at` (format 2), before sealing it. */
export function setBack(buffer: Uint8Array, at: number, back: number): void {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  view.setUint32(at + FRAME_HEADER, Math.min(Math.max(back, 0), MAX_BACK), true);
}

/** What a scan of a file found. */
export interface Scan {
  /** Each whole frame's payload (a view into the scanned bytes, `back` left out) and where its frame starts. */
  frames: { offset: number; payload: Uint8Array }[];
  /** Where the whole frames end: the file's valid length. */
  end: number;
  /** Why the tail after `end` was dropped, when it was. */
  torn?: string;
}

/** Where the first non-zero byte at or after `from` is, or `bytes.length`. */
function nonZeroFrom(bytes: Uint8Array, from: number): number {
  for (let i = from; i < bytes.length; i++) if (bytes[i] !== 0) return i;
  return bytes.length;
}

/** The end of the whole frame at `at`, or -1 when there is none. */
function frameEnd(view: DataView, bytes: Uint8Array, at: number, backed: boolean): number {
  if (bytes.length - at < FRAME_HEADER) return -1;
  const length = view.getUint32(at, true);
  const end = at + FRAME_HEADER + length;
  if (length === 0 || length > MAX_FRAME || end > bytes.length) return -1;
  if (backed && length < BACK_BYTES) return -1;
  return crc32(bytes, at + FRAME_HEADER, end) === view.getUint32(at + 4, true) ? end : -1;
}

/**
 * The whole frames after damage at `from`: how many there are and the
 * farthest offset any of them says was already on the disk (format 2).
 */
function framesAfter(
  view: DataView,
  bytes: Uint8Array,
  from: number,
  backed: boolean,
): { count: number; durable: number } {
  let count = 0;
  let durable = 0;
  let last = bytes.length;
  while (last > from && bytes[last - 1] === 0) last--;
  for (let at = from + 1; at + FRAME_HEADER < last;) {
    const end = frameEnd(view, bytes, at, backed);
    if (end < 0) {
      at++;
      continue;
    }
    count++;
    const back = backed ? view.getUint32(at + FRAME_HEADER, true) : 0;
    // Without `back` (format 1) a whole later frame proves everything before it was written whole.
    durable = Math.max(durable, backed && back === MAX_BACK ? 0 : at - back);
    at = end;
  }
  return { count, durable };
}

/**
 * The error for damage at `at` in `file`, with `kept` whole frames (commits)
 * between the header and it; `why` says why a crash cannot have caused it.
 */
export function damageError(
  file: string,
  at: number,
  kept: number,
  why: string,
): StoreCorruptError {
  const advice = at === 0
    ? `the file is not a stater file or is damaged from its first byte: move it out of the store ` +
      `folder and restore the store from a backup (nothing in it can be kept)`
    : kept === 0
    ? `restore the store from a backup (no commit before the damage can be kept)`
    : `restore the store from a backup, or truncate the file to ${at} bytes to keep the ${kept} ` +
      `commit${kept === 1 ? "" : "s"} before it (every later one is lost)`;
  return new StoreCorruptError(
    `The fs driver found a damaged record in ${file} at byte ${at} (checksum mismatch) ${why}, ` +
      `so a crash cannot have caused it: ${advice}`,
    { file, offset: at },
  );
}

/** How a file is read back. */
export interface ScanOptions {
  /** Where the frames start: the end of the header. */
  start: number;
  /** The frames carry `back` (format 2). */
  backed: boolean;
  /** The file was written whole and flushed before it got its name (a segment): any damage is corruption. */
  whole?: boolean;
}

/**
 * Reads the frames of `bytes`. A torn tail ends the scan; damage that a
 * crash cannot explain throws `StoreCorruptError` naming `file` and the
 * offset.
 */
export function scanFrames(bytes: Uint8Array, file: string, options: ScanOptions): Scan {
  const { backed, whole = false } = options;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames: Scan["frames"] = [];
  const skip = backed ? BACK_BYTES : 0;
  let at = options.start;
  while (at < bytes.length) {
    const end = frameEnd(view, bytes, at, backed);
    if (end > 0) {
      frames.push({ offset: at, payload: bytes.subarray(at + FRAME_HEADER + skip, end) });
      at = end;
      continue;
    }
    if (whole) {
      throw damageError(file, at, frames.length, "in a file written whole before it got its name");
    }
    // Zeros only: space the journal reserved ahead of its writes (or bytes that never reached the disk).
    if (nonZeroFrom(bytes, at) === bytes.length) return { frames, end: at };
    const after = framesAfter(view, bytes, at, backed);
    if (after.count > 0 && (!backed || after.durable > at)) {
      throw damageError(
        file,
        at,
        frames.length,
        "with whole records after it that show it was already on the disk",
      );
    }
    const torn = `a frame cut short or never written at byte ${at}`;
    return {
      frames,
      end: at,
      torn: after.count > 0
        ? `${torn}, and ${after.count} later frame(s) written before it reached the disk`
        : torn,
    };
  }
  return { frames, end: at };
}

/** The payload and end of the header frame at the start of `bytes`, or `undefined` when it is not whole. */
export function headerAt(bytes: Uint8Array): { payload: Uint8Array; end: number } | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = frameEnd(view, bytes, 0, false);
  return end < 0 ? undefined : { payload: bytes.subarray(FRAME_HEADER, end), end };
}
