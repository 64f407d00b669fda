/**
 * The engine: opens the store and resumes what was left, creates and finds
 * tasks, and wires its parts together (settings, commit queue, events,
 * scheduler, ownership, the tasks in memory, what other engines publish).
 *
 * @module
 */

import { balanceOf } from "./_balance.ts";
import { CommitQueue } from "./_commit_queue.ts";
import type { TaskRecord } from "./contract.ts";
import type { Core, CoreTask } from "./_core.ts";
import { EngineClosedError, TaskExistsError, UnknownWorkError } from "./errors.ts";
import { EventBus } from "./_events.ts";
import { infoOf } from "./_live.ts";
import type { EngineOptions } from "./options.ts";
import { Ownership } from "./_ownership.ts";
import { Registry } from "./_registry.ts";
import { hearOthers } from "./_remote.ts";
import { Scheduler } from "./_scheduler.ts";
import { checkEngineOptions, positive, type Settings, settingsOf } from "./_settings.ts";
import { createArguments, statusFilter } from "./_arguments.ts";
import { TaskImpl } from "./task.ts";
import type {
  CloseOptions,
  CreateOptions,
  Engine,
  EngineEvents,
  ListFilter,
  Task,
  TaskInfo,
  WorkMap,
} from "./types.ts";

const asyncDispose: typeof Symbol.asyncDispose = Symbol.asyncDispose ??
  Symbol.for("Symbol.asyncDispose");
/** Microtask turns between `createEngine` resolving and the delivery of what opening raised. */
const OPEN_DELIVERY_HOPS = 32;

class EngineImpl implements Engine {
  readonly owner: string;
  #settings: Settings;
  #core: Core;
  #registry: Registry;
  #closing = false;
  #creating = new Map<string, Promise<{ task: TaskImpl; created: boolean }>>();
  #unsubscribe: (() => void) | undefined;
  #closed: Promise<void> | undefined;

