/**
 * A task: its public face (status, state, control methods) and the loop that
 * steps it: acquire ownership → call the step → commit → emit events → next.
 *
 * @module
 */

import type { Driver, Lease, Progress, TaskRecord, TaskStatus } from "./contract.ts";
import { Done } from "./done.ts";
import {
  EngineClosedError,
  isRetryable,
  OwnershipLostError,
  StateNotStorableError,
  StaterError,
  TaskCanceledError,
  TaskFailedError,
  TaskNotFoundError,
  TaskStateError,
  UnknownWorkError,
} from "./errors.ts";
import type { CommitQueue } from "./_commit_queue.ts";
import { type Serial, serial } from "./_serial.ts";
import type { EngineEvents } from "./events.ts";
import type { Clock, PauseOptions, StepContext, TaskInfo, WorkFunction } from "./types.ts";
import type { CleanupReason, WorkHooks } from "./work.ts";
import {
  isThenable,
  loadError,
  storeError,
  toError,
  untilAborted,
  yieldToEventLoop,
} from "./_util.ts";

/**
 * A task of an engine. Its fields are the latest known values, read only;
 * its methods change it and resolve once the change is committed.
 */
export interface Task<S = unknown, R = unknown> {
  /** The task's id. */
  readonly id: string;
  /** The work name. */
  readonly work: string;
  /** Where the task is. */
  readonly status: TaskStatus;
  /** The latest state. */
  readonly state: S;
  /** Steps done, the final one that returned `done` included. */
  readonly step: number;
  /** The last reported progress. */
  readonly progress: Progress | undefined;
  /** Why it failed, when `failed`. */
  readonly error: Error | undefined;
  /** Runs a `pending` or `paused` task; a no-op on a running one. */
  start(): Promise<void>;
  /** Same as `start()`. */
  resume(): Promise<void>;
  /** Stops the task and commits it as `paused`; see {@linkcode PauseOptions}. */
  pause(options?: PauseOptions): Promise<void>;
  /** Aborts the task and commits it as `canceled`; its state is kept. */
  cancel(): Promise<void>;
  /** Sends a `failed` task back to `pending` with its last state and runs it. */
  retry(): Promise<void>;
  /** Stops the task and deletes its record. */
  remove(): Promise<void>;
  /** The result once `done`; rejects with `TaskFailedError` or `TaskCanceledError`. */
  result(): Promise<R>;
  /** Listens to this task's events; returns an unsubscribe function. */
  on<K extends keyof EngineEvents>(
    type: K,
    listener: (event: EngineEvents<S, R>[K]) => void,
  ): () => void;
  /** A plain snapshot. */
  toJSON(): TaskInfo<S, R>;
}

/** @internal What a task needs from its engine. */
export interface EngineCore {
  readonly driver: Driver;
  readonly owner: string;
  readonly clock: Clock;
  readonly queue: CommitQueue;
  readonly closing: boolean;
  readonly maxAttempts: number;
  workFn(name: string): WorkFunction | undefined;
  retryDelay(attempt: number): number;
  checkpointDue(stepsSinceCommit: number, lastCommitAt: number): boolean;
  schedule(task: TaskImpl): void;
  unschedule(task: TaskImpl): void;
  /** Whether a task scheduled now would start at once (a slot is free under `concurrency`). */
  readonly slotFree: boolean;
  emit<K extends keyof EngineEvents>(type: K, event: EngineEvents[K]): void;
  listen<K extends keyof EngineEvents>(
    task: TaskImpl,
    type: K,
    listener: (event: EngineEvents[K]) => void,
  ): () => void;
  report(error: unknown, task?: TaskImpl): void;
  forget(task: TaskImpl): void;
  leases(task: TaskImpl, lease: Lease | undefined): void;
}

