/**
 * What one driver knows of its own last commits, so that the next commit of
 * a task it runs needs no read and, most of the time, no check of its own.
 *
 * - For each record it wrote last: the versionstamp and head it left. A
 *   check on that versionstamp proves nobody wrote the record since.
 * - A chain of its operations. Every operation that writes records also
 *   rewrites the store's clock key. The driver applies its operations one
 *   after the other, each checking that the clock still carries the
 *   versionstamp the one before left: while that holds, nobody else wrote
 *   a record since the chain began, and every record this driver wrote in
 *   the chain is as it left it. One check on the clock then stands for all
 *   of them, which lets one operation carry far more records than Deno KV's
 *   10 or 100 checks would. When another engine moves the clock, that check
 *   fails and the chain ends; the driver then checks record by record for
 *   {@linkcode CLOCK_PAUSE_MS} before it starts a chain again, so that
 *   engines that share a busy store do not keep failing it.
 *
 * @module
 */

import type { Head } from "./_record.ts";

/** How long, in ms, the driver checks record by record after the clock moved under it. */
export const CLOCK_PAUSE_MS = 1000;

/** A record as this driver left it. */
export interface KnownRecord {
  /** The versionstamp of the operation that wrote it. */
  stamp: string;
  /** The head it was written with. */
  head: Head;
}

/** See the module doc. */
export class Known {
  /** Records kept at most; past it the memory starts over (reads fill it again). */
  static readonly MAX = 10_000;
  #records = new Map<string, KnownRecord>();
  #chain: { start: string; end: string } | undefined;
  #pausedUntil = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** The record `id` as this driver left it, if it knows. */
  get(id: string): KnownRecord | undefined {
    return this.#records.get(id);
  }

  /** Notes that the operation at `stamp` left record `id` with `head` (`null`: deleted). */
  set(id: string, stamp: string, head: Head | null): void {
    if (head === null) {
      this.#records.delete(id);
      return;
    }
    if (this.#records.size >= Known.MAX) this.#records.clear();
    this.#records.set(id, { stamp, head });
  }

  /** Forgets record `id` (a check on it failed: someone else wrote it). */
  forget(id: string): void {
    this.#records.delete(id);
  }

  /** Whether operations go one after the other in a chain (else a pause after a moved clock). */
  get chaining(): boolean {
    return this.now() >= this.#pausedUntil;
  }

  /** The chain running: where it began and the versionstamp the clock should carry now. */
  get chain(): { readonly start: string; readonly end: string } | undefined {
    return this.#chain;
  }

  /** An operation of the chain landed with `stamp` (the first starts the chain). */
  extend(stamp: string): void {
    if (this.#chain) this.#chain.end = stamp;
    else this.#chain = { start: stamp, end: stamp };
  }

  /** An operation was refused: another engine wrote; the chain ends and pauses. */
  clockMoved(): void {
    this.#chain = undefined;
    this.#pausedUntil = this.now() + CLOCK_PAUSE_MS;
  }
}
