/**
 * Progress reports, messages and removals between engines on one store:
 * the reading side. Each engine's entries `[...prefix, "events", owner,
 * seq]` are written by its outbox (`_outbox.ts`); an engine reads the
 * entries of the others that are newer than the last it saw of each, when
 * `[...prefix, "events-clock"]` moved.
 *
 * @module
 */

import { decode, type DriverEvent } from "../../src/driver.ts";
import type { Keys } from "./_keys.ts";
import type { KvLike } from "./_kv.ts";

const fromUtf8 = new TextDecoder();

/**
 * Reads the events other engines wrote since the last read. It keeps the
 * last entry it saw of each owner that has entries in the store; an owner
 * whose entries are all gone (expired or deleted: an engine that stopped,
 * or restarted under a new owner id) is forgotten, since whatever it writes
 * later is new. So what it keeps is bounded by the store's entries, not by
 * how many engines ever wrote there.
 */
export class EventReader {
  /** The last entry seen of each owner listed at the last read; undefined before the first one. */
  #seen: Map<string, number> | undefined;
  #clock: string | null | undefined;

  constructor(
    private readonly kv: KvLike,
    private readonly keys: Keys,
    private readonly owner: string,
  ) {}

  /** How many owners' positions it keeps. */
  get owners(): number {
    return this.#seen?.size ?? 0;
  }

  /** Forgets where each owner was: the next read starts afresh. */
  reset(): void {
    this.#seen = undefined;
    this.#clock = undefined;
  }

  /**
   * The events written by other engines since the last call, in the order
   * each wrote them. The first call only notes where each owner is: what
   * was written before the engine started listening is not replayed.
   */
  async read(): Promise<DriverEvent[]> {
    const clock = (await this.kv.get(this.keys.eventsClock)).versionstamp;
    const first = this.#seen === undefined;
    if (!first && clock === this.#clock) return [];
    this.#clock = clock;
    const seen = this.#seen ?? new Map<string, number>();
    const fresh: { owner: string; seq: number; value: Uint8Array }[] = [];
    for await (const entry of this.kv.list({ prefix: this.keys.events }, { batchSize: 500 })) {
      const owner = entry.key[entry.key.length - 2];
      const seq = entry.key[entry.key.length - 1];
      if (typeof owner !== "string" || typeof seq !== "number" || owner === this.owner) continue;
      if (!(entry.value instanceof Uint8Array)) continue;
      fresh.push({ owner, seq, value: entry.value });
    }
    const out: DriverEvent[] = [];
    // Only the owners listed now: one with no entry left has nothing more to replay.
    const latest = new Map<string, number>();
    for (const { owner, seq, value } of fresh) {
      const known = seen.get(owner) ?? -Infinity;
      latest.set(owner, Math.max(latest.get(owner) ?? known, seq));
      if (first || seq <= known) continue;
      try {
        out.push(...(decode(fromUtf8.decode(value)) as DriverEvent[]));
      } catch { /* an entry this stater cannot read: skip it */ }
    }
    this.#seen = latest;
    return out;
  }
}
