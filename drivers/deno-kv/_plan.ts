/**
 * The writes of one batch, grouped by record: each record becomes one
 * {@linkcode Unit}, judged against the record's stored head (or the one
 * this driver left, `_known.ts`) and turned into the mutations that bring it
 * to its last write in the batch: the main value, chunks, the status index,
 * and the removal of what the old revision left behind.
 *
 * @module
 */

import { type TaskRecord, type Write, writeId, type WriteResult } from "../../src/driver.ts";
import { type IdKey, idKeyOf, keyBytes, type Keys, shortIdKey } from "./_keys.ts";
import type { KvKey } from "./_kv.ts";
import { type Encoded, encodeRecord, type Head } from "./_record.ts";

/** One key to set (with `value`) or delete. */
export interface Mutation {
  key: KvKey;
  value?: Uint8Array;
}

/** The writes of a batch to one record, and what they need. */
export interface Unit {
  id: string;
  idKey: IdKey;
  /** The indexes of its writes in the batch, in order. */
  writes: number[];
  /** The check that the record is still as judged: its key, and the versionstamp read. */
  check: { key: KvKey; versionstamp: string | null };
  mutations: Mutation[];
  /** What became of each of its writes, by index in the batch. */
  outcome: Map<number, WriteResult>;
  /** The head after the unit's writes; `null` when deleted; `undefined` when unchanged. */
  final?: Head | null;
  /** Bytes of keys and values its mutations take. */
  bytes: number;
  /** Bytes of keys its mutations take. */
  keyBytes: number;
}

/** The units of `writes`, one a record, in the order of their first writes. */
export async function unitsOf(writes: readonly Write[]): Promise<Unit[]> {
  const byId = new Map<string, Unit>();
  writes.forEach((write, index) => {
    const id = writeId(write);
    let unit = byId.get(id);
    if (!unit) {
      unit = {
        id,
        idKey: id,
        writes: [],
        check: { key: [], versionstamp: null },
        mutations: [],
        outcome: new Map(),
        bytes: 0,
        keyBytes: 0,
      };
      byId.set(id, unit);
    }
    unit.writes.push(index);
  });
  const units = [...byId.values()];
  const long = units.filter((unit) => shortIdKey(unit.id) === undefined);
  await Promise.all(long.map(async (unit) => (unit.idKey = await idKeyOf(unit.id))));
  return units;
}

/** Any thrown value as an `Error`. */
export function errorOf(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** The record's last write in the unit: stored, deleted, or none that applies. */
type Final = { put: Encoded } | { put?: undefined; deleted: true } | undefined;

/** Judges each write of `unit` in turn, from the stored revision; the last that applies wins. */
function judge(unit: Unit, writes: readonly Write[], old: Head | undefined, owner: string): Final {
  let revision = old?.rev ?? 0;
  let final: Final;
  unit.outcome = new Map();
  for (const index of unit.writes) {
    const write = writes[index]!;
    if (write.expectRev !== undefined && write.expectRev !== revision) {
      unit.outcome.set(index, { ok: false, conflict: true });
      continue;
    }
    if (write.type === "delete") {
      final = { deleted: true };
      revision = 0;
      unit.outcome.set(index, { ok: true });
      continue;
    }
    try {
      final = { put: encodeRecord(write.record as TaskRecord, owner) };
      revision = write.record.rev;
      unit.outcome.set(index, { ok: true });
    } catch (error) {
      unit.outcome.set(index, { ok: false, error: errorOf(error) });
    }
  }
  return final;
}

/**
 * Judges the unit's writes against the stored head `old` (at versionstamp
 * `stamp`; `undefined` and `null` when there is no record) and lists the
 * mutations they need.
 */
export function plan(
  unit: Unit,
  writes: readonly Write[],
  old: Head | undefined,
  stamp: string | null,
  keys: Keys,
  owner: string,
): void {
  const final = judge(unit, writes, old, owner);
  const mutations: Mutation[] = [];
  const idKey = unit.idKey;
  if (final?.put) {
    const encoded = final.put;
    mutations.push({ key: keys.task(idKey), value: encoded.value });
    encoded.chunks.forEach((chunk, index) =>
      mutations.push({ key: keys.chunk(idKey, encoded.head.nonce, index), value: chunk })
    );
    const head = encoded.head;
    if (old && old.status !== head.status) mutations.push({ key: keys.status(old.status, idKey) });
    // A step of a running task by the engine that ran the last one leaves the index entry as it
    // is: it names the same status, work and owner (its revision is not read), and other engines
    // notice such steps by the record's own versionstamp (`_watch.ts`).
    const sameRun = old?.status === "running" && head.status === "running" &&
      old.owner === head.owner;
    if (!sameRun) {
      mutations.push({ key: keys.status(head.status, idKey), value: encoded.headBytes });
    }
  } else if (final && old) {
    mutations.push({ key: keys.task(idKey) }, { key: keys.status(old.status, idKey) });
  }
  if (final && old) {
    for (let index = 0; index < old.chunks; index++) {
      mutations.push({ key: keys.chunk(idKey, old.nonce, index) });
    }
  }
  unit.mutations = mutations;
  if (final === undefined || mutations.length === 0) unit.final = undefined;
  else unit.final = final.put ? final.put.head : null;
  unit.check = { key: keys.task(idKey), versionstamp: stamp };
  unit.keyBytes = mutations.reduce((sum, mutation) => sum + keyBytes(mutation.key), 0);
  unit.bytes = mutations.reduce(
    (sum, mutation) => sum + (mutation.value?.length ?? 0),
    unit.keyBytes,
  );
}
