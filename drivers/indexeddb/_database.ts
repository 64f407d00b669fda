/**
 * Opening the database: the schema, and what happens when another tab
 * deletes or upgrades it, or the browser closes it.
 *
 * @module
 */

import { type DBSchema, type IDBPDatabase, wrap } from "idb";
import { DriverError, type TaskRecord, type TaskStatus } from "../../src/driver.ts";
import { closedError, DRIVER, storeError } from "./_errors.ts";

/** A task's lease, used only where Web Locks are missing. */
export interface LeaseRow {
  /** The task's id. */
  id: string;
  /** The engine that holds it. */
  owner: string;
  /** When it runs out, in ms since the epoch. */
  expires: number;
}

/** The database's shape: task records with an index on status, and leases. */
export interface Schema extends DBSchema {
  tasks: { key: string; value: TaskRecord; indexes: { status: TaskStatus } };
  leases: { key: string; value: LeaseRow };
}

/** An open connection. */
export type Database = IDBPDatabase<Schema>;

/** The schema version this driver writes. */
export const VERSION = 1;

/** Where the global `indexedDB` is looked up, at first use. */
export function defaultFactory(): IDBFactory {
  const factory = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!factory) {
    throw new DriverError(
      DRIVER,
      "IndexedDB is not available here: run the indexeddb driver in a browser window, " +
        "worker or service worker, or pass an IDBFactory as indexedDBDriver({ indexedDB })",
      { code: "UNSUPPORTED" },
    );
  }
  return factory;
}

/**
 * Throws unless IndexedDB's classes are globals: `idb` recognises requests
 * and transactions by them, even when the factory is passed in.
 */
export function assertGlobals(): void {
  if (typeof (globalThis as { IDBRequest?: unknown }).IDBRequest !== "function") {
    throw new DriverError(
      DRIVER,
      "The indexeddb driver needs IndexedDB's classes (IDBRequest, IDBDatabase, …) as " +
        "globals, even with an IDBFactory passed in: with fake-indexeddb, " +
        'import "fake-indexeddb/auto"',
      { code: "UNSUPPORTED" },
    );
  }
}

/**
 * Opens `name` (creating it on first use). `onGone` is called once if the
 * connection is later closed under us: another tab deletes or upgrades the
 * database (we let go at once, so it is not blocked), or the browser closes
 * it (storage cleared, disk trouble). `version` is for tests of a later
 * schema's upgrade.
 */
export function openDatabase(
  factory: IDBFactory,
  name: string,
  onGone: (error: DriverError) => void,
  version: number = VERSION,
): Promise<Database> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      reject(storeError(error, name, "open the database"));
    };
    let request: IDBOpenDBRequest;
    try {
      request = factory.open(name, version);
    } catch (error) {
      fail(error);
      return;
    }
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains("tasks")) {
        db.createObjectStore("tasks", { keyPath: "id" }).createIndex("status", "status");
      }
      if (!db.objectStoreNames.contains("leases")) {
        db.createObjectStore("leases", { keyPath: "id" });
      }
    };
    request.onblocked = () => {
      if (settled) return;
      settled = true;
      reject(
        new DriverError(
          DRIVER,
          `IndexedDB database "${name}" is blocked: another tab keeps an older version of it ` +
            `open. Close or reload the other tabs of this site, then open the engine again`,
          { code: "DATABASE_BLOCKED" },
        ),
      );
    };
    request.onerror = () => fail(request.error);
    request.onsuccess = () => {
      const db = request.result;
      if (settled) {
        db.close();
        return;
      }
      if (!db.objectStoreNames.contains("tasks") || !db.objectStoreNames.contains("leases")) {
        db.close();
        fail(new DOMException("missing object stores", "NotFoundError"));
        return;
      }
      settled = true;
      let gone = false;
      const lose = (why: string) => {
        if (gone) return;
        gone = true;
        onGone(closedError(name, why));
      };
      db.onversionchange = (event) => {
        db.close();
        lose(
          event.newVersion === null
            ? "deleted by another tab or by clearing site data"
            : "upgraded by another tab",
        );
      };
      db.onclose = () => lose("closed by the browser (site data cleared or storage failure)");
      resolve(wrap(db) as unknown as Database);
    };
  });
}
