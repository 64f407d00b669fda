/**
 * Group commit: every write of a batch in one readwrite transaction, each a
 * compare-and-set on the record's revision.
 *
 * @module
 */

import { unwrap } from "idb";
import {
  type ListQuery,
  type TaskRecord,
  type Write,
  writeId,
  type WriteResult,
} from "../../src/driver.ts";
import type { Database } from "./_database.ts";
import { isCloneError, notStorable } from "./_errors.ts";

/** A readwrite transaction on `tasks`, and a promise of `results` once it commits. */
function readwrite(db: Database, durability: "strict" | "relaxed") {
  const tx = (unwrap(db) as IDBDatabase).transaction("tasks", "readwrite", { durability });
  const results: WriteResult[] = [];
  const done = new Promise<WriteResult[]>((resolve, reject) => {
    tx.oncomplete = () => resolve(results);
    tx.onabort = () =>
      reject(tx.error ?? new DOMException("The transaction was aborted", "AbortError"));
  });
  return { tx, store: tx.objectStore("tasks"), results, done };
}

/**
 * Puts `record` (structured clone happens here, synchronously: nothing of
 * the caller's objects is kept); a record that structured clone refuses
 * gets a `StateNotStorableError` result, anything else throws.
 */
function tryPut(store: IDBObjectStore, record: TaskRecord): WriteResult {
  try {
    store.put(record);
    return { ok: true };
  } catch (error) {
    if (!isCloneError(error)) throw error;
    return { ok: false, error: notStorable(record, error) };
  }
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
 * Applies `writes`, of distinct tasks (the driver hands a batch that writes
 * a task twice over one write at a time), in one transaction and resolves
 * once it is committed (durably, with `durability: "strict"`). A write
 * whose record structured clone refuses gets a `StateNotStorableError`
 * result and the others go on; a failing transaction rejects with the raw
 * error (the caller maps it).
 *
 * Every request is issued at once: each write reads the stored record and
 * writes the new one right behind it, and a read that finds another
 * revision puts the old record back, all inside the transaction, so
 * nothing waits on a round trip.
 */
export function commitBatch(
  db: Database,
  writes: readonly Write[],
  durability: "strict" | "relaxed",
): Promise<WriteResult[]> {
  const { tx, store, results, done } = readwrite(db, durability);
  try {
    writes.forEach((write, i) => {
      const id = writeId(write);
      const read = write.expectRev === undefined ? undefined : store.get(id);
      if (write.type === "delete") {
        store.delete(id);
        results.push({ ok: true });
      } else results.push(tryPut(store, write.record));
      const wrote = results[i]!.ok;
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
export function commitBlind(
  db: Database,
  writes: readonly Write[],
  durability: "strict" | "relaxed",
): Promise<WriteResult[]> {
  const { tx, store, results, done } = readwrite(db, durability);
  try {
    for (const write of writes) {
      if (write.type !== "put") throw new TypeError("commitBlind takes puts only");
      results.push(tryPut(store, write.record));
    }
    tx.commit?.();
  } catch (error) {
    return abandon(tx, done, error);
  }
  return done;
}

/** The records that match `query`; with `status`, only those statuses are read (by the index). */
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
  return query.work === undefined
    ? records
    : records.filter((record) => record.work === query.work);
}
