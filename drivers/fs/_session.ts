/**
 * One open store: the lock, the journal, the segments and the index, with
 * what runs on them besides a commit: recovery at open, the lazy load of the
 * finished segments, and the background flush of relaxed durability.
 * Compaction is in `_compact.ts`.
 *
 * @module
 */

import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { type DriverContext, type StaterError, StoreCorruptError } from "../../src/driver.ts";
import { mapFsError } from "./_errors.ts";
import type { FsFaults } from "./_faults.ts";
import { headerFrame, readStoreFile, removeFile, replaceFile } from "./_file.ts";
import { StoreIndex } from "./_index.ts";
import { AppendFile } from "./_journal.ts";
import type { HeldLock } from "./_lock.ts";
import { LoopWatch } from "./_loop.ts";
import { parseLine } from "./_record.ts";
import { Segments } from "./_segments.ts";

/** An open store. */
export interface Session {
  /** The store folder, resolved. */
  dir: string;
  /** The store lock this driver holds. */
  lock: HeldLock;
  /** What is known in memory. */
  index: StoreIndex;
  /** The journal, open for appending. */
  journal: AppendFile;
  /** The finished segments. */
  segments: Segments;
  /** The engine's report of background trouble. */
  report(error: unknown): void;
  /** Set after a failure that leaves the files in an unknown state: commits are refused until `recover` succeeds. */
  broken?: StaterError;
  /** The format of the journal as it was found at open (1: to be rewritten before any append). */
  format: number;
  /** Failures injected by tests. */
  faults: FsFaults;
  /** The size of the previous batch: small batches use blocking calls, which are faster alone. */
  lastBatch: number;
  /** How long blocking commits have held the event loop, so that they hold it for `maxBlockMs` at most. */
  loop: LoopWatch;
  /** The load of the finished segments, once started. */
  loading?: Promise<void>;
  /** The background flush (relaxed durability), while it runs. */
  flushing?: Promise<void>;
  /** Whether bytes were written since the background flush started its last fdatasync. */
  dirty: boolean;
}

/** Reads the journal of the store in `dir` (whose lock is held) and opens it for appending. */
export async function openSession(
  dir: string,
  lock: HeldLock,
  context: DriverContext,
  faults: FsFaults,
  maxBlockMs: number,
): Promise<Session> {
  const names = await readdir(dir);
  for (const name of names) if (name.endsWith(".tmp")) await removeFile(join(dir, name));
  const segments = new Segments(dir, faults);
  segments.scan(names);
  const path = join(dir, "active.log");
  const index = new StoreIndex();
  const read = await readStoreFile(path, "active");
  let size: number;
  if (!read) {
    const header = headerFrame("active");
    await replaceFile(path, header);
    size = header.length;
  } else {
    for (const { offset, text } of read.texts) {
      for (const line of text.split("\n")) index.applyJournal(parseLine(line, path, offset));
    }
    if (read.torn) {
      context.report(
        new StoreCorruptError(
          `The fs driver dropped an incomplete commit at the end of ${path} (${read.torn}), left by a crash while ` +
            `it was written; every commit before it is intact`,
          { file: path, offset: read.end },
        ),
      );
    }
    size = read.end;
  }
  return {
    dir,
    lock,
    index,
    journal: await AppendFile.open(path, size),
    segments,
    report: context.report,
    format: typeof read?.header.v === "number" ? read.header.v : 2,
    faults,
    lastBatch: 0,
    loop: new LoopWatch(maxBlockMs, faults.now),
    dirty: false,
  };
}

/** Loads the finished segments' index, once. */
export function loadFinished(s: Session): Promise<void> {
  if (s.index.finished) return Promise.resolve();
  s.loading ??= s.segments.load(s.index).catch((error) => {
    s.loading = undefined;
    s.index.finished = undefined;
    throw mapFsError(error, `read the finished tasks in ${s.dir}`);
  });
  return s.loading;
}

/** Flushes the journal in the background (relaxed durability), as long as bytes keep coming. */
export function flushLater(s: Session): void {
  s.dirty = true;
  s.flushing ??= (async () => {
    while (s.dirty && !s.broken) {
      s.dirty = false;
      try {
        await s.journal.flush(false);
      } catch (error) {
        s.broken = mapFsError(error, `flush ${s.journal.path} to the disk`);
        s.report(s.broken);
      }
    }
    s.flushing = undefined;
  })();
}
