/**
 * Records as rows. The body is the core codec's record body as UTF-8 bytes
 * (`bytea`), so Node and Deno read each other's rows and the database's
 * text encoding never matters. A row's key (`id`) is the task id escaped as
 * in a JSON string (without the quotes): the same text for ordinary ids,
 * and always valid text, since Postgres text holds no NUL character and no
 * lone surrogate. An id whose key would pass {@linkcode MAX_KEY_CHARS}
 * (a b-tree entry must fit a third of a page) is keyed by its first
 * characters and its SHA-256 digest; the body keeps the id itself.
 *
 * @module
 */

import {
  decodeRecordBody,
  encodeRecordBody,
  StoreCorruptError,
  type TaskRecord,
} from "../../src/driver.ts";

/** The longest key kept as it is, in characters. */
export const MAX_KEY_CHARS = 512;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder("utf-8", { fatal: true });

function escaped(id: string): string {
  return JSON.stringify(id).slice(1, -1);
}

async function digest(text: string): Promise<string> {
  const bytes = new Uint8Array(await crypto.subtle.digest("SHA-256", utf8.encode(text)));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The row key of task `id`. */
export async function keyOf(id: string): Promise<string> {
  const key = escaped(id);
  if (key.length <= MAX_KEY_CHARS) return key;
  // "\u0001" never appears raw in an escaped id, so a hashed key is never another id's key.
  return `${key.slice(0, 64)}\u0001${await digest(key)}`;
}

/** The row keys of `ids`, in order. */
export function keysOf(ids: readonly string[]): Promise<string[]> {
  return Promise.all(ids.map(keyOf));
}

/** The body bytes of `record`; throws `StateNotStorableError` for what the codec refuses. */
export function bodyOf(record: TaskRecord): Uint8Array {
  return utf8.encode(encodeRecordBody(record));
}

/** The record in a row's body. */
export function recordOf(body: unknown, table: string, key: string): TaskRecord {
  try {
    if (!(body instanceof Uint8Array)) throw new TypeError("the body is not bytes");
    return decodeRecordBody(fromUtf8.decode(body));
  } catch (error) {
    throw new StoreCorruptError(
      `The row "${key}" of ${table} holds no readable stater record (${
        error instanceof Error ? error.message : String(error)
      }): restore it from a backup, or delete the row`,
      {},
      { cause: error },
    );
  }
}
