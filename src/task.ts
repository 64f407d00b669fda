/**
 * A task's public face: its latest known fields, its controls (start,
 * pause, cancel, retry, remove) and `result()`. The fields live in a
 * `LiveRecord`, the stepping in a `Runner`; the scheduler decides when it
 * runs, the ownership when it may.
 *
 * @module
 */

import type { Progress, TaskRecord, TaskStatus } from "./contract.ts";
import type { Core } from "./_core.ts";
import { writeChange } from "./_commits.ts";
import {
  EngineClosedError,
  TaskCanceledError,
  TaskFailedError,
  TaskNotFoundError,
  TaskStateError,
  UnknownWorkError,
} from "./errors.ts";
import { isActive, isFinished, LiveRecord } from "./_live.ts";
import { ResultWaiter } from "./_result.ts";
import { Runner } from "./_run.ts";
import type { Runnable } from "./_scheduler.ts";
import { type Serial, serial } from "./_serial.ts";
import { inspectable } from "./_inspect.ts";
import { allowed, type Control } from "./_controls.ts";
import type { EngineEvents, PauseOptions, Task, TaskInfo } from "./types.ts";
import { type CleanupReason, runCleanup } from "./work.ts";

/** @internal The implementation of {@linkcode Task}. */
export class TaskImpl implements Task, Runnable {
  readonly id: string;
  readonly work: string;
  #core: Core;
  #live: LiveRecord;
  #runner: Runner;
  /** Runs each control after the ones called before it. */
  #control: Serial = serial();
  #result: ResultWaiter;
  #removed = false;
  #closedError: Error | undefined;

