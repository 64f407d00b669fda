/**
 * What the driver knows in memory: for each id in the journal (`active.log`)
 * its latest line, and, loaded on first need, the same for the finished
 * segments (`done-*.log`). The journal is newer than every segment: an id in
 * the journal is answered from it, an id missing there from the segments.
 *
 * Active tasks (pending, running, paused) always have their latest line in
 * the journal, so listing them never needs the segments: that is what keeps
 * opening O(active tasks).
 *
 * @module
 */

import { FINISHED_STATUSES, type TaskStatus } from "../../src/driver.ts";
import { deleteLine, type Entry, type Line } from "./_record.ts";

/** Whether a task in `status` never steps again by itself. */
export function isFinished(status: TaskStatus): boolean {
  return FINISHED.has(status);
}

const FINISHED = new Set(FINISHED_STATUSES);

/** The in-memory index of a store. */
export class StoreIndex {
  /** The latest line of each id in the journal; `null`: deleted. */
  readonly journal = new Map<string, Entry | null>();
  /** The latest entry of each id in the finished segments, once loaded. */
  finished: Map<string, Entry> | undefined;
  /** Characters of the journal's lines for active tasks: what a compaction keeps. */
  activeChars = 0;
  /** Journal ids whose latest line is finished or a delete: what a compaction moves out. */
  movable = 0;

  /** Applies a journal line (replayed at open). */
  applyJournal(line: Line): void {
    if (line.put) this.set(line.put.id, line.put);
    else this.set(line.deleted, null);
  }

  /** Sets the latest journal entry of `id` (`null`: deleted), as a commit does. */
  set(id: string, entry: Entry | null): void {
    this.#count(this.journal.get(id), -1);
    this.journal.set(id, entry);
    this.#count(entry, 1);
  }

  #count(entry: Entry | null | undefined, sign: 1 | -1): void {
    if (entry === undefined) return;
    if (entry === null || isFinished(entry.status)) this.movable += sign;
    else this.activeChars += sign * entry.line.length;
  }

  /** Applies a line of a finished segment to `map` (the segments' index), older lines first. */
  static applyFinished(map: Map<string, Entry>, line: Line): void {
    if (line.put) map.set(line.put.id, line.put);
    else map.delete(line.deleted);
  }

  /**
   * The entry of `id`: from the journal, else from the segments; `undefined` when the segments are
   * needed but not loaded.
   */
  lookup(id: string): Entry | null | undefined {
    const entry = this.journal.get(id);
    if (entry !== undefined) return entry;
    if (!this.finished) return undefined;
    return this.finished.get(id) ?? null;
  }

  /**
   * Every current entry matching the filter; `finished` must be loaded when `activeOnly` is false.
   */
  *entries(activeOnly: boolean): Iterable<Entry> {
    for (const entry of this.journal.values()) {
      if (entry && (!activeOnly || !isFinished(entry.status))) yield entry;
    }
    if (activeOnly || !this.finished) return;
    for (const [id, entry] of this.finished) if (!this.journal.has(id)) yield entry;
  }

  /**
   * Splits the journal for a compaction: the lines to keep in it, and those to move to a segment.
   */
  split(): { keep: string[]; move: string[] } {
    const keep: string[] = [];
    const move: string[] = [];
    for (const [id, entry] of this.journal) {
      if (entry === null) move.push(deleteLine(id));
      else (isFinished(entry.status) ? move : keep).push(entry.line);
    }
    return { keep, move };
  }

  /**
   * After a compaction: moved ids leave the journal (and join the segments' index when it is
   * loaded).
   */
  moved(): void {
    for (const [id, entry] of this.journal) {
      if (entry !== null && !isFinished(entry.status)) continue;
      this.journal.delete(id);
      if (this.finished) {
        StoreIndex.applyFinished(this.finished, entry ? { put: entry } : { deleted: id });
      }
    }
    this.movable = 0;
  }
}
