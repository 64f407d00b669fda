/**
 * One task's runs: take ownership, then step → commit → step … until the
 * task finishes or is asked to stop, then commit what the stop asks for and
 * let go of ownership. Stops are requests the loop honours between steps
 * (`pause`, `close`) or at once through `ctx.signal` (`pause-immediate`,
 * `cancel`, `remove`, a lost ownership).
 *
 * @module
 */

import type { TaskRecord, TaskStatus } from "./contract.ts";
import { commitLive, failTask, type Outcome, readRecord } from "./_commits.ts";
import type { Core, CoreTask } from "./_core.ts";
import { Done } from "./done.ts";
import { isRetryable, StateNotStorableError, UnknownWorkError } from "./errors.ts";
import { isActive, type LiveRecord } from "./_live.ts";
import { BALANCE_EVERY_MS } from "./_balance.ts";
import { Holding } from "./_holding.ts";
import type { StepContext } from "./types.ts";
import { abortReason, abortsStep, type Stop, stronger } from "./_stops.ts";
import { isThenable, untilAborted, yieldToEventLoop } from "./_util.ts";

/** A task that steps without ever waiting on I/O lets the event loop run this often, in ms. */
const YIELD_EVERY_MS = 10;

/** The runs of one task. */
export class Runner {
  #stop: Stop | undefined;
  #abort: AbortController | undefined;
  #wake: (() => void) | undefined;
  #attempt = 1;
  /** Between the start of a run and its first read of the record (per-task ownership only). */
  #starting = false;
  #holding: Holding;
  #ctxDone = (result?: unknown) => new Done(result);
  #ctxProgress = (done: number, total?: number) => this.live.progressed(done, total);
  #ctxEmit = (message: unknown) => this.live.message(message);
  #sleepFn = (ms: number) => this.#sleep(ms);

  constructor(
    private readonly task: CoreTask,
    private readonly live: LiveRecord,
    private readonly core: Core,
    /** The record is gone from the store. */
    private readonly removed: () => void,
  ) {
    this.#holding = new Holding(task, live, core, (kind) => this.requestStop(kind));
  }

  /** Holding the task's lease, losing it, standing by for it. */
  get holding(): Holding {
    return this.#holding;
  }

  /** Asks the run to stop; all but `close` and `pause` also abort the step in flight. */
  requestStop(kind: Stop): void {
    this.#stop = stronger(this.#stop, kind);
    const reason = abortsStep(kind);
    if (reason) this.#abort?.abort(abortReason(`Task "${this.task.id}" was ${reason}`));
    this.#wake?.();
  }

  /** Aborts the step in flight because `close()` ran out of time. */
  abortForClose(): void {
    this.#abort?.abort(abortReason("The engine closed"));
    this.#wake?.();
  }

  /** Another engine committed a newer revision while this one runs the task. */
  preempt(record: TaskRecord): void {
    if (this.#starting || !this.core.ownership.owns(this.task.id)) {
      // Still acquiring it, or not yet read it since: only a holder that
      // steps can lose ownership. Take their version; the read that follows
      // the acquisition sees it or a newer one, and if the acquisition fails
      // the run goes back to standing by.
      this.live.adopt(record, true);
      return;
    }
    this.requestStop("lost");
    this.live.adopt(record, true);
    if (isActive(record.status)) this.#holding.lost("another engine committed a newer revision");
  }

  /** Lets another engine have the task (the balance): commit at the next step boundary, let go. */
  yieldRun(): void {
    this.requestStop("yield");
  }