  constructor(core: Core, record: TaskRecord) {
    this.#core = core;
    this.id = record.id;
    this.work = record.work;
    this.#result = new ResultWaiter(() => this.#settled(), (waiting) => {
      if (waiting) core.awaited.add(this);
      else core.awaited.delete(this);
    });
    this.#live = new LiveRecord(this, record, core, () => this.#result.settle());
    this.#runner = new Runner(this, this.#live, core, () => this.markRemoved());
  }

  get status(): TaskStatus {
    return this.#live.status;
  }
  get state(): unknown {
    return this.#live.state;
  }
  get step(): number {
    return this.#live.step;
  }
  get progress(): Progress | undefined {
    return this.#live.progress;
  }
  get error(): Error | undefined {
    return this.#live.error;
  }

  toJSON(): TaskInfo {
    return this.#live.info();
  }

  on<K extends keyof EngineEvents>(
    type: K,
    listener: (event: EngineEvents[K]) => void,
  ): () => void {
    return this.#core.events.onTask(this, type, listener);
  }

  // ---- controls ----

  /** Checks the engine, the removal and the table of controls for `control`; true: a no-op. */
  #allowed(control: Control): boolean {
    const { status, record } = this.#live;
    return allowed(this.id, control, {
      closing: this.#core.closing,
      removed: this.#removed,
      // Paused here only, because the store refused a commit: the stored status counts.
      status: status === "paused" ? record.status : status,
    });
  }

  #assertWork(): void {
    if (!this.#core.settings.workFn(this.work)) throw new UnknownWorkError([this.work], [this.id]);
  }

  #write(change: (record: TaskRecord) => Partial<TaskRecord> | undefined): Promise<boolean> {
    return writeChange(this.#core, this.#live, change, () => this.markRemoved());
  }

  /** Stops the run in flight, if any, for `stop`, and waits for it to end. */
  async #stopRun(stop: "pause" | "pause-immediate" | "cancel" | "remove"): Promise<void> {
    const { scheduler, ownership } = this.#core;
    if (scheduler.phase(this) === "running") {
      this.#runner.requestStop(stop);
      await scheduler.runOf(this);
    }
    scheduler.unschedule(this);
    ownership.stopStandingBy(this.id);
  }

  start(): Promise<void> {
    return this.#control(async () => {
      if (this.#allowed("start")) return;
      const { scheduler, ownership } = this.#core;
      if (scheduler.phase(this) !== "idle" || ownership.standingBy(this.id)) return;
      this.#assertWork();
      if (this.#live.status === "paused") {
        if (this.#live.record.status === "paused") {
          await this.#write((rec) => (rec.status === "paused" ? { status: "pending" } : undefined));
        } else {
          // Paused here only, because the store refused a commit: the stored
          // record still says pending or running, so it just runs again.
          this.#live.unpause();
        }
      }
      if (isActive(this.#live.status)) scheduler.schedule(this);
    });
  }

  resume(): Promise<void> {
    return this.start();
  }

  pause(options: PauseOptions = {}): Promise<void> {
    return this.#control(async () => {
      if (this.#allowed("pause")) return;
      await this.#stopRun(options.immediate === true ? "pause-immediate" : "pause");
      // Committed as paused by the run, or paused here only because the store
      // refused that commit: write it now, or reject with the store's error.
      await this.#write((rec) => (isActive(rec.status) ? { status: "paused" } : undefined));
      if (this.#live.record.status !== "paused") this.#finishedMeanwhile("paused");
    });
  }

  cancel(): Promise<void> {
    return this.#control(async () => {
      if (this.#allowed("cancel")) return;
      await this.#stopRun("cancel");
      await this.#write((rec) => (isFinished(rec.status) ? undefined : { status: "canceled" }));
      if (this.#live.canceledHere) {
        this.#live.canceledHere = false;
        await this.#cleanup("cancel", this.#live.state);
      } else if (this.#live.record.status !== "canceled") this.#finishedMeanwhile("canceled");
    });
  }

  retry(): Promise<void> {
    return this.#control(async () => {
      if (this.#allowed("retry")) return;
      this.#assertWork();
      await this.#write((rec) =>
        rec.status === "failed" ? { status: "pending", error: undefined } : undefined
      );
      if (this.#live.status === "pending") this.#core.scheduler.schedule(this);
    });
  }

  remove(): Promise<void> {
    return this.#control(async () => {
      if (this.#allowed("remove")) return;
      await this.#stopRun("remove");
      const { status, state } = this.#live;
      const unfinished = status !== "done" && status !== "canceled";
      const result = await this.#core.queue.commit({ type: "delete", id: this.id });
      if (!result.ok) throw result.error ?? new TaskNotFoundError(this.id, "it changed meanwhile");
      const { driver, settings } = this.#core;
      driver.publish?.({ type: "removed", owner: settings.owner, id: this.id, work: this.work });
      this.markRemoved();
      if (unfinished) await this.#cleanup("remove", state);
    });
  }

  #finishedMeanwhile(wanted: string): never {
    throw new TaskStateError(
      this.id,
      this.#live.status,
      `it finished before it could be ${wanted}`,
    );
  }

  #cleanup(reason: CleanupReason, state: unknown): Promise<void> {
    const { settings, events } = this.#core;
    const info = { taskId: this.id, work: this.work, reason };
    return runCleanup(
      settings.workFn(this.work),
      state,
      info,
      (error) => events.report(error, this),
    );
  }

  result(): Promise<never> {
    return this.#result.get() as Promise<never>;
  }

  /** What `result()` settles with now, or `undefined` while it must wait. */
  #settled(): Promise<unknown> | undefined {
    const live = this.#live;
    if (live.status === "done") return Promise.resolve(live.result);
    if (live.status === "failed") return Promise.reject(new TaskFailedError(this.id, live.error));
    if (live.status === "canceled") return Promise.reject(new TaskCanceledError(this.id));
    if (this.#removed) return Promise.reject(new TaskNotFoundError(this.id, "it was removed"));
    if (this.#closedError) return Promise.reject(this.#closedError);
    return undefined;
  }

  // ---- the engine's side ----

  /** @internal Whether its status lets it step. */
  get active(): boolean {
    return isActive(this.#live.status);
  }
  /** @internal Whether `remove()` deleted it (here or elsewhere). */
  get removed(): boolean {
    return this.#removed;
  }
  /** @internal The revision of the last known record. */
  get rev(): number {
    return this.#live.record.rev;
  }

  /** @internal One run; the scheduler gave it a slot. */
  run(): Promise<void> {
    return this.#runner.run();
  }

  /** @internal It waits for a slot. */
  queued(): void {
    this.#live.queued();
  }

  /** @internal A newer record, from the store or another engine. */
  adopt(record: TaskRecord, fromOtherEngine = false): void {
    this.#live.adopt(record, fromOtherEngine);
  }

  /** @internal Another engine committed while this one runs the task. */
  preempt(record: TaskRecord): void {
    this.#runner.preempt(record);
  }

  /** @internal Stops the run in flight for `close()`; aborts its step when `now`. */
  stopForClose(now: boolean): void {
    if (now) this.#runner.abortForClose();
    else this.#runner.requestStop("close");
  }

  /** @internal Lets another engine have it, at its next step boundary (the balance). */
  yieldRun(): void {
    this.#runner.yieldRun();
  }

  /** @internal Waits in the background until this engine owns the task, then runs it. */
  standBy(): void {
    if (!this.#removed) this.#runner.holding.standBy();
  }

  /** @internal The engine closed: waiting `result()` calls reject. */
  closed(): void {
    this.#closedError = new EngineClosedError(`the result of task "${this.id}"`);
    this.#result.settle();
  }

  /** @internal The record was deleted. */
  markRemoved(): void {
    if (this.#removed) return;
    this.#removed = true;
    this.#core.ownership.stopStandingBy(this.id);
    this.#result.settle();
  }
}

// `console.log(task)` shows the task, not its internals.
inspectable(TaskImpl.prototype);
