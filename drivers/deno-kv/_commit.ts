/**
 * Group commit on Deno KV. The writes of one batch are grouped by record;
 * each record becomes one unit: a check of the versionstamp read, and the
 * mutations that bring it to its last write in the batch (main value,
 * chunks, status index). Units are packed into as few atomic operations as
 * Deno KV's limits allow, so atomicity is per record, not per batch. When a
 * packed operation fails its checks, each of its units is tried on its own,
 * so one record changed by another engine fails only its own writes; a unit
 * that still fails is read again and judged against the fresh revision.
 *
 * The driver remembers the versionstamp and head each record had after its
 * own last commit ({@linkcode Known}), so the next commit of a task it runs
 * needs no read first: the check on that versionstamp proves nobody wrote
 * the record since, and when it fails the record is read and judged again.
 *
 * @module
 */

import {
  DriverError,
  type TaskRecord,
  type Write,
  writeId,
  type WriteResult,
} from "../../src/driver.ts";
import { ATOMIC_LIMITS, type IdKey, idKeyOf, keyBytes, type Keys } from "./_keys.ts";
import type { KvKey, KvLike } from "./_kv.ts";
import { getAll, storeFailed, whereOf } from "./_read.ts";
import { type Encoded, encodeRecord, type Head, parseHead } from "./_record.ts";
import type { EventWrite, Outbox } from "./_events.ts";

const ROUNDS = 25;

type Mutation = { key: KvKey; value?: Uint8Array };

interface Unit {
  id: string;
  idKey: IdKey;
  writes: number[];
  check?: { key: KvKey; versionstamp: string | null };
  mutations: Mutation[];
  outcome: Map<number, WriteResult>;
  /** The head after the unit's writes; `null` when deleted; `undefined` when unchanged. */
  final?: Head | null;
  bytes: number;
  keyBytes: number;
}

/** What one driver knows of the records it committed last: versionstamp and head, by id. */
export class Known {
  #map = new Map<string, { stamp: string; head: Head }>();
  /** Entries kept at most; past it the memory starts over (reads fill it again). */
  static readonly MAX = 10_000;

  get(id: string): { stamp: string; head: Head } | undefined {
    return this.#map.get(id);
  }

