/**
 * What an engine knows of one task: the last record it committed or heard
 * of, and the live fields a run moves ahead of it (state, step, progress)
 * until the next commit. Every change of these fields goes through here, and
 * here the task's events are raised: `step`, `status`, `done`, `failed`,
 * `progress`, `message`.
 *
 * @module
 */

import type { DriverEvent, Progress, TaskRecord, TaskStatus } from "./contract.ts";
import type { Core } from "./_core.ts";
import type { EventBus } from "./_events.ts";
import type { Clock } from "./options.ts";
import type { Task, TaskInfo } from "./types.ts";
import { loadError } from "./_util.ts";

/** What a live record needs from its engine. */
interface LiveDeps {
  readonly events: EventBus;
  readonly clock: Clock;
  readonly owner: string;
  /** Tells the other engines on the store, when the driver can. */
  publish: ((event: DriverEvent) => void) | undefined;
}

/** Whether a task in `status` may step: `pending` or `running`. */
export function isActive(status: TaskStatus): boolean {
  return status === "pending" || status === "running";
}

/** Whether a task in `status` never steps again (unless retried). */
export function isFinished(status: TaskStatus): boolean {
  return status === "done" || status === "failed" || status === "canceled";
}

/** A plain snapshot of a stored record. */
export function infoOf(record: TaskRecord): TaskInfo {
  const info: TaskInfo = {
    id: record.id,
    work: record.work,
    status: record.status,
    state: record.state,
    step: record.step,
    progress: record.progress,
    error: record.error ? loadError(record.error) : undefined,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
  if (record.status === "done") info.result = record.result;
  return info;
}

/** The latest known fields of one task. */
export class LiveRecord {
  /** The last record committed here or heard of. */
  record: TaskRecord;
  status: TaskStatus;
  state: unknown;
  step: number;
  progress: Progress | undefined;
  error: Error | undefined;
  result: unknown;
  /** Live fields ahead of `record`, to commit. */
  dirty = false;
  stepsSinceCommit = 0;
  lastCommitAt: number;
  /** Set by a commit of `canceled` made here; the cancel that caused it runs the cleanup hook. */
  canceledHere = false;

  private readonly deps: LiveDeps;

  constructor(
    private readonly task: Task,
    record: TaskRecord,
    core: Pick<Core, "events" | "settings" | "driver">,
    /** Called when the status changed, so that waiting `result()` calls can settle. */
    private readonly onStatus: () => void,
  ) {
    const { driver } = core;
    this.deps = {
      events: core.events,
      clock: core.settings.clock,
      owner: core.settings.owner,
      publish: driver.publish ? driver.publish.bind(driver) : undefined,
    };
    this.record = record;
    this.status = record.status;
    this.state = record.state;
    this.step = record.step;
    this.progress = record.progress;
    this.error = record.error ? loadError(record.error) : undefined;
    this.result = record.result;
    this.lastCommitAt = this.deps.clock.now();
  }

  /** The record to commit next: `patch` over the last one, one revision on. */
  next(patch: Partial<TaskRecord>, base: TaskRecord = this.record): TaskRecord {
    const status = patch.status ?? base.status;
    const record: TaskRecord = {
      id: base.id,
      work: base.work,
      status,
      state: "state" in patch ? patch.state : base.state,
      step: patch.step ?? base.step,
      rev: base.rev + 1,
      createdAt: base.createdAt,
      updatedAt: this.deps.clock.now(),
    };
    const progress = "progress" in patch ? patch.progress : base.progress;
    if (progress !== undefined) record.progress = progress;
    const error = "error" in patch ? patch.error : base.error;
    if (error !== undefined && status === "failed") record.error = error;
    if (status === "done") record.result = "result" in patch ? patch.result : base.result;
    return record;
  }

  /** The live fields as the next record, with `status`. */
  nextLive(status: TaskStatus, extra?: Partial<TaskRecord>): TaskRecord {
    const live = { status, state: this.state, step: this.step, progress: this.progress };
    return this.next(extra ? { ...live, ...extra } : live);
  }

  /** `record`, committed here, is the new last record; tells the other engines. */
  committed(record: TaskRecord, stepped: boolean): void {
    const from = this.status;
    if (record.status === "canceled" && from !== "canceled") this.canceledHere = true;
    this.#take(record);
    if (!record.error) this.error = undefined;
    this.lastCommitAt = this.deps.clock.now();
    this.deps.publish?.({ type: "commit", owner: this.deps.owner, record });
    this.#announce(from, stepped);
  }

  /**
   * Takes a newer record, read from the store or heard from another engine
   * (which may send the same revision fresher than ours); false when older.
   */
  adopt(record: TaskRecord, fromOtherEngine = false): boolean {
    const rev = this.record.rev;
    if (record.rev < rev || (record.rev === rev && !fromOtherEngine)) return false;
    const from = this.status;
    const stepped = record.step !== this.step;
    this.#take(record);
    this.error = record.error ? loadError(record.error) : undefined;
    this.#announce(from, stepped);
    return true;
  }

  #take(record: TaskRecord): void {
    this.record = record;
    this.status = record.status;
    this.state = record.state;
    this.step = record.step;
    this.progress = record.progress;
    this.result = record.result;
    this.dirty = false;
    this.stepsSinceCommit = 0;
  }

  /**
   * The store refused a commit: back to the last committed state, and
   * `paused` here only (the stored record keeps its status); reported.
   */
  storeFailed(error: unknown): void {
    const from = this.status;
    this.state = this.record.state;
    this.step = this.record.step;
    this.progress = this.record.progress;
    this.dirty = false;
    this.status = "paused";
    this.deps.events.report(error, this.task);
    if (from !== "paused") this.#setStatus(from, "paused");
  }

  /** Shows the stored status again after `storeFailed` (the task runs again). */
  unpause(): void {
    if (this.status === this.record.status) return;
    const from = this.status;
    this.status = this.record.status;
    this.#setStatus(from, this.status);
  }

  /**
   * Waits for a slot: a task left `running` by a dead engine shows `pending`
   * (the store keeps `running`).
   */
  queued(): void {
    if (this.status !== "running") return;
    this.status = "pending";
    this.#setStatus("running", "pending");
  }

  /** One more step, to `state`, not committed yet. */
  stepped(state: unknown): void {
    this.state = state;
    this.step++;
    this.dirty = true;
    this.stepsSinceCommit++;
  }

  /** Emits `step` for a step that is held back from its commit (by `checkpoint`). */
  announceStep(): void {
    this.deps.events.emit("step", { task: this.task, step: this.step });
  }

  /** `ctx.progress(done, total)`. */
  progressed(done: number, total?: number): void {
    if (typeof done !== "number" || Number.isNaN(done)) {
      throw new TypeError(`ctx.progress(done, total) needs a number for done, got ${typeof done}`);
    }
    if (total !== undefined && (typeof total !== "number" || Number.isNaN(total))) {
      throw new TypeError(
        `ctx.progress(done, total) needs a number or undefined for total, got ${typeof total}`,
      );
    }
    this.progress = total === undefined ? { done } : { done, total };
    this.dirty = true;
    const { task, deps } = this;
    deps.events.emit("progress", { task, done, total });
    deps.publish?.({
      type: "progress",
      owner: deps.owner,
      ...this.#names(),
      progress: this.progress,
    });
  }

  /** `ctx.emit(message)`. */
  message(message: unknown): void {
    const { task, deps } = this;
    deps.events.emit("message", { task, message });
    deps.publish?.({ type: "message", owner: deps.owner, ...this.#names(), message });
  }

  #names(): { id: string; work: string } {
    return { id: this.record.id, work: this.record.work };
  }

  /** A plain snapshot of the live fields. */
  info(): TaskInfo {
    const info: TaskInfo = {
      id: this.record.id,
      work: this.record.work,
      status: this.status,
      state: this.state,
      step: this.step,
      progress: this.progress,
      error: this.error,
      createdAt: this.record.createdAt,
      updatedAt: this.record.updatedAt,
    };
    if (this.status === "done") info.result = this.result;
    return info;
  }

  #announce(from: TaskStatus, stepped: boolean): void {
    if (stepped) this.deps.events.emit("step", { task: this.task, step: this.step });
    if (from !== this.status) this.#setStatus(from, this.status);
  }

  #setStatus(from: TaskStatus, to: TaskStatus): void {
    const { task, deps } = this;
    deps.events.emit("status", { task, from, to });
    if (to === "done") deps.events.emit("done", { task, result: this.result });
    else if (to === "failed") deps.events.emit("failed", { task, error: this.error! });
    this.onStatus();
  }
}