  /** One run, until the task stops; ownership is released at its end. */
  async run(): Promise<void> {
    const { core, live, task } = this;
    this.#stop = undefined;
    this.#starting = core.ownership.perTask;
    this.#holding.newRun();
    this.#attempt = 1;
    const abort = new AbortController();
    this.#abort = abort;
    try {
      if (core.ownership.perTask) {
        let fresh: TaskRecord | undefined;
        try {
          if (!(await core.ownership.take(task.id, abort.signal, this.#holding.events))) {
            if (!this.#stop && !core.closing) this.#holding.standBy();
            return;
          }
          fresh = await readRecord(core, task.id, this.#sleepFn);
        } catch (error) {
          // The store could not tell: stop as paused, with an error event.
          if (!abort.signal.aborted) live.storeFailed(error);
          return;
        }
        if (!fresh) return this.removed();
        live.adopt(fresh);
        this.#starting = false;
      }
      if (this.#stop) return await this.#finish();
      if (!isActive(live.status)) return;
      if (!core.settings.workFn(task.work)) {
        core.events.report(new UnknownWorkError([task.work], [task.id]), task);
        return;
      }
      if (live.status !== "running" && !(await this.#commit("running", false))) return;
      await this.#loop(abort.signal);
    } catch (error) {
      core.events.report(error, task);
    } finally {
      this.#abort = undefined;
      this.#starting = false;
      await core.ownership.release(task.id);
      // Handed over: the engines standing by take it; this one stands by too, a little later.
      if (this.#stop === "yield") this.#holding.standByLater(BALANCE_EVERY_MS / 2);
    }
  }

  /** Commits the live fields with `status`; false when the run must stop. */
  async #commit(
    status: TaskStatus,
    stepped: boolean,
    extra?: Partial<TaskRecord>,
  ): Promise<boolean> {
    return this.#handle(
      await commitLive(this.core, this.live, status, stepped, extra, this.#sleepFn),
    );
  }

  #handle(outcome: Outcome): boolean {
    if (outcome === "ok") return true;
    if (outcome === "removed") this.removed();
    else if (outcome === "taken") this.#holding.lost("another engine committed a newer revision");
    this.#stop = "lost";
    return false;
  }

  async #fail(error: unknown): Promise<void> {
    this.#handle(await failTask(this.core, this.live, error));
  }

  #context(signal: AbortSignal): StepContext {
    return {
      taskId: this.task.id,
      work: this.task.work,
      step: this.live.step,
      attempt: this.#attempt,
      signal,
      done: this.#ctxDone as StepContext["done"],
      progress: this.#ctxProgress,
      emit: this.#ctxEmit,
    };
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const clock = this.core.settings.clock;
      const wake = () => {
        clock.clearTimeout(handle);
        this.#wake = undefined;
        resolve();
      };
      const handle = clock.setTimeout(wake, ms);
      this.#wake = wake;
    });
  }

  async #loop(signal: AbortSignal): Promise<void> {
    const { core, live } = this;
    const { settings, driver } = core;
    const fn = settings.workFn(this.task.work)!;
    const check = driver.check?.bind(driver);
    let sinceYield = 0;
    let yieldedAt = settings.clock.now();
    while (!this.#stop) {
      // Steps that never wait on real I/O (a memory store, sync work) would
      // starve timers and other tasks: let the event loop in now and then.
      if (++sinceYield === 64) {
        sinceYield = 0;
        if (settings.clock.now() - yieldedAt >= YIELD_EVERY_MS) {
          await yieldToEventLoop();
          yieldedAt = settings.clock.now();
          if (this.#stop) break;
        }
      }
      let out: unknown;
      try {
        out = fn(live.state, this.#context(signal));
        if (isThenable(out)) out = await untilAborted(out, signal);
      } catch (error) {
        if (signal.aborted || this.#stop) break;
        if (this.#attempt < settings.maxAttempts && isRetryable(error)) {
          await this.#sleep(settings.retryDelay(this.#attempt++));
          continue;
        }
        this.#attempt = 1;
        return this.#fail(error);
      }
      if (signal.aborted) break;
      this.#attempt = 1;
      if (out instanceof Done) return this.#done(out.result, check);
      if (out === undefined) {
        const why = "the step returned undefined; return the next state, or ctx.done(result)";
        return this.#fail(new StateNotStorableError("state", why));
      }
      try {
        check?.(out, "state");
      } catch (error) {
        return this.#fail(error);
      }
      live.stepped(out);
      const stop = this.#stop as Stop | undefined;
      if (stop === "pause") {
        await this.#commit("paused", true);
        return;
      }
      if (stop || settings.checkpointDue(live.stepsSinceCommit, live.lastCommitAt)) {
        const outcome = await commitLive(core, live, "running", true, undefined, this.#sleepFn);
        if (outcome !== "ok" && !this.#handle(outcome)) return;
      } else live.announceStep();
    }
    await this.#finish();
  }

  async #done(result: unknown, check: ((value: unknown, path: string) => void) | undefined) {
    try {
      check?.(result, "result");
    } catch (error) {
      return this.#fail(error);
    }
    this.live.step++;
    this.live.result = result;
    await this.#commit("done", true, { result });
  }

  /** Commits what the stop asks for once the loop has stopped stepping. */
  async #finish(): Promise<void> {
    switch (this.#stop) {
      case "pause":
      case "pause-immediate":
        await this.#commit("paused", false);
        break;
      case "cancel":
        await this.#commit("canceled", false);
        break;
      case "close":
      case "yield":
        if (this.live.dirty) await this.#commit(this.live.status, false);
        break;
    }
  }
}
