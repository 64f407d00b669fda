/**
 * One open store: the lock, the journal, the segments and the index, with
 * what runs on them besides a commit: recovery at open, the lazy load of the
 * finished segments, the background flush of relaxed durability, and
 * compaction.
 *
 * @module
 */

import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { type DriverContext, type StaterError, StoreCorruptError } from "../../src/driver.ts";
import { mapFsError } from "./_errors.ts";
import { headerFrame, linesFrame, readStoreFile, removeFile, replaceFile } from "./_file.ts";
import { StoreIndex } from "./_index.ts";
import { AppendFile } from "./_journal.ts";
import type { HeldLock } from "./_lock.ts";
import { parseLine } from "./_record.ts";
import { MERGE_ALWAYS, MERGE_LOADED, Segments } from "./_segments.ts";

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
  /** Set after a failure that leaves the file in an unknown state: commits refuse until reopened. */
  broken?: StaterError;
  /** The size of the previous batch: small batches use blocking calls, which are faster alone. */
  lastBatch: number;
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
): Promise<Session> {
  const names = await readdir(dir);
  for (const name of names) if (name.endsWith(".tmp")) await removeFile(join(dir, name));
  const segments = new Segments(dir);
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
  const session: Session = {
    dir,
    lock,
    index,
    journal: await AppendFile.open(path, size),
    segments,
    report: context.report,
    lastBatch: 0,
    dirty: false,
  };
  // A journal of format 1 is rewritten in this driver's format before anything is appended to it.
  if (read && read.header.v === 1) {
    try {
      await compact(session);
    } catch (error) {
      await session.journal.close().catch(() => {});
      throw error;
    }
  }
  return session;
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

/** The journal grows to at least this many bytes before a compaction. */
export const COMPACT_MIN = 2 * 1024 * 1024;

/** Moves finished tasks and deletes to a new segment and rewrites the journal with the active tasks only. */
export async function compact(s: Session): Promise<void> {
  await s.flushing;
  const { keep, move } = s.index.split();
  if (move.length > 0) await s.segments.write(move);
  const header = headerFrame("active");
  const body = keep.length > 0 ? linesFrame(keep) : new Uint8Array(0);
  const bytes = new Uint8Array(header.length + body.length);
  bytes.set(header);
  bytes.set(body, header.length);
  await replaceFile(s.journal.path, bytes);
  const old = s.journal;
  s.journal = await AppendFile.open(old.path, bytes.length);
  await old.close().catch(() => {});
  s.index.moved();
  const count = s.segments.numbers.length;
  if (count > MERGE_ALWAYS || (count > MERGE_LOADED && s.index.finished)) {
    await loadFinished(s);
    await s.segments.merge(s.index);
  }
}
