/**
 * Where an upload's `Blob` is kept in a browser: a database of its own, apart
 * from the task's record.
 *
 * Why: the IndexedDB driver stores a state by structured clone, and Chromium
 * writes a `Blob` of a record out again on every `put` (10 to 30 ms for
 * 10 MiB, more for a larger file), so a state holding the file would copy it
 * at every chunk's commit. The first step of an upload moves the `Blob` here
 * (one `put`, under the upload key) and commits a state that names it; the
 * following commits are small. The step that sees the upload complete
 * deletes it, and so does the cleanup after `cancel()` and `remove()`.
 *
 * Opened at first use, from `indexedDB` (a page, a worker, a service worker).
 *
 * @module
 */

const STORE = "files";

function request<T>(make: () => IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const pending = make();
    pending.onsuccess = () => resolve(pending.result);
    pending.onerror = () => reject(pending.error);
  });
}

/** Blobs by upload key, in the IndexedDB database `name`. */
export class KeptFiles {
  readonly name: string;
  #db: Promise<IDBDatabase> | undefined;
  /** The Blobs this context read, so that a step does not read its file again. */
  #known = new Map<string, Blob>();
  /** The Blobs being written, by key. */
  #writing = new Map<string, Blob>();

  constructor(name: string) {
    this.name = name;
  }

  /** Whether this platform has IndexedDB to keep files in. */
  static available(): boolean {
    return typeof indexedDB === "object" && indexedDB !== null;
  }

  #open(): Promise<IDBDatabase> {
    this.#db ??= new Promise<IDBDatabase>((resolve, reject) => {
      const opening = indexedDB.open(this.name, 1);
      opening.onupgradeneeded = () => opening.result.createObjectStore(STORE);
      opening.onsuccess = () => {
        const db = opening.result;
        // Another tab deleting or upgrading the database: let go, open again next time.
        db.onversionchange = () => {
          db.close();
          this.#db = undefined;
        };
        resolve(db);
      };
      opening.onerror = () => reject(opening.error);
      opening.onblocked = () => reject(new Error(`the database "${this.name}" is blocked`));
    }).catch((error) => {
      this.#db = undefined;
      throw error;
    });
    return this.#db;
  }

  async #change(
    change: (store: IDBObjectStore) => void,
    durability: IDBTransactionDurability,
  ): Promise<void> {
    const db = await this.#open();
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction(STORE, "readwrite", { durability });
      change(tx.objectStore(STORE));
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }

  /**
   * Keeps `blob` under `key`; resolves once it is committed. Until then,
   * `get(key)` in this context answers with `blob` itself, so an upload may
   * start before its file is written.
   */
  async put(key: string, blob: Blob): Promise<void> {
    this.#writing.set(key, blob);
    try {
      await this.#change((store) => store.put(blob, key), "strict");
    } finally {
      if (this.#writing.get(key) === blob) this.#writing.delete(key);
    }
    // The written copy is read back next, which stays readable if the picked file changes.
  }

  /** The Blob kept under `key`, or `undefined`. */
  async get(key: string): Promise<Blob | undefined> {
    const known = this.#writing.get(key) ?? this.#known.get(key);
    if (known) return known;
    const db = await this.#open();
    const blob = await request(() => db.transaction(STORE).objectStore(STORE).get(key));
    if (blob instanceof Blob) this.#known.set(key, blob);
    return blob instanceof Blob ? blob : undefined;
  }

  /**
   * Deletes what is kept under `key` (nothing there is fine). Relaxed: a
   * power cut right after it may leave the file behind, never lose one.
   */
  async delete(key: string): Promise<void> {
    this.#known.delete(key);
    await this.#change((store) => store.delete(key), "relaxed");
  }
}

const opened = new Map<string, KeptFiles>();

/** The kept files of database `name` (one instance per name in this context). */
export function keptFiles(name: string): KeptFiles {
  let files = opened.get(name);
  if (!files) opened.set(name, files = new KeptFiles(name));
  return files;
}