  constructor(options: EngineOptions) {
    const settings = settingsOf(options);
    const driver = options.driver;
    this.#settings = settings;
    this.owner = settings.owner;
    const isClosing = () => this.#closing;
    const wake = () => balance.wake();
    const scheduler = new Scheduler<CoreTask>(
      settings.concurrency,
      (task) => balance.accepts(task.id),
      wake,
    );
    const ownership = new Ownership(driver, settings.owner, settings.clock, wake);
    const balance = balanceOf(settings, driver, scheduler, ownership);
    this.#core = {
      settings,
      driver,
      queue: new CommitQueue(driver),
      events: new EventBus(),
      scheduler,
      ownership,
      balance,
      awaited: new Set(),
      get closing() {
        return isClosing();
      },
    };
    this.#registry = new Registry((record) => new TaskImpl(this.#core, record), scheduler);
  }

  get #scheduler(): Scheduler<CoreTask> {
    return this.#core.scheduler;
  }

  async open(): Promise<void> {
    const { driver, events } = this.#core;
    await driver.open?.({ owner: this.owner, report: (error) => events.report(error) });
    try {
      this.#unsubscribe = driver.subscribe?.(hearOthers(this.#core, this.#registry));
      const resume: TaskImpl[] = [];
      if (this.#settings.autoResume) {
        const unknown = new Map<string, string[]>();
        for (const record of await driver.list({ status: ["pending", "running"] })) {
          const task = this.#registry.materialize(record);
          if (this.#settings.workFn(record.work)) resume.push(task);
          else unknown.set(record.work, [...(unknown.get(record.work) ?? []), record.id]);
        }
        for (const [work, ids] of unknown) events.report(new UnknownWorkError([work], ids));
      }
      // Deliver what opening raised, and start, once the caller had a chance
      // to listen: a few microtask turns after createEngine resolves, which
      // is after the code that awaits it (even through a few wrapping async
      // functions) attached its listeners. No timer: fake timers in a
      // caller's tests must not hold the engine back.
      const held = events.release();
      void (async () => {
        for (let i = 0; i < OPEN_DELIVERY_HOPS; i++) await undefined;
        if (this.#closing) return;
        for (const [type, event] of held) events.emit(type, event as never);
        for (const task of resume) this.#scheduler.schedule(task);
        this.#scheduler.opened();
      })();
    } catch (error) {
      this.#unsubscribe?.();
      await driver.close?.();
      throw error;
    }
  }

  #assertOpen(what: string): void {
    if (this.#closing) throw new EngineClosedError(what);
  }

  async create(work: string, state: unknown, options: CreateOptions = {}): Promise<Task> {
    this.#assertOpen("engine.create()");
    const { id, start } = createArguments(work, state, options, this.#settings);
    this.#core.driver.check?.(state, "state");

    const inFlight = this.#creating.get(id);
    if (inFlight) return same((await inFlight).task, work);
    const known = this.#registry.lookup(id);
    if (known) return same(known, work);

    const creating = this.#insert(id, work, state);
    this.#creating.set(id, creating);
    let inserted;
    try {
      inserted = await creating;
    } finally {
      this.#creating.delete(id);
    }
    const task = same(inserted.task, work);
    if (inserted.created && start) this.#scheduler.schedule(task);
    return task;
  }

  async #insert(id: string, work: string, state: unknown) {
    const { queue, driver, settings } = this.#core;
    for (;;) {
      const now = settings.clock.now();
      const record: TaskRecord = {
        id,
        work,
        status: "pending",
        state,
        step: 0,
        rev: 1,
        createdAt: now,
        updatedAt: now,
      };
      const result = await queue.commit({ type: "put", record, expectRev: 0 });
      if (result.ok) {
        const task = this.#registry.add(record);
        driver.publish?.({ type: "commit", owner: this.owner, record });
        return { task, created: true };
      }
      if (result.error) throw result.error;
      const existing = await driver.get(id);
      if (existing) return { task: this.#registry.materialize(existing), created: false };
      // Removed between our write and our read: try again.
    }
  }

  async get(id: string): Promise<Task | undefined> {
    this.#assertOpen("engine.get()");
    if (typeof id !== "string") throw new TypeError(`get(id) needs a string id, got ${typeof id}`);
    const known = this.#registry.lookup(id);
    if (known) return known;
    const record = await this.#core.driver.get(id);
    return record ? this.#registry.materialize(record) : undefined;
  }

  async list(filter: ListFilter = {}): Promise<TaskInfo[]> {
    this.#assertOpen("engine.list()");
    const status = statusFilter(filter.status);
    if (filter.work !== undefined && typeof filter.work !== "string") {
      throw new TypeError("list()'s work filter must be a string");
    }
    const records = await this.#core.driver.list({ status, work: filter.work });
    // Oldest first, whatever order the driver keeps.
    records.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return records.map((record) => {
      const task = this.#registry.lookup(record.id);
      return task && task.rev >= record.rev ? task.toJSON() : infoOf(record);
    });
  }

  on<K extends keyof EngineEvents>(
    type: K,
    listener: (event: EngineEvents[K]) => void,
  ): () => void {
    return this.#core.events.on(type, listener);
  }

  idle(): Promise<void> {
    return this.#scheduler.idle();
  }

  close(options: CloseOptions = {}): Promise<void> {
    const timeoutMs = positive("timeoutMs", options.timeoutMs, this.#settings.closeTimeoutMs, {
      zero: true,
    });
    this.#closed ??= this.#close(timeoutMs);
    return this.#closed;
  }

  async #close(timeoutMs: number): Promise<void> {
    this.#closing = true;
    const { clock } = this.#settings;
    const running = this.#scheduler.close();
    for (const task of running) task.stopForClose(false);
    const all = Promise.all(running.map((task) => this.#scheduler.runOf(task)));
    let timer: unknown;
    const timedOut = running.length > 0 && await Promise.race([
      all.then(() => false),
      new Promise<boolean>((resolve) => (timer = clock.setTimeout(() => resolve(true), timeoutMs))),
    ]);
    if (timer !== undefined) clock.clearTimeout(timer);
    if (timedOut) {
      for (const task of running) task.stopForClose(true);
      await all;
    }
    await this.#core.queue.drain();
    this.#core.balance.close();
    this.#core.ownership.close();
    this.#unsubscribe?.();
    for (const task of this.#registry.alive()) task.closed();
    await this.#core.driver.close?.();
  }

  [asyncDispose](): Promise<void> {
    return this.close();
  }
}

function same(task: TaskImpl, work: string): TaskImpl {
  if (task.work !== work) throw new TaskExistsError(task.id, task.work, work);
  return task;
}

/**
 * Opens an engine over a driver: resumes the tasks left `pending` or
 * `running` (unless `autoResume: false`) and returns once it is ready.
 *
 * @example
 * ```ts
 * import { createEngine } from "stater";
 * import { memoryDriver } from "stater/drivers/memory";
 *
 * const engine = await createEngine({
 *   driver: memoryDriver(),
 *   work: {
 *     count: (state: { n: number }, ctx) =>
 *       state.n >= 3 ? ctx.done(state.n) : { n: state.n + 1 },
 *   },
 * });
 * const task = await engine.create("count", { n: 0 });
 * console.log(await task.result()); // 3
 * await engine.close();
 * ```
 */
export async function createEngine<W extends WorkMap>(
  options: EngineOptions<W>,
): Promise<Engine<W>> {
  const engine = new EngineImpl(checkEngineOptions(options));
  await engine.open();
  return engine as unknown as Engine<W>;
}
