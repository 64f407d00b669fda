/**
 * The key layout of a store under `prefix`, and the sizes of Deno KV's keys and values.
 *
 * | key | value |
 * |---|---|
 * | `[...prefix, "task", idKey]` | the record's head, and its body when it fits (`_record.ts`) |
 * | `[...prefix, "chunk", idKey, nonce, i]` | part `i` of a body too large for one value |
 * | `[...prefix, "by-status", status, idKey]` | the record's head: the status index |
 * | `[...prefix, "lease", idKey]` | who steps the task, until when (`_lease.ts`) |
 * | `[...prefix, "clock"]` | rewritten by every commit, so other engines notice changes |
 * | `[...prefix, "events", owner, seq]` | what an engine published (`_outbox.ts`) |
 * | `[...prefix, "events-clock"]` | rewritten with every write of events |
 * | `[...prefix, "check-limit", i]` | never written: checked once at open (`_limits.ts`) |
 *
 * `idKey` is the task id itself, or, for an id longer than
 * {@linkcode MAX_ID_BYTES} in UTF-8, its SHA-256 digest as bytes (a key has at
 * most 2 KiB); the full id is always in the record.
 *
 * @module
 */

import type { TaskStatus } from "../../src/driver.ts";
import type { KvKey, KvKeyPart } from "./_kv.ts";

/** Deno KV refuses values larger than this many bytes. */
export const MAX_VALUE_BYTES = 65_536;
/** Ids longer than this (UTF-8 bytes) are keyed by their digest. */
export const MAX_ID_BYTES = 256;
/** The id's key part: the id, or its digest when long. */
export type IdKey = string | Uint8Array;

const utf8 = new TextEncoder();

/** The key part for task `id` when it is the id itself; `undefined` when the id is too long. */
export function shortIdKey(id: string): string | undefined {
  // Most ids are short: at most 3 bytes a UTF-16 unit, so no need to encode them to know.
  if (id.length * 3 <= MAX_ID_BYTES || utf8.encode(id).length <= MAX_ID_BYTES) return id;
  return undefined;
}

/** The key part for task `id`. */
export async function idKeyOf(id: string): Promise<IdKey> {
  return shortIdKey(id) ??
    new Uint8Array(await crypto.subtle.digest("SHA-256", utf8.encode(id)));
}

/** A printable form of an id key, for messages. */
export function showIdKey(idKey: IdKey): string {
  if (typeof idKey === "string") {
    return JSON.stringify(idKey.length > 60 ? `${idKey.slice(0, 60)}…` : idKey);
  }
  return `<sha-256 ${
    Array.from(idKey.subarray(0, 8), (byte) => byte.toString(16).padStart(2, "0")).join("")
  }…>`;
}

/** At least the bytes of `text` in UTF-8, with each 0 counted twice (a key escapes it). */
function stringBytes(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0) bytes += 2;
    else if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else bytes += 3; // a surrogate half counts 3 (a pair is 4 bytes, a lone one 3)
  }
  return bytes;
}

/** An upper bound of a key's encoded size, in bytes. */
export function keyBytes(key: KvKey): number {
  let bytes = 0;
  for (const part of key) {
    // Strings and bytes start with a type byte, end with a 0 and escape each 0 inside as two bytes.
    if (typeof part === "string") bytes += stringBytes(part) + 2;
    else if (part instanceof Uint8Array) {
      bytes += part.length + 2;
      for (const byte of part) if (byte === 0) bytes++;
    } else bytes += 10;
  }
  return bytes;
}

/** The keys of one store. */
export class Keys {
  readonly prefix: readonly KvKeyPart[];
  readonly clock: KvKey;
  readonly eventsClock: KvKey;
  /** All event entries. */
  readonly events: KvKey;

  constructor(prefix: readonly KvKeyPart[]) {
    this.prefix = prefix;
    this.clock = [...prefix, "clock"];
    this.eventsClock = [...prefix, "events-clock"];
    this.events = [...prefix, "events"];
  }

  /** Entry `seq` of the events `owner` published. */
  event(owner: string, seq: number): KvKey {
    return [...this.prefix, "events", owner, seq];
  }

  /** The record's key. */
  task(idKey: IdKey): KvKey {
    return [...this.prefix, "task", idKey];
  }

  /** All record keys. */
  get tasks(): KvKey {
    return [...this.prefix, "task"];
  }

  /** Part `index` of a record body written with `nonce`. */
  chunk(idKey: IdKey, nonce: string, index: number): KvKey {
    return [...this.prefix, "chunk", idKey, nonce, index];
  }

  /** The status index entry. */
  status(status: TaskStatus, idKey: IdKey): KvKey {
    return [...this.prefix, "by-status", status, idKey];
  }

  /** All index entries of one status. */
  statuses(status: TaskStatus): KvKey {
    return [...this.prefix, "by-status", status];
  }

  /** The lease of a task. */
  lease(idKey: IdKey): KvKey {
    return [...this.prefix, "lease", idKey];
  }
}
