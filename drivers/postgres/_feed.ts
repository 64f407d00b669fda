/**
 * Other engines' changes, for `subscribe`. Notifications (`_outbox.ts`)
 * are handled one after the other, in the order they arrived: events are
 * delivered as they are; committed keys are read (consecutive ones in one
 * read) and delivered as `commit` events with the whole record, so a
 * listener learns the latest record of a task, and a step's messages come
 * before its commit.
 *
 * Without notifications (`listen: false`), and after the listening
 * connection came back (notifications sent meanwhile are lost), the feed
 * scans the unfinished tasks (pending, running, paused: through the status
 * index) and compares their revisions with the last scan: a changed task
 * becomes a `commit` event, one that left those statuses a `commit` event
 * (it finished) or a `removed` one (it is gone).
 *
 * @module
 */

import { decode, type DriverEvent } from "../../src/driver.ts";
import type { Database } from "./_pg.ts";
import { recordOf } from "./_record.ts";
import type { Names } from "./_schema.ts";

const ACTIVE = ["pending", "running", "paused"];

type Item = { events: DriverEvent[] } | { keys: Set<string> } | { freed: string[] };

interface Seen {
  rev: number;
  work: string;
}

/** The id of a row key, when the key is an escaped id (not a hashed one). */
function idOfKey(key: string): string | undefined {
  if (key.includes("\u0001")) return undefined;
  try {
    return JSON.parse(`"${key}"`);
  } catch {
    return undefined;
  }
}

/** Turns notifications and scans into driver events. */
export class Feed {
  readonly #listeners = new Set<(event: DriverEvent) => void>();
  #queue: Item[] = [];
  #working = false;
  #idle: (() => void)[] = [];
  #seen: Map<string, Seen> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(
    private readonly db: Database,
    private readonly names: Names,
    private readonly owner: string,
    private readonly report: (error: unknown) => void,
    /** Leases freed by others: waiting engines try them. */
    private readonly freed: (keys: string[]) => void,
    /** Poll every this many ms; undefined: only when asked (`rescan`). */
    private readonly pollMs: number | undefined,
  ) {}

  /** Adds a listener; returns a function that removes it. */
  subscribe(listener: (event: DriverEvent) => void): () => void {
    this.#listeners.add(listener);
    if (this.pollMs !== undefined && this.#listeners.size === 1) this.#poll(0);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Stops: nothing more is delivered. */
  stop(): void {
    this.#stopped = true;
    this.#listeners.clear();
    this.#queue = [];
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }

  /** Handles one notification payload. */
  hear(payload: string): void {
    if (this.#stopped) return;
    try {
      const kind = payload[0];
      if (kind === "f") {
        // In order: a lease is taken over only once the holder's commits before it were heard.
        const freed = JSON.parse(payload.slice(1)) as string[];
        return this.#listeners.size === 0 ? this.freed(freed) : this.#push({ freed });
      }
      if (this.#listeners.size === 0) return;
      if (kind === "c") {
        const [owner, keys] = JSON.parse(payload.slice(1)) as [string, string[]];
        if (owner !== this.owner) this.#push({ keys: new Set(keys) });
      } else if (kind === "e") {
        const newline = payload.indexOf("\n");
        if (JSON.parse(payload.slice(1, newline)) === this.owner) return;
        this.#push({ events: decode(payload.slice(newline + 1)) as DriverEvent[] });
      }
    } catch {
      // A payload this stater cannot read (another version's): skip it.
    }
  }

  /**
   * Notes a record the engine read by itself (`get`, `list`), so that a scan
   * tells when it leaves the unfinished statuses or goes, even if no scan saw
   * it before.
   */
  saw(key: string, record: { rev: number; work: string; status: string }): void {
    if (this.pollMs === undefined || !ACTIVE.includes(record.status)) return;
    (this.#seen ??= new Map()).set(key, { rev: record.rev, work: record.work });
  }

  /** Resolves once everything heard so far has been delivered. */
  idle(): Promise<void> {
    if (!this.#working && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Scans the unfinished tasks for changes (after a reconnection). */
  rescan(): void {
    if (!this.#stopped && this.#listeners.size > 0) void this.#scan().catch(this.report);
  }

  #poll(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#scan().catch((error) => this.report(error)).finally(() => {
        if (!this.#stopped && this.#listeners.size > 0) this.#poll(this.pollMs!);
      });
    }, ms);
  }

  #push(item: Item): void {
    const last = this.#queue[this.#queue.length - 1];
    if (last && "keys" in last && "keys" in item) {
      for (const key of item.keys) last.keys.add(key);
    } else this.#queue.push(item);
    if (!this.#working) void this.#work();
  }

  async #work(): Promise<void> {
    this.#working = true;
    try {
      while (this.#queue.length > 0 && !this.#stopped) {
        const item = this.#queue.shift()!;
        if ("freed" in item) {
          this.freed(item.freed);
          continue;
        }
        const events = "events" in item ? item.events : await this.#read([...item.keys]);
        for (const event of events) {
          for (const listener of [...this.#listeners]) listener(event);
        }
      }
    } finally {
      this.#working = false;
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  /** The records of `keys` written by others, as commit events; a missing one as removed. */
  async #read(keys: string[], removed = new Map<string, Seen>()): Promise<DriverEvent[]> {
    let rows;
    try {
      ({ rows } = await this.db.read("read tasks other engines committed", {
        text: `SELECT id, body, written_by FROM ${this.names.table} WHERE id = ANY($1::text[])`,
        values: [keys],
      }));
    } catch (error) {
      this.report(error);
      return [];
    }
    const events: DriverEvent[] = [];
    const found = new Set<string>();
    for (const row of rows) {
      const key = String(row.id);
      found.add(key);
      if (row.written_by === this.owner) continue;
      try {
        const record = recordOf(row.body, this.names.table, key);
        events.push({ type: "commit", owner: String(row.written_by), record });
      } catch (error) {
        this.report(error);
      }
    }
    for (const [key, seen] of removed) {
      const id = idOfKey(key);
      if (!found.has(key) && id !== undefined) {
        events.push({ type: "removed", owner: "", id, work: seen.work });
      }
    }
    return events;
  }

  async #scan(): Promise<void> {
    const { rows } = await this.db.read("look for other engines' commits", {
      text: `SELECT id, rev, work, written_by FROM ${this.names.table}
        WHERE status = ANY($1::text[])`,
      values: [ACTIVE],
    });
    const before = this.#seen ?? new Map<string, Seen>();
    const now = new Map<string, Seen>();
    const changed: string[] = [];
    for (const row of rows) {
      const key = String(row.id);
      const seen = { rev: Number(row.rev), work: String(row.work) };
      now.set(key, seen);
      if (before.get(key)?.rev !== seen.rev && row.written_by !== this.owner) changed.push(key);
    }
    const left = new Map([...before].filter(([key]) => !now.has(key)));
    this.#seen = now;
    if (changed.length === 0 && left.size === 0) return;
    const events = await this.#read([...changed, ...left.keys()], left);
    this.#push({ events });
  }
}
