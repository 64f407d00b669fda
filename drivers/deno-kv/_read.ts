/**
 * Reading records back: the main value, then its chunks when the body did
 * not fit inline. Chunks are named by a nonce that changes with every write,
 * so a reader never mixes two revisions: if a writer replaced the record
 * meanwhile, the old chunks are gone and the read starts over.
 *
 * @module
 */

import {
  DriverError,
  type ListQuery,
  StaterError,
  TASK_STATUSES,
  type TaskRecord,
} from "../../src/driver.ts";
import { type IdKey, type Keys, showIdKey } from "./_keys.ts";
import type { KvEntryMaybe, KvKey, KvLike } from "./_kv.ts";
import { messageOf } from "./_kv.ts";
import { corrupt, decodeBody, type Head, parseHead } from "./_record.ts";

/** Deno KV reads at most this many keys in one `getMany`. */
const GET_MANY = 10;
const RETRIES = 8;

/** Maps a failure of the store itself to a `DriverError`; stater errors pass through. */
export function storeFailed(error: unknown, action: string): Error {
  if (error instanceof StaterError) return error;
  return new DriverError("deno-kv", `The deno-kv driver could not ${action}: ${messageOf(error)}`, {
    cause: error,
    code: "KV_FAILED",
  });
}

/** Reads any number of keys, 10 at a time (each group consistent on its own). */
export async function getAll(kv: KvLike, keys: readonly KvKey[]): Promise<KvEntryMaybe[]> {
  const groups: Promise<KvEntryMaybe[]>[] = [];
  for (let start = 0; start < keys.length; start += GET_MANY) {
    groups.push(kv.getMany(keys.slice(start, start + GET_MANY)));
  }
  return (await Promise.all(groups)).flat();
}

/** Names the record key of `idKey` in messages. */
export function whereOf(idKey: IdKey): string {
  return `the record of task ${showIdKey(idKey)}`;
}

/** A record and the head it was stored with. */
export interface Loaded {
  record: TaskRecord;
  head: Head;
}

/** The record in a main entry, or `null` when its chunks were replaced meanwhile (read again). */
async function loadEntry(
  kv: KvLike,
  keys: Keys,
  idKey: IdKey,
  entry: KvEntryMaybe,
): Promise<Loaded | null> {
  const where = whereOf(idKey);
  const { head, bodyAt } = parseHead(entry.value, where);
  const value = entry.value as Uint8Array;
  if (head.chunks === 0) return { record: decodeBody(value.subarray(bodyAt), where), head };
  const parts = await getAll(
    kv,
    Array.from({ length: head.chunks }, (_, index) => keys.chunk(idKey, head.nonce, index)),
  );
  if (parts.some((part) => part.versionstamp === null)) return null;
  const pieces: Uint8Array[] = [];
  for (const part of parts) {
    if (!(part.value instanceof Uint8Array)) {
      throw corrupt(where, "a chunk of its body is not bytes");
    }
    pieces.push(part.value);
  }
  const body = new Uint8Array(pieces.reduce((sum, piece) => sum + piece.length, 0));
  let at = 0;
  for (const piece of pieces) {
    body.set(piece, at);
    at += piece.length;
  }
  return { record: decodeBody(body, where), head };
}

/** The record of `idKey`, read again while a writer replaces its chunks under us. */
export async function readRecord(
  kv: KvLike,
  keys: Keys,
  idKey: IdKey,
  first?: KvEntryMaybe,
): Promise<TaskRecord | undefined> {
  return (await readLoaded(kv, keys, idKey, first))?.record;
}

/** Like {@linkcode readRecord}, with the head. */
export async function readLoaded(
  kv: KvLike,
  keys: Keys,
  idKey: IdKey,
  first?: KvEntryMaybe,
): Promise<Loaded | undefined> {
  let entry = first;
  for (let attempt = 0; attempt < RETRIES; attempt++) {
    entry ??= await kv.get(keys.task(idKey));
    if (entry.versionstamp === null) return undefined;
    const loaded = await loadEntry(kv, keys, idKey, entry);
    if (loaded) return loaded;
    entry = undefined;
  }
  throw corrupt(whereOf(idKey), "its chunks keep changing or are missing");
}

/** The records that match `query`: through the status index when statuses are given. */
export async function listRecords(kv: KvLike, keys: Keys, query: ListQuery): Promise<TaskRecord[]> {
  const out: TaskRecord[] = [];
  const keep = (record: TaskRecord | undefined): void => {
    if (!record) return;
    if (query.status && !query.status.includes(record.status)) return;
    if (query.work !== undefined && record.work !== query.work) return;
    out.push(record);
  };
  if (!query.status) {
    const loads: Promise<void>[] = [];
    for await (const entry of kv.list({ prefix: keys.tasks }, { batchSize: 500 })) {
      const idKey = entry.key[entry.key.length - 1] as IdKey;
      if (
        query.work !== undefined && parseHead(entry.value, whereOf(idKey)).head.work !== query.work
      ) continue;
      loads.push(readRecord(kv, keys, idKey, entry).then(keep));
    }
    await Promise.all(loads);
    return out;
  }
  const ids: IdKey[] = [];
  for (const status of new Set(query.status)) {
    if (!TASK_STATUSES.includes(status)) continue;
    for await (const entry of kv.list({ prefix: keys.statuses(status) }, { batchSize: 500 })) {
      const idKey = entry.key[entry.key.length - 1] as IdKey;
      if (
        query.work !== undefined &&
        parseHead(entry.value, `the index entry of task ${showIdKey(idKey)}`).head.work !==
          query.work
      ) continue;
      ids.push(idKey);
    }
  }
  const mains = await getAll(kv, ids.map((idKey) => keys.task(idKey)));
  await Promise.all(
    mains.map((entry, index) =>
      entry.versionstamp === null ? undefined : readRecord(kv, keys, ids[index]!, entry).then(keep)
    ),
  );
  return out;
}
