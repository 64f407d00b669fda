/**
 * The ownership side of one task: what its lease tells it (lost, or trouble
 * releasing it), the report of a lost ownership (once per run), and
 * standing by to take the task over from another engine (then the
 * scheduler decides whether this engine takes it).
 *
 * @module
 */

import type { Core, CoreTask } from "./_core.ts";
import { OwnershipLostError } from "./errors.ts";
import type { LiveRecord } from "./_live.ts";
import type { HoldEvents } from "./_ownership.ts";
import type { Stop } from "./_stops.ts";

/** The ownership side of one task. */
export class Holding {
  #lossReported = false;

  constructor(
    private readonly task: CoreTask,
    private readonly live: LiveRecord,
    private readonly core: Core,
    /** Asks the task's run to stop. */
    private readonly stop: (kind: Stop) => void,
  ) {}

  /** A run starts: its loss of ownership, if any, is reported again. */
  newRun(): void {
    this.#lossReported = false;
  }

  /** What a held lease tells this task. */
  readonly events: HoldEvents = {
    lost: (error) => {
      if (error instanceof OwnershipLostError) return this.lost(error);
      if (error !== undefined && (error as Error)?.name !== "AbortError") {
        this.core.events.report(error, this.task);
        return this.lost("its lease could not be renewed");
      }
      this.lost("its lease expired");
    },
    trouble: (error) => this.#trouble(error),
  };

  #trouble = (error: unknown) => this.core.events.report(error, this.task);

  /** Reports the loss of ownership once per run, and stops the run. */
  lost(reason: string | OwnershipLostError): void {
    this.stop("lost");
    if (this.#lossReported) return;
    this.#lossReported = true;
    const error = typeof reason === "string"
      ? new OwnershipLostError(this.task.id, reason)
      : reason;
    this.core.events.report(error, this.task);
  }

  /** Waits in the background until this engine can own the task; the scheduler decides then. */
  standBy(): void {
    const { ownership, scheduler, events } = this.core;
    if (this.core.closing) return;
    const task = this.task;
    ownership.standBy(task.id, {
      granted: (lease) =>
        scheduler.granted(
          task,
          () => ownership.hold(lease, this.events),
          () => void Promise.resolve(lease.release()).catch(this.#trouble),
          () => this.standByLater(this.core.balance.backoff(task.id)),
        ),
      failed: (error) => events.report(error, task),
    });
  }

  /** Stands by again after `ms`, if the task still runs somewhere and nobody here runs it. */
  standByLater(ms: number): void {
    const { clock } = this.core.settings;
    clock.setTimeout(() => {
      const { scheduler, closing } = this.core;
      if (!closing && !this.task.removed && this.live.status === "running") {
        if (scheduler.phase(this.task) === "idle") this.standBy();
      }
    }, ms);
  }
}
