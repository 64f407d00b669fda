/**
 * Group commit: every write of a batch in one readwrite transaction, each a
 * compare-and-set on the record's revision.
 *
 * @module
 */

import { unwrap } from "idb";
import { type ListQuery, type TaskRecord, type Write, writeId, type WriteResult } from "../../src/driver.ts";
import type { Database } from "./_database.ts";
import { notStorable } from "./_errors.ts";


/** A readwrite transaction on `tasks`, and a promise of `results` once it commits. */
function readwrite(db: Database, durability: "strict" | "relaxed") {
  const tx = (unwrap(db) as IDBDatabase).transaction("tasks", "readwrite", { durability });
  const results: WriteResult[] = [];
  const done = new Promise<WriteResult[]>((resolve, reject) => {
    tx.oncomplete = () => resolve(results);
    tx.onabort = () => reject(tx.error ?? new DOMException("The transaction was aborted", "AbortError"));
  });
  return { tx, store: tx.objectStore("tasks"), results, done };
}

/** Aborts `tx` after `error` broke the issuing of its requests, and rejects with `error`. */
function abandon(tx: IDBTransaction, done: Promise<unknown>, error: unknown): Promise<never> {
  try {
    tx.abort();
  } catch { /* already finished */ }
  done.catch(() => {});
  return Promise.reject(error);
}

/**
 * Applies `writes` in order in one transaction and resolves once it is
 * committed (durably, with `durability: "strict"`). A write whose record
 * structured clone refuses gets a `StateNotStorableError` result and the
 * others go on; a failing transaction rejects with the raw error (the
 * caller maps it).
 *
 * When the ids of the batch are distinct (the usual case) every request is
 * issued at once: each write reads the stored record and writes the new one
 * right behind it, and a read that finds another revision puts the old
 * record back, all inside the transaction, so nothing waits on a round trip.
 */
export function commitBatch(db: Database, writes: readonly Write[], durability: "strict" | "relaxed"): Promise<WriteResult[]> {
  const ids = writes.map(writeId);
  if (new Set(ids).size !== ids.length) return commitInOrder(db, writes, durability);
  const { tx, store, results, done } = readwrite(db, durability);
  try {
    writes.forEach((write, i) => {
      const id = ids[i]!;
      const read = write.expectRev === undefined ? undefined : store.get(id);
      let wrote = true;
      results.push({ ok: true });
      if (write.type === "delete") store.delete(id);
      else {
        try {
          // Structured clone happens here, synchronously: nothing of the caller's objects is kept.
          store.put(write.record);
        } catch (error) {
          if ((error as { name?: string } | null)?.name !== "DataCloneError") throw error;
          wrote = false;
          results[i] = { ok: false, error: notStorable(write.record, error) };
        }
      }
      if (read) {
        read.onsuccess = () => {
          const old = read.result as TaskRecord | undefined;
          if ((old?.rev ?? 0) === write.expectRev) return;
          results[i] = { ok: false, conflict: true };
          if (!wrote) return;
          if (old) store.put(old);
          else store.delete(id);
        };
      }
    });
  } catch (error) {
    return abandon(tx, done, error);
  }
  return done;
}

/**
 * Puts `writes` without reading what is stored, in one transaction that is
 * committed at once (`commit()`, where the browser has it): for the tasks
 * whose lock this driver holds, whose revisions it knows (see `_writes.ts`).
 * Deletes are not taken here.
 */
export function commitBlind(db: Database, writes: readonly Write[], durability: "strict" | "relaxed"): Promise<WriteResult[]> {
  const { tx, store, results, done } = readwrite(db, durability);
  try {
    for (const write of writes) {
      if (write.type !== "put") throw new TypeError("commitBlind takes puts only");
      try {
        store.put(write.record);
        results.push({ ok: true });
      } catch (error) {
        if ((error as { name?: string } | null)?.name !== "DataCloneError") throw error;
        results.push({ ok: false, error: notStorable(write.record, error) });
      }
    }
    tx.commit?.();
  } catch (error) {
    return abandon(tx, done, error);
  }
  return done;
}

/** The same as {@linkcode commitBatch}, one write after the other, for a batch that writes an id twice. */
async function commitInOrder(db: Database, writes: readonly Write[], durability: "strict" | "relaxed"): Promise<WriteResult[]> {
  const tx = db.transaction("tasks", "readwrite", { durability });
  const store = tx.store;
  const raw = unwrap(store) as IDBObjectStore;
  const done = tx.done;
  // Read every revision first, all requests at once.
  const unique = [...new Set(writes.map(writeId))];
  let found: (TaskRecord | undefined)[];
  try {
    found = await Promise.all(unique.map((id) => store.get(id)));
  } catch (error) {
    await done.catch(() => {});
    throw tx.error ?? error;
  }
  const revs = new Map<string, number>();
  unique.forEach((id, i) => revs.set(id, found[i]?.rev ?? 0));
  const results: WriteResult[] = [];
  for (const write of writes) {
    const id = writeId(write);
    if (write.expectRev !== undefined && write.expectRev !== revs.get(id)) {
      results.push({ ok: false, conflict: true });
      continue;
    }
    try {
      if (write.type === "delete") {
        raw.delete(id);
        revs.set(id, 0);
      } else {
        // Structured clone happens here, synchronously: nothing of the
        // caller's objects is kept.
        raw.put(write.record);
        revs.set(id, write.record.rev);
      }
      results.push({ ok: true });
    } catch (error) {
      if ((error as { name?: string } | null)?.name !== "DataCloneError" || write.type !== "put") {
        try {
          tx.abort();
        } catch { /* already finished */ }
        await done.catch(() => {});
        throw error;
      }
      results.push({ ok: false, error: notStorable(write.record, error) });
    }
  }
  try {
    await done;
  } catch (error) {
    throw tx.error ?? error;
  }
  return results;
}

/** The records that match `query`; with `status`, only those statuses are read (through the index). */
export async function listRecords(db: Database, query: ListQuery): Promise<TaskRecord[]> {
  let records: TaskRecord[];
  if (query.status) {
    const tx = db.transaction("tasks", "readonly");
    const index = tx.store.index("status");
    const parts = await Promise.all(query.status.map((status) => index.getAll(status)));
    records = parts.flat();
  } else {
    records = await db.getAll("tasks");
  }
  return query.work === undefined ? records : records.filter((record) => record.work === query.work);
}
