/**
 * The driver contract: what a storage driver gives the engine.
 *
 * A driver stores {@linkcode TaskRecord}s. Four members are required
 * (`name`, `get`, `list`, `commit`); the rest are optional capabilities the
 * engine uses when present:
 *
 * - `open` / `close`: called once per engine, before anything else and last.
 *   A store-wide lock (fs) is taken here and may throw `StoreLockedError`.
 * - `check`: called on every new state and result, right after the step
 *   returns, so an unstorable value fails its task at once.
 * - `acquire`: per-task ownership (Web Locks, leases). Without it, the driver
 *   promises that no other engine writes to the store while this one is open.
 * - `publish` / `subscribe`: events of tasks run by other engines over the
 *   same store (other tabs, other engines in one process).
 *
 * Commits are compare-and-set on a record's revision (`rev`), handed over in
 * batches: the engine gathers the commits that become ready while the
 * previous batch is being written, and gives them to `commit` together, so a
 * driver can write them in one transaction and one fsync (group commit).
 *
 * @module
 */

/** Where a task is in its life. */
export type TaskStatus = "pending" | "running" | "paused" | "done" | "failed" | "canceled";

/** Every status, in life order. */
export const TASK_STATUSES: readonly TaskStatus[] = [
  "pending",
  "running",
  "paused",
  "done",
  "failed",
  "canceled",
];

/** Statuses after which a task never steps again (unless `retry()` revives a failed one). */
export const FINISHED_STATUSES: readonly TaskStatus[] = ["done", "failed", "canceled"];

/** A task's last reported progress. */
export interface Progress {
  /** Units of work done. */
  done: number;
  /** Units of work in all, when known. */
  total?: number;
}

/** An error as it is stored: enough to show it and to rebuild an `Error` from it. */
export interface StoredError {
  /** The error's `name`, such as `"TypeError"`. */
  name: string;
  /** The error's message. */
  message: string;
  /** The error's `code`, when it had a string one. */
  code?: string;
  /** The stack trace, when there was one. */
  stack?: string;
}

/** One task as a driver stores it. */
export interface TaskRecord {
  /** The task's id, any string (drivers never use it raw as a file name). */
  id: string;
  /** The name of the work function, a key of the engine's `work` map. */
  work: string;
  /** Where the task is. */
  status: TaskStatus;
  /** The state after `step` committed steps. */
  state: unknown;
  /** Step calls committed so far, the final one that returned `done` included. */
  step: number;
  /** The last reported progress. */
  progress?: Progress;
  /** Why the task failed (`status: "failed"`). */
  error?: StoredError;
  /** The result (`status: "done"`). */
  result?: unknown;
  /** The revision: 1 when created, one more on every commit. */
  rev: number;
  /** When the task was created, in ms since the epoch. */
  createdAt: number;
  /** When the record was last committed, in ms since the epoch. */
  updatedAt: number;
}

/** Store `record` if the stored revision is `expectRev` (0: no record with that id exists). */
export interface PutWrite {
  /** The kind of write. */
  type: "put";
  /** The new record; its `rev` is `expectRev + 1`. */
  record: TaskRecord;
  /** The revision the stored record must have; 0 when it must not exist. */
  expectRev: number;
}

/** Delete a record, if its stored revision is `expectRev` (any revision when omitted). */
export interface DeleteWrite {
  /** The kind of write. */
  type: "delete";
  /** The id to delete. */
  id: string;
  /** The revision the stored record must have; omitted: whatever it is. */
  expectRev?: number;
}

/** One write of a commit batch. */
export type Write = PutWrite | DeleteWrite;

/** The id of the task a write is about. */
export function writeId(write: Write): string {
  return write.type === "put" ? write.record.id : write.id;
}

/**
 * What became of one write: applied; refused because the stored revision was
 * not the expected one (`conflict`); or refused for its own reason (`error`,
 * such as a `StateNotStorableError`) while the rest of the batch went on.
 */
export type WriteResult =
  | { ok: true }
  | { ok: false; conflict: true; error?: undefined }
  | { ok: false; conflict?: false; error: Error };

/** Which records `list` returns. */
export interface ListQuery {
  /** Only records in these statuses; all when omitted. */
  status?: readonly TaskStatus[];
  /** Only records of this work. */
  work?: string;
}

/** What the engine hands a driver when it opens it. */
export interface DriverContext {
  /** The engine's owner id. */
  owner: string;
  /**
   * Reports trouble found in the background (a failed heartbeat, a repaired
   * record): the engine emits it as an `error` event.
   */
  report(error: unknown): void;
}