type Stop = "close" | "pause" | "pause-immediate" | "cancel" | "lost" | "remove";
const STOP_RANK: Record<Stop, number> = {
  close: 1,
  pause: 2,
  "pause-immediate": 3,
  cancel: 4,
  lost: 5,
  remove: 6,
};
const CONFLICT_RETRIES = 50;
/** A task that steps without ever waiting on I/O lets the event loop run this often, in ms. */
const YIELD_EVERY_MS = 10;

function abortReason(message: string): Error {
  try {
    return new DOMException(message, "AbortError");
  } catch {
    const error = new Error(message);
    error.name = "AbortError";
    return error;
  }
}

interface Waiter {
  promise: Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** @internal The implementation of {@linkcode Task}. */
export class TaskImpl implements Task {
  readonly id: string;
  readonly work: string;
  #e: EngineCore;
  #rec: TaskRecord;
  #status: TaskStatus;
  #state: unknown;
  #step: number;
  #progress: Progress | undefined;
  #error: Error | undefined;
  #result: unknown;

  /** idle → queued (waiting for a slot) → running (the run is active) → idle. */
  phase: "idle" | "queued" | "running" = "idle";
  /** @internal Asked to run again while its run was ending. */
  rerun = false;
  /** @internal Set when this engine inserted the record (so `create` starts it). */
  created = false;
  #runDone: Promise<void> | undefined;
  #stop: Stop | undefined;
  #ac: AbortController | undefined;
  #lease: Lease | undefined;
  #ownerWait: AbortController | undefined;
  #wake: (() => void) | undefined;
  #attempt = 1;
  #dirty = false;
  #stepsSinceCommit = 0;
  #lastCommitAt: number;
  #waiter: Waiter | undefined;
  #removed = false;
  /** Set once this run reported the loss of its ownership. */
  #lossReported = false;
  /** Set when this engine committed the task as canceled; `cancel()` then runs the cleanup hook. */
  #canceledHere = false;
  #closedError: Error | undefined;
  #ctxDone = (result?: unknown) => new Done(result);
  #ctxProgress = (done: number, total?: number) => this.#reportProgress(done, total);
  #ctxEmit = (message: unknown) => this.#sendMessage(message);

  constructor(engine: EngineCore, record: TaskRecord) {
    this.#e = engine;
    this.id = record.id;
    this.work = record.work;
    this.#rec = record;
    this.#status = record.status;
    this.#state = record.state;
    this.#step = record.step;
    this.#progress = record.progress;
    this.#error = record.error ? loadError(record.error) : undefined;
    this.#result = record.result;
    this.#lastCommitAt = engine.clock.now();
  }

  get status(): TaskStatus {
    return this.#status;
  }
  get state(): unknown {
    return this.#state;
  }
  get step(): number {
    return this.#step;
  }
  get progress(): Progress | undefined {
    return this.#progress;
  }
  get error(): Error | undefined {
    return this.#error;
  }
  /** @internal The revision of the last known record. */
  get rev(): number {
    return this.#rec.rev;
  }
  /** @internal Whether `remove()` deleted it (here or elsewhere). */
  get removed(): boolean {
    return this.#removed;
  }

