/**
 * CRC-32 (the IEEE polynomial, as in zip and PNG) over bytes: the checksum of
 * every journal frame. `zlib.crc32` computes it natively where the runtime
 * has it (Node ≥ 20.15, Deno 2), several times faster than the table loop
 * here, which serves elsewhere; the table is built on first use.
 *
 * @module
 */

import * as zlib from "node:zlib";

let table: Int32Array | undefined;

function buildTable(): Int32Array {
  const out = new Int32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let c = byte;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    out[byte] = c;
  }
  return out;
}

/** The CRC-32 of `bytes[start..end)` by the table, as an unsigned 32-bit number. */
export function crc32Table(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const t = (table ??= buildTable());
  let c = -1;
  for (let i = start; i < end; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

type Native = (data: Uint8Array, value?: number) => number;
const native = (zlib as { crc32?: Native }).crc32;

/** The CRC-32 of `bytes[start..end)`, as an unsigned 32-bit number. */
export const crc32: (bytes: Uint8Array, start?: number, end?: number) => number =
  typeof native === "function"
    ? (bytes, start = 0, end = bytes.length) =>
      native(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end)) >>> 0
    : crc32Table;