/** How the engine asks for a task's ownership. */
export interface AcquireOptions {
  /** The engine's owner id. */
  owner: string;
  /** `false`: answer at once (`undefined` when another owner holds it); `true`: wait for it. */
  wait: boolean;
  /** Aborted when the engine stops wanting it (closing, or the task was paused here). */
  signal: AbortSignal;
}

/** Ownership of one task, held until released or lost. */
export interface Lease {
  /** The task's id. */
  readonly id: string;
  /** Aborted by the driver when the lease is lost (it expired and another owner took it). */
  readonly lost?: AbortSignal;
  /**
   * Extends the lease. The engine calls it every `driver.renewEveryMs` while
   * it holds the lease; a rejection counts as losing it.
   */
  renew?(): Promise<void>;
  /** Gives the task up. */
  release(): void | Promise<void>;
}

/**
 * A change that one engine publishes for the others on the same store:
 * a commit (with the whole record), progress and messages (not stored),
 * and removals.
 */
export type DriverEvent =
  | { type: "commit"; owner: string; record: TaskRecord }
  | { type: "progress"; owner: string; id: string; work: string; progress: Progress }
  | { type: "message"; owner: string; id: string; work: string; message: unknown }
  | { type: "removed"; owner: string; id: string; work: string }
  | PresenceEvent;

/**
 * An engine says how many tasks it runs, about once a second while it runs
 * or stands by for tasks, so that engines on one store share the running
 * tasks fairly. A driver passes it on like the other events; the latest one
 * of each owner is all that matters (a driver may drop older ones).
 */
export interface PresenceEvent {
  /** The kind of event. */
  type: "presence";
  /** The engine's owner id. */
  owner: string;
  /** Tasks it runs now. */
  running: number;
  /** Whether it takes over tasks other engines let go of. */
  takes: boolean;
  /** Its share of the running tasks, relative to the other engines' (`share` option). */
  share: number;
  /** Most tasks it runs at once (`concurrency`); `null` for no limit. */
  slots: number | null;
  /** Set once, when the engine closes. */
  leaving?: boolean;
}

/** The id of the task an event is about (`""` for a presence). */
export function eventId(event: DriverEvent): string {
  return event.type === "commit" ? event.record.id : event.type === "presence" ? "" : event.id;
}

/**
 * A storage driver. Implement the four required members; add the optional
 * ones your platform can offer.
 *
 * Contract:
 * - `get`, `list`, `commit` and `acquire` may answer at once (a value) or
 *   later (a promise), whichever is natural for the store: the memory driver
 *   answers at once. Either way, failing is throwing (or rejecting).
 * - `get` and `list` return records the caller may keep and mutate (copies).
 * - `commit` applies the writes in order, each checking the revision left by
 *   the ones before it; each write is atomic on its own (a crash leaves each
 *   record as a whole earlier commit). When the returned promise resolves,
 *   the applied writes are durable as the driver's durability promises.
 *   `commit` rejects only when the store itself fails (the engine then
 *   treats every write of the batch as failed); a write the driver refuses
 *   for its own reason gets `{ ok: false, error }`.
 * - `commit` must not keep references to the records' values: the engine
 *   hands over live objects that user code may mutate afterwards.
 * - `list({ status })` must not cost reading tasks of other statuses, so
 *   that opening a store costs O(active tasks).
 */
export interface Driver {
  /** The driver's name, used in messages, such as `"fs"`. */
  readonly name: string;
  /** Prepares the store; called once per engine before anything else. */
  open?(context: DriverContext): void | Promise<void>;
  /** The record with this id, or `undefined`. */
  get(id: string): TaskRecord | undefined | Promise<TaskRecord | undefined>;
  /** The records that match. */
  list(query?: ListQuery): TaskRecord[] | Promise<TaskRecord[]>;
  /** Applies a batch of writes; one result per write, in order. */
  commit(writes: readonly Write[]): WriteResult[] | Promise<WriteResult[]>;
  /**
   * Throws `StateNotStorableError` if `value` (found at `path`, such as
   * `"state"` or `"result"`) cannot be stored.
   */
  check?(value: unknown, path: string): void;
  /** Takes ownership of a task, see {@linkcode AcquireOptions}. */
  acquire?(id: string, options: AcquireOptions): Lease | undefined | Promise<Lease | undefined>;
  /** How often the engine renews the leases it holds, in ms; without it, they are never renewed. */
  readonly renewEveryMs?: number;
  /** Sends an event to the other engines on this store. */
  publish?(event: DriverEvent): void;
  /** Receives the events other engines published; returns an unsubscribe function. */
  subscribe?(listener: (event: DriverEvent) => void): () => void;
  /** Releases what `open` took; the engine calls it once, last. It may be opened again. */
  close?(): void | Promise<void>;
}
