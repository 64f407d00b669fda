/**
 * Small helpers the files of `stater/tus` share.
 *
 * @module
 */

/** A `Blob` kept in an IndexedDB database of its own (the `KeptFile` of a state). */
interface Kept {
  keptIn: string;
  key: string;
}

/** Whether `value` is a `Blob` (a `File` too). */
export function isBlob(value: unknown): value is Blob {
  return typeof Blob === "function" && value instanceof Blob;
}

/** Whether `value` names a kept `Blob`. */
export function isKept(value: unknown): value is Kept {
  return typeof value === "object" && value !== null && !isBlob(value) &&
    typeof (value as Kept).keptIn === "string" && typeof (value as Kept).key === "string";
}

/** The last part of a path, with `/` or `\` between parts. */
export function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);
}

/** 32 random hex digits. */
export function randomKey(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  let key = "";
  for (const byte of bytes) key += byte.toString(16).padStart(2, "0");
  return key;
}

/** `1536` → `"1.5 KiB"`. */
export function formatBytes(bytes: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} bytes` : `${Number(value.toFixed(1))} ${units[unit]}`;
}
