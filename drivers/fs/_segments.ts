/**
 * The finished segments: `done-000001.log`, `done-000002.log`, … Each holds
 * the lines a compaction moved out of the journal (finished tasks and
 * deletes), and is written whole and atomically, never appended to. Opening
 * a store only lists their names; they are read on the first request that
 * needs a finished task. When they pile up, they are merged into one that
 * `covers` the older numbers, which are then removed.
 *
 * @module
 */

import { join } from "node:path";
import { type FsFaults, replaceFault } from "./_faults.ts";
import { readStoreFile, removeFile, replaceFile, storeFileBytes } from "./_file.ts";
import { StoreIndex } from "./_index.ts";
import { type Entry, parseLine } from "./_record.ts";

const NAME = /^done-(\d{6,})\.log$/;

/** Segments kept before a merge, once their index is loaded anyway. */
export const MERGE_LOADED = 8;
/** Segments kept before a merge that loads their index on purpose. */
export const MERGE_ALWAYS = 64;

/** The finished segments of one store folder. */
export class Segments {
  /** Existing segment numbers, ascending. */
  numbers: number[] = [];

  constructor(readonly dir: string, private readonly faults: FsFaults = {}) {}

  /** Learns the segments from the folder's file names. */
  scan(names: readonly string[]): void {
    this.numbers = names.map((n) => NAME.exec(n)?.[1]).filter((n): n is string => n !== undefined)
      .map(Number).sort((a, b) => a - b);
  }

  /** The path of segment `n`. */
  path(n: number): string {
    return join(this.dir, `done-${String(n).padStart(6, "0")}.log`);
  }

  /**
   * Writes `lines` as a new segment; `covers`: the segments it replaces (a
   * merge). A failure may leave the new file in place, unnamed in `numbers`:
   * the next write replaces it, and until then every line it holds is still
   * in the journal or in the segments it covers.
   */
  async write(lines: readonly string[], covers?: number): Promise<void> {
    const n = (this.numbers.at(-1) ?? 0) + 1;
    const path = this.path(n);
    const extra = covers === undefined ? {} : { covers };
    await replaceFile(
      path,
      storeFileBytes("finished", lines, extra),
      replaceFault(this.faults, path),
    );
    this.numbers.push(n);
    if (covers !== undefined) await this.#drop(covers);
  }

  async #drop(covers: number): Promise<void> {
    for (const n of this.numbers.filter((x) => x <= covers)) await removeFile(this.path(n));
    this.numbers = this.numbers.filter((x) => x > covers);
  }

  /** Reads every segment into `index.finished`, oldest first. */
  async load(index: StoreIndex): Promise<void> {
    const finished = new Map<string, Entry>();
    const files = [];
    for (const n of this.numbers) {
      files.push({
        n,
        path: this.path(n),
        read: await readStoreFile(this.path(n), "finished", true),
      });
    }
    // A merge left its inputs behind when it was cut short: the merged segment covers them.
    const covered = Math.max(
      0,
      ...files.map((f) => (typeof f.read?.header.covers === "number" ? f.read.header.covers : 0)),
    );
    if (covered > 0) await this.#drop(covered);
    for (const { n, path, read } of files) {
      if (n <= covered || !read) continue;
      for (const { offset, text } of read.texts) {
        for (const line of text.split("\n")) {
          StoreIndex.applyFinished(finished, parseLine(line, path, offset));
        }
      }
    }
    index.finished = finished;
  }

  /** Merges all segments into one, from the loaded `index.finished`. */
  async merge(index: StoreIndex): Promise<void> {
    const last = this.numbers.at(-1);
    if (last === undefined || !index.finished) return;
    await this.write([...index.finished.values()].map((e) => e.line), last);
  }
}