  toJSON(): TaskInfo {
    const info: TaskInfo = {
      id: this.id,
      work: this.work,
      status: this.#status,
      state: this.#state,
      step: this.#step,
      progress: this.#progress,
      error: this.#error,
      createdAt: this.#rec.createdAt,
      updatedAt: this.#rec.updatedAt,
    };
    if (this.#status === "done") info.result = this.#result;
    return info;
  }

  on<K extends keyof EngineEvents>(
    type: K,
    listener: (event: EngineEvents[K]) => void,
  ): () => void {
    return this.#e.listen(this, type, listener);
  }

  // ---- control ----

  /** Runs each control operation after the ones called before it. */
  #control: Serial = serial();

  #assertUsable(what: string): void {
    if (this.#e.closing) throw new EngineClosedError(`task.${what}()`);
    if (this.#removed) throw new TaskNotFoundError(this.id, "it was removed");
  }

  start(): Promise<void> {
    return this.#control(async () => {
      this.#assertUsable("start");
      if (this.#status === "done" || this.#status === "canceled") {
        throw new TaskStateError(
          this.id,
          this.#status,
          "a finished task does not run again; create a new task",
        );
      }
      if (this.#status === "failed") {
        throw new TaskStateError(this.id, "failed", "call retry() to run it again");
      }
      if (this.phase !== "idle" || this.#ownerWait) return;
      if (!this.#e.workFn(this.work)) throw new UnknownWorkError([this.work], [this.id]);
      if (this.#status === "paused") {
        if (this.#rec.status === "paused") {
          await this.#write((rec) => (rec.status === "paused" ? { status: "pending" } : undefined));
        } else {
          // Paused here only, because the store refused a commit: the stored
          // record still says pending or running, so it just runs again.
          this.#status = this.#rec.status;
          this.#e.emit("status", { task: this, from: "paused", to: this.#status });
        }
      }
      if (this.#status === "pending" || this.#status === "running") this.#e.schedule(this);
    });
  }

  resume(): Promise<void> {
    return this.start();
  }

  pause(options: PauseOptions = {}): Promise<void> {
    const immediate = options.immediate === true;
    return this.#control(async () => {
      this.#assertUsable("pause");
      if (this.phase === "running") {
        this.requestStop(immediate ? "pause-immediate" : "pause");
        await this.#runDone;
        // Paused and committed, or finished meanwhile.
        if (this.#rec.status !== "pending" && this.#rec.status !== "running") return;
        // Otherwise the store refused the pause commit: the task stopped,
        // paused in memory only; commit it now, or reject with the store's error.
      }
      this.#e.unschedule(this);
      this.#ownerWait?.abort();
      await this.#write((
        rec,
      ) => (rec.status === "pending" || rec.status === "running"
        ? { status: "paused" }
        : undefined)
      );
    });
  }

