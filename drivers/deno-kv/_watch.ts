/**
 * Commits of other engines, for `subscribe`. Every commit rewrites the key
 * `[...prefix, "clock"]`; while someone listens, the driver reads that one
 * key every `pollMs`. When it changed, the driver scans the status index of
 * the unfinished statuses (pending, running, paused) and compares each
 * entry's versionstamp with the last scan; for a running task of another
 * owner, whose steps leave the index entry as it is (`_plan.ts`), it reads
 * the record's main entry too and compares that one's versionstamp. A change
 * written by another owner becomes a `commit` event with the record, an
 * entry that left those statuses becomes a `commit` event (it finished) or
 * a `removed` one (it is gone). Events may be coalesced: a listener learns the latest
 * record, not every revision. Progress, messages and removals that
 * engines publish come through {@linkcode EventReader} (`_event_reader.ts`),
 * read in the same poll after the commits and heard before them.
 *
 * The poll's timer does not keep the process alive (`../_timer.ts`): an
 * engine with nothing else to do lets its process end.
 *
 * @module
 */

import type { DriverEvent, TaskStatus } from "../../src/driver.ts";
import type { IdKey, Keys } from "./_keys.ts";
import type { KvEntryMaybe, KvLike } from "./_kv.ts";
import { getAll, readLoaded, whereOf } from "./_read.ts";
import { parseHead } from "./_record.ts";
import type { EventReader } from "./_event_reader.ts";
import { backgroundTimeout } from "../_timer.ts";

const ACTIVE: TaskStatus[] = ["pending", "running", "paused"];

interface Seen {
  idKey: IdKey;
  /** The index entry's versionstamp, and for a running task of another owner its record's. */
  stamp: string;
  work: string;
  owner: string;
  status: TaskStatus;
  /** The record's main entry, when it was read. */
  entry?: KvEntryMaybe;
}

function mapKey(idKey: IdKey): string {
  return typeof idKey === "string" ? `s${idKey}` : `b${Array.from(idKey).join(",")}`;
}

/** Polls a store for the commits of other engines. */
export class ChangeFeed {
  #listeners = new Set<(event: DriverEvent) => void>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #clock: string | null | undefined;
  #seen = new Map<string, Seen>();
  #running = false;
  /** Bumped by `stop()`, so a poll in flight when the store closes reports nothing. */
  #generation = 0;

  constructor(
    private readonly kv: KvLike,
    private readonly keys: Keys,
    private readonly owner: string,
    private readonly pollMs: number,
    private readonly report: (error: unknown) => void,
    private readonly events: EventReader,
  ) {}

  /** Adds a listener; returns a function that removes it. */
  subscribe(listener: (event: DriverEvent) => void): () => void {
    this.#listeners.add(listener);
    if (this.#listeners.size === 1) this.#schedule(0);
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.stop();
    };
  }

  /** Stops polling. */
  stop(): void {
    this.#generation++;
    this.#listeners.clear();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#clock = undefined;
    this.#seen.clear();
    this.events.reset();
  }

  #schedule(ms: number): void {
    // The poll alone does not keep the process alive (see ../_timer.ts).
    this.#timer = backgroundTimeout(() => {
      this.#timer = undefined;
      if (this.#running) return;
      this.#running = true;
      const generation = this.#generation;
      this.#poll().catch((error) => {
        if (generation === this.#generation) this.report(error);
      }).finally(() => {
        this.#running = false;
        if (this.#listeners.size > 0 && this.#timer === undefined) this.#schedule(this.pollMs);
      });
    }, ms);
  }

  async #poll(): Promise<void> {
    // Commits are read first and heard last. Events ride in their commit's
    // atomic operation (or an earlier one), so the events read after the
    // commits include those of every commit read: a step's messages are
    // heard before its commit.
    const commits = await this.#commits();
    const events = await this.events.read();
    for (const event of [...events, ...commits]) {
      if (this.#listeners.size === 0) return;
      for (const listener of [...this.#listeners]) listener(event);
    }
  }

  /** The commits of other engines since the last poll, when the clock moved. */
  async #commits(): Promise<DriverEvent[]> {
    const clock = (await this.kv.get(this.keys.clock)).versionstamp;
    const first = this.#clock === undefined;
    if (!first && clock === this.#clock) return [];
    this.#clock = clock;
    const now = new Map<string, Seen>();
    for (const status of ACTIVE) {
      for await (
        const entry of this.kv.list({ prefix: this.keys.statuses(status) }, { batchSize: 500 })
      ) {
        const idKey = entry.key[entry.key.length - 1] as IdKey;
        const { head } = parseHead(entry.value, `the index entry of ${whereOf(idKey)}`);
        now.set(mapKey(idKey), {
          idKey,
          stamp: entry.versionstamp!,
          work: head.work,
          owner: head.owner,
          status,
        });
      }
    }
    const stepping = [...now.values()].filter((seen) =>
      seen.status === "running" && seen.owner !== this.owner
    );
    const mains = await getAll(this.kv, stepping.map((seen) => this.keys.task(seen.idKey)));
    stepping.forEach((seen, index) => {
      seen.entry = mains[index]!;
      seen.stamp += `/${seen.entry.versionstamp}`;
    });
    const before = this.#seen;
    this.#seen = now;
    // The first poll announces every unfinished task another engine wrote:
    // one committed between the engine's opening list and this poll would
    // otherwise go unheard until it changes again (the engine takes the
    // tasks it already knows as they are).
    const changed: Seen[] = [];
    for (const [key, seen] of now) {
      if (before.get(key)?.stamp !== seen.stamp && seen.owner !== this.owner) changed.push(seen);
    }
    if (!first) {
      // Gone from the unfinished statuses: read afresh, not as the last scan found it.
      for (const [key, seen] of before) {
        if (!now.has(key)) changed.push({ ...seen, entry: undefined });
      }
    }
    const events: DriverEvent[] = [];
    for (const seen of changed) {
      if (this.#listeners.size === 0) break;
      const loaded = await readLoaded(this.kv, this.keys, seen.idKey, seen.entry);
      if (loaded) {
        if (loaded.head.owner !== this.owner) {
          events.push({ type: "commit", owner: loaded.head.owner, record: loaded.record });
        }
      } else if (typeof seen.idKey === "string") {
        events.push({ type: "removed", owner: "", id: seen.idKey, work: seen.work });
      }
    }
    return events;
  }
}
