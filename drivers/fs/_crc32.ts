/**
 * CRC-32 (the IEEE polynomial, as in zip and PNG) over bytes: the checksum of
 * every journal frame. The table is built on first use.
 *
 * @module
 */

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

/** The CRC-32 of `bytes[start..end)`, as an unsigned 32-bit number. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const t = (table ??= buildTable());
  let c = -1;
  for (let i = start; i < end; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
