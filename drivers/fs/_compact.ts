/**
 * Compaction, and recovery after a failure whose outcome on the disk is not
 * known.
 *
 * A compaction writes the finished tasks and deletes as a new segment, then
 * the journal anew with the active tasks' latest lines, each file written
 * whole, flushed, renamed into place and the folder flushed. Until the new
 * journal's rename, a failure leaves the journal as it was, still the file
 * in the folder, so commits go on into it. From the rename on, a failure
 * leaves it unknown which file the folder holds, and appending to the old
 * one could acknowledge commits into a file no longer in the folder: the
 * session is marked broken and refuses commits until {@linkcode recover}
 * has rewritten the journal from what is known in memory (every
 * acknowledged commit) and read it back.
 *
 * @module
 */

import { DriverError } from "../../src/driver.ts";
import { mapFsError } from "./_errors.ts";
import { replaceFault } from "./_faults.ts";
import { installTemp, readStoreFile, storeFileBytes, writeTemp } from "./_file.ts";
import { AppendFile } from "./_journal.ts";
import { MERGE_ALWAYS, MERGE_LOADED } from "./_segments.ts";
import { loadFinished, type Session } from "./_session.ts";

/** The journal grows to at least this many bytes before a compaction. */
export const COMPACT_MIN = 2 * 1024 * 1024;

/** Whether the journal is due for a compaction after a commit. */
export function compactionDue(s: Session): boolean {
  const min = s.faults.compactMinBytes ?? COMPACT_MIN;
  return s.journal.size > min && s.journal.size > 3 * s.index.activeChars;
}

/** Replaces the journal with `bytes`; from the rename on, a failure marks the session broken. */
async function replaceJournal(s: Session, bytes: Uint8Array): Promise<void> {
  const path = s.journal.path;
  const fault = replaceFault(s.faults, path);
  const tmp = await writeTemp(path, bytes, fault);
  let journal: AppendFile | undefined;
  try {
    await installTemp(tmp, path, fault);
    fault?.("before-reopen");
    journal = await AppendFile.open(path, bytes.length);
    fault?.("after-reopen");
  } catch (error) {
    await journal?.close().catch(() => {});
    // The folder may hold the new journal: the old one, still open here, may be gone from it.
    throw (s.broken = mapFsError(error, `replace ${path} with its compacted form`));
  }
  const old = s.journal;
  s.journal = journal;
  await old.close().catch(() => {});
}

/** Moves finished tasks and deletes to a new segment and rewrites the journal with the active tasks only. */
export async function compact(s: Session): Promise<void> {
  await s.flushing;
  const { keep, move } = s.index.split();
  if (move.length > 0) await s.segments.write(move);
  await replaceJournal(s, storeFileBytes("active", keep));
  s.index.moved();
  const count = s.segments.numbers.length;
  if (count > MERGE_ALWAYS || (count > MERGE_LOADED && s.index.finished)) {
    await loadFinished(s);
    await s.segments.merge(s.index);
  }
}

/** Reads the journal back and checks that it holds exactly the active tasks' lines known in memory. */
async function verify(s: Session): Promise<void> {
  const path = s.journal.path;
  const read = await readStoreFile(path, "active");
  const lines = read?.texts.flatMap(({ text }) => text.split("\n")) ?? [];
  const expected = [...s.index.journal.values()];
  if (
    read?.torn || lines.length !== expected.length ||
    lines.some((line, i) => line !== expected[i]?.line)
  ) {
    throw new DriverError(
      "fs",
      `The fs driver read back ${path} after rewriting it and found other records than it wrote: ` +
        `check the disk`,
      { code: "EIO" },
    );
  }
}

/**
 * Brings a broken session back: rewrites the journal from memory, reads it
 * back, and clears `broken`. On failure the session stays broken and the
 * error says that commits are refused until a later try succeeds.
 */
export async function recover(s: Session): Promise<void> {
  const earlier = s.broken!;
  try {
    await compact(s);
    await verify(s);
    s.broken = undefined;
  } catch (error) {
    s.broken = earlier;
    const mapped = mapFsError(error, `rewrite ${s.journal.path}`);
    throw new DriverError(
      "fs",
      `The fs driver refuses commits to ${s.dir} until it has rewritten its journal and read it ` +
        `back, after a failure that left the files in an unknown state (${earlier.message}); the ` +
        `last try failed too (${mapped.message}). The next commit tries again; every acknowledged ` +
        `commit is kept`,
      { code: mapped.code === "DRIVER_ERROR" ? earlier.code : mapped.code, cause: mapped },
    );
  }
}
