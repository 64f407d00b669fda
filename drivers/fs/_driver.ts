/**
 * The fs driver itself: options, the order of operations (one at a time),
 * compare-and-set commits written as one frame and one fdatasync, and reads.
 * The store's files are described in README.md.
 *
 * @module
 */

import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import {
  checkStorable,
  type Driver,
  type DriverContext,
  DriverError,
  durabilityOption,
  type ListQuery,
  serial,
  type TaskRecord,
  type Write,
  writeId,
  type WriteResult,
} from "../../src/driver.ts";
import { mapFsError } from "./_errors.ts";
import { isFinished } from "./_index.ts";
import { takeLock } from "./_lock.ts";
import { deleteLine, type Entry, putLine, readRecord } from "./_record.ts";
import { compact, compactionDue, recover } from "./_compact.ts";
import type { FsFaults } from "./_faults.ts";
import { flushLater, loadFinished, openSession, type Session } from "./_session.ts";
import type { FsDriverOptions } from "./_options.ts";

export type { FsFaults };

function blockOption(value: unknown): number {
  if (value === undefined) return 1;
  if (typeof value !== "number") {
    throw new TypeError(
      `fsDriver's maxBlockMs must be a number of milliseconds, got ${typeof value}`,
    );
  }
  if (!(value >= 0)) {
    throw new RangeError(`fsDriver's maxBlockMs must be 0 or more (0: never block), got ${value}`);
  }
  return value;
}

/** Builds the driver; `faults` is for tests. */
export function createFsDriver(options: FsDriverOptions, faults: FsFaults = {}): Driver {
  if (
    typeof options !== "object" || options === null || typeof options.dir !== "string" ||
    options.dir === ""
  ) {
    throw new TypeError(
      'fsDriver() needs { dir }: the folder of the store, such as fsDriver({ dir: ".stater" })',
    );
  }
  const strict = durabilityOption("fsDriver", options.durability) === "strict";
  const maxBlockMs = blockOption(options.maxBlockMs);
  let session: Session | undefined;
  /** Runs each operation after every earlier one settled. */
  const exclusive = serial();

  function live(): Session {
    if (!session) {
      throw new DriverError(
        "fs",
        `The fs driver for ${options.dir} is not open: hand it to createEngine(), which opens it`,
        { code: "NOT_OPEN" },
      );
    }
    return session;
  }

  async function commit(writes: readonly Write[]): Promise<WriteResult[]> {
    const s = live();
    // After a failure of unknown outcome nothing is acknowledged until the files are known again.
    if (s.broken) await recover(s);
    const results: WriteResult[] = [];
    const staged = new Map<string, Entry | null>();
    const lines: string[] = [];
    for (const write of writes) {
      const id = writeId(write);
      let current = staged.has(id) ? staged.get(id) : s.index.lookup(id);
      if (current === undefined && (write.type === "put" || write.expectRev !== undefined)) {
        await loadFinished(s);
        current = s.index.lookup(id);
      }
      if (write.expectRev !== undefined && write.expectRev !== (current?.rev ?? 0)) {
        results.push({ ok: false, conflict: true });
        continue;
      }
      if (write.type === "delete") {
        staged.set(id, null);
        lines.push(deleteLine(id));
        results.push({ ok: true });
        continue;
      }
      try {
        const entry = putLine(write.record);
        staged.set(id, entry);
        lines.push(entry.line);
        results.push({ ok: true });
      } catch (error) {
        results.push({
          ok: false,
          error: error instanceof Error ? error : new Error(String(error)),
        });
      }
    }
    if (lines.length === 0) return results;
    const text = lines.join("\n");
    const lone = writes.length === 1 && s.lastBatch === 1;
    s.lastBatch = writes.length;
    const sync = lone && s.loop.mayBlock;
    const turn = sync ? s.loop.due() : undefined;
    if (turn) await turn;
    const started = lone ? s.loop.now() : 0;
    try {
      faults.beforeAppend?.(s.journal.path);
      await s.journal.append(text, sync);
    } catch (error) {
      const mapped = mapFsError(error, `append a commit to ${s.journal.path}`);
      if (s.journal.damaged) s.broken = mapped;
      throw mapped;
    }
    if (strict) {
      try {
        await s.journal.flush(sync);
      } catch (error) {
        // After a failed fdatasync the written bytes may or may not be on the disk: recover first.
        throw (s.broken = mapFsError(error, `flush ${s.journal.path} to the disk`));
      }
    } else flushLater(s);
    if (lone) s.loop.took(s.loop.now() - started);
    for (const [id, entry] of staged) {
      s.index.applyJournal(entry ? { put: entry } : { deleted: id });
    }
    if (compactionDue(s)) {
      // The commit stands (it is in the journal, and in memory). A compaction that failed before
      // replacing the journal leaves a longer one and is tried again later; one that failed after
      // it marked the session broken, and the next commit recovers first.
      await compact(s).catch((error) => s.report(mapFsError(error, `compact ${s.journal.path}`)));
    }
    return results;
  }

  async function open(context: DriverContext): Promise<void> {
    if (session) {
      throw new DriverError(
        "fs",
        `The fs driver for ${options.dir} is already open: give each engine its own fsDriver()`,
        { code: "ALREADY_OPEN" },
      );
    }
    const dir = resolve(options.dir);
    try {
      await mkdir(dir, { recursive: true });
    } catch (error) {
      throw mapFsError(error, `create the store folder ${dir}`);
    }
    const lock = await takeLock(dir, context.owner);
    try {
      session = await openSession(dir, lock, context, faults, maxBlockMs);
      // A journal of format 1 is rewritten in this driver's format before anything is appended.
      if (session.format === 1) await compact(session);
    } catch (error) {
      await session?.journal.close().catch(() => {});
      session = undefined;
      await lock.release().catch(() => {});
      throw mapFsError(error, `open the store in ${dir}`);
    }
  }

  async function close(): Promise<void> {
    const s = session;
    if (!s) return;
    session = undefined;
    try {
      await s.flushing;
      if (s.broken) await recover(s).catch((error) => s.report(error));
      else if (s.index.movable > 0 || s.journal.size > 2 * s.index.activeChars + 65536) {
        await compact(s).catch((error) => s.report(mapFsError(error, `compact ${s.journal.path}`)));
      } else if (!strict) await s.journal.flush(false);
    } finally {
      await s.journal.close().catch(() => {});
      await s.lock.release();
    }
  }

  async function find(id: string): Promise<TaskRecord | undefined> {
    const s = live();
    let entry = s.index.lookup(id);
    if (entry === undefined) {
      await exclusive(() => loadFinished(s));
      entry = s.index.lookup(id);
    }
    return entry ? readRecord(entry, s.journal.path) : undefined;
  }

  async function list(query: ListQuery = {}): Promise<TaskRecord[]> {
    const s = live();
    const activeOnly = query.status !== undefined &&
      query.status.every((status) => !isFinished(status));
    if (!activeOnly) await exclusive(() => loadFinished(s));
    const out: TaskRecord[] = [];
    for (const entry of s.index.entries(activeOnly)) {
      if (query.status && !query.status.includes(entry.status)) continue;
      if (query.work !== undefined && entry.work !== query.work) continue;
      out.push(readRecord(entry, s.journal.path));
    }
    return out;
  }

  return {
    name: "fs",
    open: (context) => exclusive(() => open(context)),
    close: () => exclusive(close),
    get: find,
    list,
    commit: (writes) => exclusive(() => commit(writes)),
    check(value: unknown, path: string): void {
      checkStorable(value, path);
    },
  };
}