  set(id: string, stamp: string, head: Head | null): void {
    if (head === null) {
      this.#map.delete(id);
      return;
    }
    if (this.#map.size >= Known.MAX) this.#map.clear();
    this.#map.set(id, { stamp, head });
  }

  forget(id: string): void {
    this.#map.delete(id);
  }
}

function errorOf(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** Judges the unit's writes against the stored head (versionstamp `stamp`) and lists the mutations they need. */
function plan(
  unit: Unit,
  writes: readonly Write[],
  old: Head | undefined,
  stamp: string | null,
  keys: Keys,
  owner: string,
): void {
  let rev = old?.rev ?? 0;
  let final: { put: Encoded } | { put?: undefined; deleted: boolean } | undefined;
  unit.outcome = new Map();
  for (const i of unit.writes) {
    const write = writes[i]!;
    if (write.expectRev !== undefined && write.expectRev !== rev) {
      unit.outcome.set(i, { ok: false, conflict: true });
      continue;
    }
    if (write.type === "delete") {
      final = { deleted: true };
      rev = 0;
      unit.outcome.set(i, { ok: true });
      continue;
    }
    try {
      final = { put: encodeRecord(write.record as TaskRecord, owner) };
      rev = write.record.rev;
      unit.outcome.set(i, { ok: true });
    } catch (error) {
      unit.outcome.set(i, { ok: false, error: errorOf(error) });
    }
  }
  const m: Mutation[] = [];
  const id = unit.idKey;
  if (final?.put) {
    const enc = final.put;
    m.push({ key: keys.task(id), value: enc.value });
    enc.chunks.forEach((chunk, n) =>
      m.push({ key: keys.chunk(id, enc.head.nonce, n), value: chunk })
    );
    if (old && old.status !== enc.head.status) m.push({ key: keys.status(old.status, id) });
    m.push({ key: keys.status(enc.head.status, id), value: enc.headBytes });
  } else if (final && old) {
    m.push({ key: keys.task(id) }, { key: keys.status(old.status, id) });
  }
  if (final && old) {
    for (let n = 0; n < old.chunks; n++) m.push({ key: keys.chunk(id, old.nonce, n) });
  }
  unit.mutations = m;
  unit.final = final === undefined || m.length === 0
    ? undefined
    : final.put
    ? final.put.head
    : null;
  unit.check = m.length > 0 ? { key: keys.task(id), versionstamp: stamp } : undefined;
  unit.keyBytes = m.reduce((n, x) => n + keyBytes(x.key), 0);
  unit.bytes = unit.keyBytes + m.reduce((n, x) => n + (x.value?.length ?? 0), 0);
}

/** Packs units into groups that each fit one atomic operation; the first one leaves room for `events`. */
function pack(units: Unit[], events?: EventWrite): Unit[][] {
  const groups: Unit[][] = [];
  let group: Unit[] = [];
  let checks = 0, kb = 0;
  let mutations = events ? events.sets.length + events.deletes.length : 0;
  let bytes = events?.bytes ?? 0;
  for (const unit of units) {
    const fits = checks + 1 <= ATOMIC_LIMITS.checks &&
      mutations + unit.mutations.length + 1 <= ATOMIC_LIMITS.mutations &&
      bytes + unit.bytes <= ATOMIC_LIMITS.bytes && kb + unit.keyBytes <= ATOMIC_LIMITS.keyBytes;
    if (!fits && group.length > 0) {
      groups.push(group);
      group = [];
      checks =
        mutations =
        bytes =
        kb =
          0;
    }
    group.push(unit);
    checks++;
    mutations += unit.mutations.length;
    bytes += unit.bytes;
    kb += unit.keyBytes;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

async function apply(
  kv: KvLike,
  keys: Keys,
  group: Unit[],
  known: Known,
  events?: EventWrite,
): Promise<boolean> {
  const op = kv.atomic();
  // The events published since the last commit ride along (see _events.ts).
  for (const set of events?.sets ?? []) {
    op.set(set.key, set.value, set.expireIn === undefined ? undefined : { expireIn: set.expireIn });
  }
  for (const key of events?.deletes ?? []) op.delete(key);
  for (const unit of group) {
    op.check(unit.check!);
    for (const x of unit.mutations) {
      if (x.value) op.set(x.key, x.value);
      else op.delete(x.key);
    }
  }
  // Other engines watch this key to notice that something changed.
  op.set(keys.clock, crypto.getRandomValues(new Uint8Array(8)));
  const result = await op.commit();
  if (result.ok && result.versionstamp) {
    for (const unit of group) {
      if (unit.final !== undefined) known.set(unit.id, result.versionstamp, unit.final);
    }
  }
  return result.ok;
}

/**
 * Applies `writes` (see the module doc); one result per write, in order.
 * What `outbox` holds goes into the first atomic operation (what would not
 * fit there is written just before), or back into the outbox when that one
 * fails.
 */
export async function commitBatch(
  kv: KvLike,
  keys: Keys,
  owner: string,
  writes: readonly Write[],
  known: Known,
  outbox?: Outbox,
): Promise<WriteResult[]> {
  const results: WriteResult[] = new Array(writes.length);
  const byId = new Map<string, Unit>();
  writes.forEach((write, i) => {
    const id = writeId(write);
    let unit = byId.get(id);
    if (!unit) {
      byId.set(
        id,
        unit = {
          id,
          idKey: id,
          writes: [],
          mutations: [],
          outcome: new Map(),
          bytes: 0,
          keyBytes: 0,
        },
      );
    }
    unit.writes.push(i);
  });
  let pending = [...byId.values()];
  await Promise.all(pending.map(async (u) => (u.idKey = await idKeyOf(u.id))));
  // Events published ahead of these writes and already on their way land first.
  await outbox?.landed();
  const settle = (unit: Unit) => {
    for (const [i, result] of unit.outcome) results[i] = result;
  };
  try {
    for (let round = 0; round < ROUNDS && pending.length > 0; round++) {
      // What this driver committed last is trusted for a first try, when the first write expects that revision.
      const cached = pending.map((unit) => {
        const hit = round === 0 ? known.get(unit.id) : undefined;
        const expect = writes[unit.writes[0]!]!.expectRev;
        return hit && (expect === undefined || expect === hit.head.rev) ? hit : undefined;
      });
      const misses = pending.filter((_, i) => !cached[i]);
      const read = await getAll(kv, misses.map((u) => keys.task(u.idKey)));
      const entries = new Map(misses.map((u, i) => [u, read[i]!]));
      const toWrite: Unit[] = [];
      pending.forEach((unit, i) => {
        try {
          const hit = cached[i];
          const entry = entries.get(unit);
          if (hit) plan(unit, writes, hit.head, hit.stamp, keys, owner);
          else if (entry!.versionstamp === null) plan(unit, writes, undefined, null, keys, owner);
          else {plan(
              unit,
              writes,
              parseHead(entry!.value, whereOf(unit.idKey)).head,
              entry!.versionstamp,
              keys,
              owner,
            );}
        } catch (error) {
          // A stored value that is not a stater record fails the writes to it, not the batch.
          unit.mutations = [];
          unit.outcome = new Map(unit.writes.map((w) => [w, { ok: false, error: errorOf(error) }]));
        }
        if (unit.mutations.length > 0) toWrite.push(unit);
        else settle(unit);
      });
      const retry: Unit[] = [];
      const statusChange = writes.some((w) => w.type === "delete" || w.record.status !== "running");
      let events = toWrite.length > 0 ? outbox?.takeFor(statusChange) : undefined;
      // What would not fit beside the commit is written ahead of it, by itself.
      while (
        events && (outbox!.pending || events.bytes + toWrite[0]!.bytes > ATOMIC_LIMITS.bytes)
      ) {
        await outbox!.write(events);
        events = outbox!.take();
      }
      await Promise.all(
        pack(toWrite, events).map(async (group, g) => {
          const carried = g === 0 ? events : undefined;
          let landed = false;
          try {
            landed = await apply(kv, keys, group, known, carried);
          } finally {
            if (carried && !landed) outbox!.restore(carried);
          }
          if (landed) return group.forEach(settle);
          const failed = (unit: Unit) => {
            known.forget(unit.id);
            retry.push(unit);
          };
          if (group.length === 1) return failed(group[0]!);
          // One of them changed under us: find which, each on its own.
          await Promise.all(group.map(async (unit) => {
            if (await apply(kv, keys, [unit], known)) settle(unit);
            else failed(unit);
          }));
        }),
      );
      pending = retry;
    }
  } catch (error) {
    throw storeFailed(error, "commit a batch of writes");
  }
  if (pending.length > 0) {
    throw new DriverError(
      "deno-kv",
      `The deno-kv driver could not commit task "${
        pending[0]!.id
      }": other engines kept changing it; try again`,
      { code: "CONTENDED" },
    );
  }
  return results;
}
