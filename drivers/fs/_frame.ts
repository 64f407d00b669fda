/**
 * Journal frames: `[length u32 LE][crc32 u32 LE][payload]`. One commit batch
 * is one frame, so a batch is whole or absent after a crash.
 *
 * Reading a file back, zeros where a frame should start end the data (the
 * journal reserves space ahead with zeros). A damaged frame with nothing but
 * zeros after it (cut short, or its bytes never reached the disk) is a torn
 * write: the file is valid up to it. A damaged frame with data after it
 * cannot be a torn write, so it is reported as corruption with the file and
 * the offset.
 *
 * @module
 */

import { StoreCorruptError } from "../../src/driver.ts";
import { crc32 } from "./_crc32.ts";

/** Bytes before a frame's payload. */
export const FRAME_HEADER = 8;
/** The largest payload a frame may declare (a bigger length is damage). */
export const MAX_FRAME = 0x7fff_0000;

/** Frames `payload` into new bytes. */
export function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, payload.length, true);
  view.setUint32(4, crc32(payload), true);
  out.set(payload, FRAME_HEADER);
  return out;
}

/** What a scan of a file found. */
export interface Scan {
  /** Each whole frame's payload (a view into the scanned bytes) and where its frame starts. */
  frames: { offset: number; payload: Uint8Array }[];
  /** Where the whole frames end: the file's valid length. */
  end: number;
  /** Why the tail after `end` was dropped, when it was. */
  torn?: string;
}

function allZero(bytes: Uint8Array, from: number): boolean {
  for (let i = from; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * Reads the frames of `bytes` from `start`. A torn tail ends the scan; damage
 * followed by more data throws `StoreCorruptError` naming `file` and the offset.
 */
export function scanFrames(bytes: Uint8Array, file: string, start = 0): Scan {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames: Scan["frames"] = [];
  let at = start;
  while (at < bytes.length) {
    const left = bytes.length - at;
    if (left < FRAME_HEADER) return { frames, end: at, torn: `${left} byte(s) of a frame header` };
    const length = view.getUint32(at, true);
    const sum = view.getUint32(at + 4, true);
    const end = at + FRAME_HEADER + length;
    if (
      length > 0 && length <= MAX_FRAME && end <= bytes.length &&
      crc32(bytes, at + FRAME_HEADER, end) === sum
    ) {
      frames.push({ offset: at, payload: bytes.subarray(at + FRAME_HEADER, end) });
      at = end;
      continue;
    }
    // Zeros only: space the journal reserved ahead of its writes (or bytes that never reached the disk).
    if (allZero(bytes, at)) return { frames, end: at };
    // Damage. A torn write can only leave it at the end of the data, with nothing but zeros after it.
    if (end >= bytes.length || allZero(bytes, end)) {
      return { frames, end: at, torn: `a frame cut short or never written at byte ${at}` };
    }
    throw new StoreCorruptError(
      `The fs driver found a damaged record in ${file} at byte ${at} (checksum mismatch with data after it), ` +
        `which a crash cannot cause: restore the store from a backup, or truncate the file to ${at} bytes to keep ` +
        `the commits before it`,
      { file, offset: at },
    );
  }
  return { frames, end: at };
}