  cancel(): Promise<void> {
    return this.#control(async () => {
      this.#assertUsable("cancel");
      if (this.phase === "running") {
        this.requestStop("cancel");
        await this.#runDone;
      }
      this.#e.unschedule(this);
      this.#ownerWait?.abort();
      await this.#write((
        rec,
      ) => (rec.status === "done" || rec.status === "canceled"
        ? undefined
        : { status: "canceled" })
      );
      if (this.#canceledHere) {
        this.#canceledHere = false;
        await this.#cleanup("cancel", this.#state);
      }
    });
  }

  retry(): Promise<void> {
    return this.#control(async () => {
      this.#assertUsable("retry");
      if (this.#status === "pending" || this.#status === "running") return;
      if (this.#status !== "failed") {
        throw new TaskStateError(
          this.id,
          this.#status,
          "only a failed task can be retried (use resume() for a paused one)",
        );
      }
      if (!this.#e.workFn(this.work)) throw new UnknownWorkError([this.work], [this.id]);
      await this.#write((
        rec,
      ) => (rec.status === "failed" ? { status: "pending", error: undefined } : undefined));
      if ((this.#status as TaskStatus) === "pending") this.#e.schedule(this);
    });
  }

  remove(): Promise<void> {
    return this.#control(async () => {
      if (this.#removed) return;
      if (this.#e.closing) throw new EngineClosedError("task.remove()");
      if (this.phase === "running") {
        this.requestStop("remove");
        await this.#runDone;
      }
      this.#e.unschedule(this);
      this.#ownerWait?.abort();
      const unfinished = this.#status !== "done" && this.#status !== "canceled";
      const state = this.#state;
      const result = await this.#e.queue.commit({ type: "delete", id: this.id });
      if (!result.ok) {
        throw result.error ??
          new StaterError("CONFLICT", `Task "${this.id}" changed while being removed`);
      }
      this.#e.driver.publish?.({
        type: "removed",
        owner: this.#e.owner,
        id: this.id,
        work: this.work,
      });
      this.markRemoved();
      if (unfinished) await this.#cleanup("remove", state);
    });
  }

  /** Runs the work's `cleanup` hook; what it throws is reported. */
  async #cleanup(reason: CleanupReason, state: unknown): Promise<void> {
    const cleanup = (this.#e.workFn(this.work) as WorkHooks | undefined)?.cleanup;
    if (typeof cleanup !== "function") return;
    try {
      await cleanup(state, { taskId: this.id, work: this.work, reason });
    } catch (error) {
      this.#e.report(error, this);
    }
  }

  result(): Promise<never> {
    switch (this.#status) {
      case "done":
        return Promise.resolve(this.#result as never);
      case "failed":
        return Promise.reject(new TaskFailedError(this.id, this.#error));
      case "canceled":
        return Promise.reject(new TaskCanceledError(this.id));
    }
    if (this.#removed) return Promise.reject(new TaskNotFoundError(this.id, "it was removed"));
    if (this.#closedError) return Promise.reject(this.#closedError);
    if (!this.#waiter) {
      let resolve!: (value: unknown) => void;
      let reject!: (error: unknown) => void;
      const promise = new Promise((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // Marked handled: a caller that never awaits does not get an unhandled rejection.
      promise.catch(() => {});
      this.#waiter = { promise, resolve, reject };
    }
    return this.#waiter.promise as Promise<never>;
  }

  #settle(): void {
    const waiter = this.#waiter;
    if (!waiter) return;
    if (this.#removed) waiter.reject(new TaskNotFoundError(this.id, "it was removed"));
    else if (this.#closedError) waiter.reject(this.#closedError);
    else if (this.#status === "done") waiter.resolve(this.#result);
    else if (this.#status === "failed") waiter.reject(new TaskFailedError(this.id, this.#error));
    else if (this.#status === "canceled") waiter.reject(new TaskCanceledError(this.id));
    else return;
    this.#waiter = undefined;
  }

  // ---- engine hooks ----

  /** @internal Asks the run to stop; `cancel`, `remove`, `lost` and `pause-immediate` also abort the step in flight. */
  requestStop(kind: Stop): void {
    if (!this.#stop || STOP_RANK[kind] > STOP_RANK[this.#stop]) this.#stop = kind;
    if (kind !== "close" && kind !== "pause") {
      this.#ac?.abort(
        abortReason(
          `Task "${this.id}" was ${
            kind === "pause-immediate"
              ? "paused"
              : kind === "cancel"
              ? "canceled"
              : kind === "remove"
              ? "removed"
              : "taken over by another owner"
          }`,
        ),
      );
    }
    this.#wake?.();
  }

  /**
   * @internal Another engine committed a newer revision while this one runs
   * the task: abort the step in flight and take their version.
   */
  preempt(record: TaskRecord): void {
    if (!this.#owns()) {
      // Still acquiring it: only a holder can lose ownership. Take their
      // version; if the acquisition fails, the run goes back to standing by.
      this.adopt(record, true);
      return;
    }
    const theirs = record.status === "pending" || record.status === "running";
    this.requestStop("lost");
    this.adopt(record, true);
    if (theirs) this.#lostOwnership("another engine committed a newer revision");
  }

  /** Whether this engine holds the task: its lease, or the store itself (no `acquire`). */
  #owns(): boolean {
    return this.#lease !== undefined || !this.#e.driver.acquire;
  }

  /** Reports the loss of ownership once per run, and stops the run. */
  #lostOwnership(reason: string | Error): void {
    this.requestStop("lost");
    if (this.#lossReported) return;
    this.#lossReported = true;
    this.#e.report(
      reason instanceof OwnershipLostError ? reason : new OwnershipLostError(
        this.id,
        String(
          reason instanceof Error ? reason.message : reason,
        ),
      ),
      this,
    );
  }

  /** @internal A renewal of the lease failed: ownership is lost, reported once. */
  leaseFailed(error: unknown): void {
    if (error instanceof OwnershipLostError) this.#lostOwnership(error);
    else {
      this.#e.report(error, this);
      this.#lostOwnership("its lease could not be renewed");
    }
  }

  /** @internal Aborts the step in flight because `close()` ran out of time. */
  abortForClose(): void {
    this.#ac?.abort(abortReason("The engine closed"));
    this.#wake?.();
  }

  /**
   * @internal Queued behind the concurrency limit: a task left `running` by a
   * dead engine shows as `pending` until it gets a slot (the store keeps
   * `running`, which resumes it just the same after a crash).
   */
  waitForSlot(): void {
    if (this.#status !== "running") return;
    this.#status = "pending";
    this.#e.emit("status", { task: this, from: "running", to: "pending" });
  }

  /** @internal Starts the run; the engine gave it a slot. */
  launch(): Promise<void> {
    this.phase = "running";
    this.#runDone = this.#run();
    return this.#runDone;
  }

  /** @internal Settles when the current run ends. */
  get launchDone(): Promise<void> {
    return this.#runDone ?? Promise.resolve();
  }

  /** @internal The engine closed: pending `result()` calls reject. */
  closed(): void {
    this.#closedError = new EngineClosedError(`the result of task "${this.id}"`);
    this.#ownerWait?.abort();
    this.#settle();
  }

  /** @internal The record was deleted. */
  markRemoved(): void {
    if (this.#removed) return;
    this.#removed = true;
    this.#e.forget(this);
    this.#settle();
  }

  /** @internal A newer record from the store or another engine. */
  adopt(record: TaskRecord, fromOtherEngine = false): void {
    // Another engine's copy of the same revision is taken too (it may be fresher than ours).
    if (record.rev < this.#rec.rev || (record.rev === this.#rec.rev && !fromOtherEngine)) return;
    const prevStep = this.#step;
    const prevStatus = this.#status;
    this.#rec = record;
    this.#status = record.status;
    this.#state = record.state;
    this.#step = record.step;
    this.#progress = record.progress;
    this.#error = record.error ? loadError(record.error) : undefined;
    this.#result = record.result;
    this.#dirty = false;
    this.#stepsSinceCommit = 0;
    this.#announce(prevStatus, record.step !== prevStep);
  }

  /** @internal Waits in the background until this engine owns the task, then runs it. */
  waitForOwner(): void {
    const e = this.#e;
    if (this.#ownerWait || !e.driver.acquire || e.closing || this.#removed) return;
    const ac = new AbortController();
    this.#ownerWait = ac;
    e.driver.acquire(this.id, { owner: e.owner, wait: true, signal: ac.signal }).then(
      (lease) => {
        if (this.#ownerWait === ac) this.#ownerWait = undefined;
        if (!lease) return;
        const release = () =>
          void Promise.resolve(lease.release()).catch((error) => e.report(error, this));
        if (ac.signal.aborted || e.closing || this.#removed || this.phase !== "idle") {
          return release();
        }
        if (!e.slotFree) {
          // No free slot here: let go, so that another engine standing by
          // runs it; this one asks again once it gets a slot.
          release();
          e.schedule(this);
          return;
        }
        this.#holdLease(lease);
        e.schedule(this);
      },
      (error) => {
        if (this.#ownerWait === ac) this.#ownerWait = undefined;
        if (!ac.signal.aborted) e.report(error, this);
      },
    );
  }

  /** @internal Whether it waits for another owner to let go. */
  get waitingForOwner(): boolean {
    return this.#ownerWait !== undefined;
  }

  // ---- events ----

  #announce(from: TaskStatus, stepped: boolean): void {
    const e = this.#e;
    if (stepped) e.emit("step", { task: this, step: this.#step });
    if (from !== this.#status) {
      e.emit("status", { task: this, from, to: this.#status });
      if (this.#status === "done") e.emit("done", { task: this, result: this.#result });
      else if (this.#status === "failed") e.emit("failed", { task: this, error: this.#error! });
      this.#settle();
    }
  }

  #reportProgress(done: number, total?: number): void {
    if (typeof done !== "number" || Number.isNaN(done)) {
      throw new TypeError(`ctx.progress(done, total) needs a number for done, got ${typeof done}`);
    }
    if (total !== undefined && (typeof total !== "number" || Number.isNaN(total))) {
      throw new TypeError(
        `ctx.progress(done, total) needs a number or undefined for total, got ${typeof total}`,
      );
    }
    this.#progress = total === undefined ? { done } : { done, total };
    this.#dirty = true;
    this.#e.emit("progress", { task: this, done, total });
    this.#e.driver.publish?.({
      type: "progress",
      owner: this.#e.owner,
      id: this.id,
      work: this.work,
      progress: this.#progress,
    });
  }

  #sendMessage(message: unknown): void {
    this.#e.emit("message", { task: this, message });
    this.#e.driver.publish?.({
      type: "message",
      owner: this.#e.owner,
      id: this.id,
      work: this.work,
      message,
    });
  }

  // ---- commits ----

  /** A committed record with `patch` over `base`. */
  #next(base: TaskRecord, patch: Partial<TaskRecord>): TaskRecord {
    const status = patch.status ?? base.status;
    const record: TaskRecord = {
      id: base.id,
      work: base.work,
      status,
      state: "state" in patch ? patch.state : base.state,
      step: patch.step ?? base.step,
      rev: base.rev + 1,
      createdAt: base.createdAt,
      updatedAt: this.#e.clock.now(),
    };
    const progress = "progress" in patch ? patch.progress : base.progress;
    if (progress !== undefined) record.progress = progress;
    const error = "error" in patch ? patch.error : base.error;
    if (error !== undefined && status === "failed") record.error = error;
    if (status === "done") record.result = "result" in patch ? patch.result : base.result;
    return record;
  }

  #applied(record: TaskRecord, stepped: boolean): void {
    const from = this.#status;
    if (record.status === "canceled" && from !== "canceled") this.#canceledHere = true;
    this.#rec = record;
    this.#status = record.status;
    this.#state = record.state;
    this.#step = record.step;
    this.#progress = record.progress;
    this.#result = record.result;
    if (!record.error) this.#error = undefined;
    this.#dirty = false;
    this.#stepsSinceCommit = 0;
    this.#lastCommitAt = this.#e.clock.now();
    this.#e.driver.publish?.({ type: "commit", owner: this.#e.owner, record });
    this.#announce(from, stepped);
  }

  /**
   * Writes a status change outside the run (compare-and-set, re-reading and
   * trying again when another engine changed the record meanwhile).
   */
  async #write(
    change: (record: TaskRecord) => Partial<TaskRecord> | undefined,
  ): Promise<boolean> {
    let base = this.#rec;
    for (let tries = 0;; tries++) {
      const patch = change(base);
      if (!patch) return false;
      const record = this.#next(base, patch);
      const result = await this.#e.queue.commit({ type: "put", record, expectRev: base.rev });
      if (result.ok) {
        this.#applied(record, false);
        return true;
      }
      if (result.error) throw result.error;
      const fresh = await this.#e.driver.get(this.id);
      if (!fresh) {
        this.markRemoved();
        throw new TaskNotFoundError(this.id, "it was removed by another engine");
      }
      this.adopt(fresh, true);
      base = fresh;
      if (tries >= CONFLICT_RETRIES) {
        throw new StaterError(
          "CONFLICT",
          `Task "${this.id}" keeps changing under another engine; try again`,
        );
      }
    }
  }

  /** Commits the live fields with `status`; false when the run must stop. */
  async #commitLive(
    status: TaskStatus,
    stepped: boolean,
    extra: Partial<TaskRecord> = {},
  ): Promise<boolean> {
    const e = this.#e;
    const record = this.#next(this.#rec, {
      status,
      state: this.#state,
      step: this.#step,
      progress: this.#progress,
      ...extra,
    });
    let result;
    try {
      result = await e.queue.commit({ type: "put", record, expectRev: this.#rec.rev });
    } catch (error) {
      this.#storeFailed(error);
      return false;
    }
    if (result.ok) {
      this.#applied(record, stepped);
      return true;
    }
    if (result.error) {
      if (result.error instanceof StateNotStorableError && status !== "failed") {
        this.#state = this.#rec.state;
        this.#step = this.#rec.step;
        await this.#fail(result.error);
      } else this.#storeFailed(result.error);
      return false;
    }
    // Another engine changed the record: take its version and stop.
    let fresh: TaskRecord | undefined;
    try {
      fresh = await this.#read();
    } catch (error) {
      // Not knowing is a store failure, never a removal.
      this.#storeFailed(error);
      return false;
    }
    if (!fresh) {
      this.markRemoved();
      return false;
    }
    const theirs = fresh.status === "pending" || fresh.status === "running";
    this.adopt(fresh, true);
    if (theirs) this.#lostOwnership("another engine committed a newer revision");
    this.#stop = "lost";
    return false;
  }

  /** The stored record, read again; a failed read is tried again with the engine's backoff. */
  async #read(): Promise<TaskRecord | undefined> {
    const e = this.#e;
    for (let attempt = 1;; attempt++) {
      try {
        return await e.driver.get(this.id);
      } catch (error) {
        if (attempt >= e.maxAttempts || e.closing) throw error;
        await this.#sleep(e.retryDelay(attempt));
      }
    }
  }

  /** The store refused a commit: the task stops with its last committed state, as paused. */
  #storeFailed(error: unknown): void {
    const from = this.#status;
    this.#state = this.#rec.state;
    this.#step = this.#rec.step;
    this.#progress = this.#rec.progress;
    this.#dirty = false;
    this.#status = "paused";
    this.#stop = "lost";
    this.#e.report(error, this);
    if (from !== "paused") this.#e.emit("status", { task: this, from, to: "paused" });
  }

  async #fail(error: unknown): Promise<void> {
    const stored = storeError(error);
    // Set first, so the `failed` event carries the error as thrown.
    this.#error = toError(error);
    await this.#commitLive("failed", false, { error: stored });
  }

  // ---- the run ----

  #holdLease(lease: Lease): void {
    this.#lease = lease;
    this.#e.leases(this, lease);
    lease.lost?.addEventListener("abort", () => {
      if (this.#lease !== lease) return;
      const reason = lease.lost?.reason;
      this.#lostOwnership(reason instanceof OwnershipLostError ? reason : "its lease expired");
    }, { once: true });
  }

  async #releaseLease(): Promise<void> {
    const lease = this.#lease;
    if (!lease) return;
    this.#lease = undefined;
    this.#e.leases(this, undefined);
    try {
      await lease.release();
    } catch (error) {
      this.#e.report(error, this);
    }
  }

  async #run(): Promise<void> {
    const e = this.#e;
    this.#stop = undefined;
    this.#lossReported = false;
    this.#attempt = 1;
    const ac = new AbortController();
    this.#ac = ac;
    try {
      if (e.driver.acquire) {
        let fresh: TaskRecord | undefined;
        try {
          if (!this.#lease) {
            const lease = await e.driver.acquire(this.id, {
              owner: e.owner,
              wait: false,
              signal: ac.signal,
            });
            if (!lease) {
              if (!this.#stop && !e.closing) this.waitForOwner();
              return;
            }
            this.#holdLease(lease);
          }
          fresh = await this.#read();
        } catch (error) {
          // The store could not tell: stop as paused, with an error event.
          if (!ac.signal.aborted) this.#storeFailed(error);
          return;
        }
        if (!fresh) {
          this.markRemoved();
          return;
        }
        this.adopt(fresh);
      }
      if (this.#stop) return await this.#finish();
      if (this.#status !== "pending" && this.#status !== "running") return;
      if (!e.workFn(this.work)) {
        e.report(new UnknownWorkError([this.work], [this.id]), this);
        return;
      }
      if (this.#status !== "running" && !(await this.#commitLive("running", false))) return;
      await this.#loop(ac.signal);
    } catch (error) {
      e.report(error, this);
    } finally {
      this.#ac = undefined;
      await this.#releaseLease();
    }
  }

  #context(signal: AbortSignal): StepContext {
    return {
      taskId: this.id,
      work: this.work,
      step: this.#step,
      attempt: this.#attempt,
      signal,
      done: this.#ctxDone as StepContext["done"],
      progress: this.#ctxProgress,
      emit: this.#ctxEmit,
    };
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const clock = this.#e.clock;
      const handle = clock.setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clock.clearTimeout(handle);
        this.#wake = undefined;
        resolve();
      };
    });
  }

  async #loop(signal: AbortSignal): Promise<void> {
    const e = this.#e;
    const fn = e.workFn(this.work)!;
    const check = e.driver.check?.bind(e.driver);
    let sinceYield = 0;
    let yieldedAt = e.clock.now();
    while (!this.#stop) {
      // Steps that never wait on real I/O (a memory store, sync work) would
      // starve timers and other tasks: let the event loop in now and then.
      if (++sinceYield === 64) {
        sinceYield = 0;
        const now = e.clock.now();
        if (now - yieldedAt >= YIELD_EVERY_MS) {
          await yieldToEventLoop();
          yieldedAt = e.clock.now();
          if (this.#stop) break;
        }
      }
      let out: unknown;
      try {
        out = fn(this.#state, this.#context(signal));
        if (isThenable(out)) out = await untilAborted(out, signal);
      } catch (error) {
        if (signal.aborted || this.#stop) break;
        if (this.#attempt < e.maxAttempts && isRetryable(error)) {
          const delay = e.retryDelay(this.#attempt);
          this.#attempt++;
          await this.#sleep(delay);
          continue;
        }
        this.#attempt = 1;
        return this.#fail(error);
      }
      if (signal.aborted) break;
      this.#attempt = 1;
      if (out instanceof Done) {
        try {
          check?.(out.result, "result");
        } catch (error) {
          return this.#fail(error);
        }
        this.#step++;
        this.#result = out.result;
        await this.#commitLive("done", true, { result: out.result });
        return;
      }
      if (out === undefined) {
        return this.#fail(
          new StateNotStorableError(
            "state",
            "the step returned undefined; return the next state, or ctx.done(result) to finish",
          ),
        );
      }
      try {
        check?.(out, "state");
      } catch (error) {
        return this.#fail(error);
      }
      this.#state = out;
      this.#step++;
      this.#dirty = true;
      this.#stepsSinceCommit++;
      const stop = this.#stop as Stop | undefined;
      if (stop === "pause") {
        await this.#commitLive("paused", true);
        return;
      }
      if (stop || e.checkpointDue(this.#stepsSinceCommit, this.#lastCommitAt)) {
        if (!(await this.#commitLive("running", true))) return;
      } else e.emit("step", { task: this, step: this.#step });
    }
    await this.#finish();
  }

  /** Commits what the stop asks for once the loop has stopped stepping. */
  async #finish(): Promise<void> {
    switch (this.#stop) {
      case "pause":
      case "pause-immediate":
        await this.#commitLive("paused", false);
        break;
      case "cancel":
        await this.#commitLive("canceled", false);
        break;
      case "close":
        if (this.#dirty) await this.#commitLive(this.#status, false);
        break;
    }
  }
}
