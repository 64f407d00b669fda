/**
 * The engine: owns a driver and a work map, schedules tasks, batches commits.
 *
 * @module
 */

import type { Driver, DriverEvent, Lease, TaskRecord, TaskStatus } from "./contract.ts";
import { TASK_STATUSES } from "./contract.ts";
import {
  EngineClosedError,
  StateNotStorableError,
  TaskExistsError,
  UnknownWorkError,
} from "./errors.ts";
import { CommitQueue } from "./_commit_queue.ts";
import { Emitter } from "./_emitter.ts";
import { type EngineEvents, EVENT_TYPES } from "./events.ts";
import { type EngineCore, type Task, TaskImpl } from "./task.ts";
import type {
  Clock,
  CloseOptions,
  CreateOptions,
  EngineOptions,
  ResultOf,
  StateOf,
  TaskInfo,
  WorkFunction,
  WorkMap,
} from "./types.ts";
import { loadError, randomId, systemClock, toError } from "./_util.ts";

/** Which tasks `engine.list` returns. */
export interface ListFilter {
  /** One status or several; all when omitted. */
  status?: TaskStatus | readonly TaskStatus[];
  /** Only tasks of this work. */
  work?: string;
}

/** An engine: create tasks, find them, listen to them. See {@linkcode createEngine}. */
export interface Engine<W extends WorkMap = WorkMap> extends AsyncDisposable {
  /** This engine's owner id. */
  readonly owner: string;
  /**
   * Stores a new task (committed before this resolves) and starts it. An id
   * that exists returns the existing task unchanged; with another work it
   * rejects with `TaskExistsError`.
   */
  create<K extends keyof W & string>(
    work: K,
    state: StateOf<W[K]>,
    options?: CreateOptions,
  ): Promise<Task<StateOf<W[K]>, ResultOf<W[K]>>>;
  /** The task with this id, or `undefined`. */
  get(id: string): Promise<Task | undefined>;
  /** Plain snapshots of the tasks that match, oldest first. */
  list(filter?: ListFilter): Promise<TaskInfo[]>;
  /** Listens to events of every task; returns an unsubscribe function. */
  on<K extends keyof EngineEvents>(type: K, listener: (event: EngineEvents[K]) => void): () => void;
  /** Resolves when no task of this engine is running or waiting to run. */
  idle(): Promise<void>;
  /**
   * Stops taking steps, lets the steps in flight finish and commit (aborting
   * them past the timeout), releases ownership and closes the driver. Tasks
   * keep their status, so the next engine resumes them.
   */
  close(options?: CloseOptions): Promise<void>;
}

const asyncDispose: typeof Symbol.asyncDispose = Symbol.asyncDispose ??
  Symbol.for("Symbol.asyncDispose");

function positive(
  name: string,
  value: unknown,
  fallback: number,
  { integer = false, zero = false } = {},
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(`${name} must be a number, got ${typeof value}`);
  }
  if (
    value < 0 || (!zero && value === 0) ||
    (integer && value !== Infinity && !Number.isInteger(value))
  ) {
    throw new RangeError(
      `${name} must be a ${integer ? "whole " : ""}number ${zero ? "≥ 0" : "> 0"}, got ${value}`,
    );
  }
  return value;
}

class EngineImpl implements Engine, EngineCore {
  readonly owner: string;
  readonly driver: Driver;
  readonly clock: Clock;
  readonly queue: CommitQueue;
  readonly maxAttempts: number;
  closing = false;

  #work: WorkMap;
  #autoResume: boolean;
  #concurrency: number;
  #initialDelay: number;
  #maxDelay: number;
  #factor: number;
  #everySteps: number;
  #everyMs: number | undefined;
  #closeTimeoutMs: number;
  #random: () => number;
  #createId: () => string;

  #emitter: Emitter<EngineEvents>;
  #perTask = new WeakMap<TaskImpl, Emitter<EngineEvents>>();
  #tasks = new Map<string, TaskImpl>();
  #finished = new Map<string, WeakRef<TaskImpl>>();
  /** Drops the entry of a finished task once nothing holds it any more. */
  #collected = new FinalizationRegistry<string>((id) => {
    if (this.#finished.get(id)?.deref() === undefined) this.#finished.delete(id);
  });
  #creating = new Map<string, Promise<TaskImpl>>();
  #waiting: TaskImpl[] = [];
  #running = new Set<TaskImpl>();
  #leases = new Map<TaskImpl, Lease>();
  #renewTimer: unknown;
  #idleWaiters: (() => void)[] = [];
  #buffer: [keyof EngineEvents, unknown][] | undefined = [];
  #starting = true;
  #unsubscribe: (() => void) | undefined;
  #closed: Promise<void> | undefined;

  constructor(options: EngineOptions) {
    this.driver = options.driver;
    this.#work = options.work;
    this.owner = options.owner ?? randomId();
    this.clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#createId = options.createId ?? randomId;
    this.#autoResume = options.autoResume ?? true;
    this.#concurrency = positive("concurrency", options.concurrency, Infinity, { integer: true });
    const retry = options.retry ?? {};
    this.maxAttempts = positive("retry.maxAttempts", retry.maxAttempts, 3, { integer: true });
    this.#initialDelay = positive("retry.initialDelayMs", retry.initialDelayMs, 100, {
      zero: true,
    });
    this.#maxDelay = positive("retry.maxDelayMs", retry.maxDelayMs, 30_000, { zero: true });
    this.#factor = positive("retry.factor", retry.factor, 2);
    const checkpoint = options.checkpoint ?? {};
    this.#everyMs = checkpoint.everyMs === undefined
      ? undefined
      : positive("checkpoint.everyMs", checkpoint.everyMs, 0, { zero: true });
    this.#everySteps = positive(
      "checkpoint.everySteps",
      checkpoint.everySteps,
      this.#everyMs === undefined ? 1 : Infinity,
      { integer: true },
    );
    this.#closeTimeoutMs = positive("closeTimeoutMs", options.closeTimeoutMs, 1000, { zero: true });
    this.queue = new CommitQueue(this.driver);
    this.#emitter = new Emitter((error, type) => this.#listenerFailed(error, type));
  }

  // ---- EngineCore ----

  workFn(name: string): WorkFunction | undefined {
    return Object.prototype.hasOwnProperty.call(this.#work, name) ? this.#work[name] : undefined;
  }

  retryDelay(attempt: number): number {
    const base = Math.min(this.#maxDelay, this.#initialDelay * this.#factor ** (attempt - 1));
    return base / 2 + (this.#random() * base) / 2;
  }

  checkpointDue(steps: number, lastCommitAt: number): boolean {
    return steps >= this.#everySteps ||
      (this.#everyMs !== undefined && this.clock.now() - lastCommitAt >= this.#everyMs);
  }

  get slotFree(): boolean {
    return this.#running.size < this.#concurrency;
  }

  schedule(task: TaskImpl): void {
    if (this.closing || task.removed) return;
    if (task.phase === "running") {
      // Asked to run while its last run is still winding down: run it again after.
      task.rerun = true;
      return;
    }
    if (task.phase !== "idle") return;
    if (this.#running.size < this.#concurrency) this.#launch(task);
    else {
      task.phase = "queued";
      task.waitForSlot();
      this.#waiting.push(task);
    }
  }

  unschedule(task: TaskImpl): void {
    if (task.phase !== "queued") return;
    task.phase = "idle";
    const i = this.#waiting.indexOf(task);
    if (i >= 0) this.#waiting.splice(i, 1);
    this.#checkIdle();
  }

  #launch(task: TaskImpl): void {
    this.#running.add(task);
    task.launch().finally(() => {
      task.phase = "idle";
      this.#running.delete(task);
      if (task.rerun) {
        task.rerun = false;
        if (task.status === "pending" || task.status === "running") this.schedule(task);
      }
      if (FINISHED.has(task.status)) this.#retire(task);
      while (!this.closing && this.#waiting.length > 0 && this.#running.size < this.#concurrency) {
        const next = this.#waiting.shift()!;
        next.phase = "idle";
        this.#launch(next);
      }
      this.#checkIdle();
    });
  }

  emit<K extends keyof EngineEvents>(type: K, event: EngineEvents[K]): void {
    if (this.#buffer) {
      this.#buffer.push([type, event]);
      return;
    }
    this.#emitter.emit(type, event);
    const task = (event as { task?: TaskImpl }).task;
    if (task) this.#perTask.get(task)?.emit(type, event);
  }

  listen<K extends keyof EngineEvents>(
    task: TaskImpl,
    type: K,
    listener: (event: EngineEvents[K]) => void,
  ): () => void {
    this.#checkType(type);
    let emitter = this.#perTask.get(task);
    if (!emitter) {
      this.#perTask.set(
        task,
        emitter = new Emitter((error, t) => this.#listenerFailed(error, t)),
      );
    }
    return emitter.on(type, listener);
  }

  report(error: unknown, task?: TaskImpl): void {
    this.emit("error", task ? { error: toError(error), task } : { error: toError(error) });
  }

  forget(task: TaskImpl): void {
    if (this.#tasks.get(task.id) === task) this.#tasks.delete(task.id);
    if (this.#finished.get(task.id)?.deref() === task) this.#finished.delete(task.id);
  }

  leases(task: TaskImpl, lease: Lease | undefined): void {
    if (lease) this.#leases.set(task, lease);
    else this.#leases.delete(task);
    const every = this.driver.renewEveryMs;
    if (every && this.#leases.size > 0 && this.#renewTimer === undefined) {
      this.#scheduleRenew(every);
    } else if (this.#leases.size === 0 && this.#renewTimer !== undefined) {
      // Nothing left to renew: an idle engine holds no timer.
      this.clock.clearTimeout(this.#renewTimer);
      this.#renewTimer = undefined;
    }
  }

  #scheduleRenew(every: number): void {
    this.#renewTimer = this.clock.setTimeout(() => {
      this.#renewTimer = undefined;
      for (const [task, lease] of this.#leases) {
        lease.renew?.().catch((error: unknown) => task.leaseFailed(error));
      }
      if (this.#leases.size > 0 && !this.closing) this.#scheduleRenew(every);
    }, every);
  }

  #listenerFailed(error: unknown, type: keyof EngineEvents): void {
    if (type !== "error") this.report(error);
  }

  #checkType(type: unknown): void {
    if (!EVENT_TYPES.includes(type as keyof EngineEvents)) {
      throw new TypeError(
        `Unknown event type ${JSON.stringify(type)}: use one of ${EVENT_TYPES.join(", ")}`,
      );
    }
  }

  // ---- tasks in memory ----

  #lookup(id: string): TaskImpl | undefined {
    const task = this.#tasks.get(id) ?? this.#finished.get(id)?.deref();
    return task && !task.removed ? task : undefined;
  }

  #materialize(record: TaskRecord): TaskImpl {
    const known = this.#lookup(record.id);
    if (known) {
      if (known.phase !== "running") known.adopt(record, true);
      return known;
    }
    const task = new TaskImpl(this, record);
    if (FINISHED.has(record.status)) this.#holdWeakly(task);
    else this.#tasks.set(record.id, task);
    return task;
  }

  #holdWeakly(task: TaskImpl): void {
    this.#finished.set(task.id, new WeakRef(task));
    this.#collected.register(task, task.id);
  }

  /** A finished task is held weakly: the caller's reference keeps it, the engine does not. */
  #retire(task: TaskImpl): void {
    if (this.#tasks.get(task.id) !== task || task.phase !== "idle" || task.waitingForOwner) return;
    this.#tasks.delete(task.id);
    this.#holdWeakly(task);
  }

  // ---- opening ----

  async open(): Promise<void> {
    const driver = this.driver;
    await driver.open?.({ owner: this.owner, report: (error) => this.report(error) });
    try {
      this.#unsubscribe = driver.subscribe?.((event) => this.#remote(event));
      const resume: TaskImpl[] = [];
      if (this.#autoResume) {
        const unknown = new Map<string, string[]>();
        for (const record of await driver.list({ status: ["pending", "running"] })) {
          const task = this.#materialize(record);
          if (this.workFn(record.work)) resume.push(task);
          else unknown.set(record.work, [...(unknown.get(record.work) ?? []), record.id]);
        }
        for (const [work, ids] of unknown) this.report(new UnknownWorkError([work], ids));
      }
      // Deliver what opening raised, and start, once the caller had a chance
      // to listen: a few microtask turns after createEngine resolves, which
      // is after the code that awaits it (even through a few wrapping async
      // functions) attached its listeners. No timer: fake timers in a
      // caller's tests must not hold the engine back.
      const buffered = this.#buffer ?? [];
      this.#buffer = undefined;
      void (async () => {
        for (let i = 0; i < OPEN_DELIVERY_HOPS; i++) await undefined;
        if (this.closing) return;
        for (const [type, event] of buffered) this.emit(type, event as never);
        this.#starting = false;
        for (const task of resume) this.schedule(task);
        this.#checkIdle();
      })();
    } catch (error) {
      this.#unsubscribe?.();
      await driver.close?.();
      throw error;
    }
  }

  #remote(event: DriverEvent): void {
    if (event.owner === this.owner || this.closing) return;
    if (event.type === "commit") {
      const task = this.#lookup(event.record.id);
      if (task?.phase === "running") {
        // Another engine committed this task while we step it (paused or
        // canceled it from another tab, or took it over): stop now rather
        // than finish a step whose commit would be refused.
        if (event.record.rev > task.rev) task.preempt(event.record);
        return;
      }
      const t = task ?? this.#materialize(event.record);
      if (task) task.adopt(event.record, true);
      // Stand by to take over a task another engine is stepping, should that
      // engine die. A pending task is not ours to start: its engine starts it,
      // or it was created with start: false.
      if (this.#autoResume && t.status === "running" && t.phase === "idle" && this.workFn(t.work)) {
        t.waitForOwner();
      }
      return;
    }
    const task = this.#lookup(event.id);
    if (event.type === "removed") {
      task?.markRemoved();
      return;
    }
    const deliver = (t: TaskImpl) => {
      if (event.type === "progress") {
        this.emit("progress", { task: t, done: event.progress.done, total: event.progress.total });
      } else this.emit("message", { task: t, message: event.message });
    };
    if (task) deliver(task);
    else {
      this.driver.get(event.id).then(
        (record) => record && deliver(this.#materialize(record)),
        (error) => this.report(error),
      );
    }
  }

  // ---- Engine ----

  #assertOpen(what: string): void {
    if (this.closing) throw new EngineClosedError(what);
  }

  async create(work: string, state: unknown, options: CreateOptions = {}): Promise<Task> {
    this.#assertOpen("engine.create()");
    if (typeof work !== "string") {
      throw new TypeError(`create(work, state) needs a work name string, got ${typeof work}`);
    }
    if (!this.workFn(work)) throw new UnknownWorkError([work]);
    if (typeof options !== "object" || options === null) {
      throw new TypeError("create()'s options must be an object");
    }
    const id = options.id ?? this.#createId();
    if (typeof id !== "string" || id === "") {
      throw new TypeError(`A task id must be a non-empty string, got ${JSON.stringify(id)}`);
    }
    const start = options.start ?? true;
    if (typeof start !== "boolean") {
      throw new TypeError(`create()'s start option must be a boolean, got ${typeof start}`);
    }
    if (state === undefined) {
      throw new StateNotStorableError(
        "state",
        "it is undefined; give the task an initial state (null or {} for none)",
      );
    }
    this.driver.check?.(state, "state");

    const inFlight = this.#creating.get(id);
    if (inFlight) return this.#same(await inFlight, work);
    const known = this.#lookup(id);
    if (known) return this.#same(known, work);

    const creating = this.#insert(id, work, state);
    this.#creating.set(id, creating);
    let task: TaskImpl;
    try {
      task = await creating;
    } finally {
      this.#creating.delete(id);
    }
    if (task.work !== work) throw new TaskExistsError(id, task.work, work);
    if (task.created && start) this.schedule(task);
    return task;
  }

  #same(task: TaskImpl, work: string): TaskImpl {
    if (task.work !== work) throw new TaskExistsError(task.id, task.work, work);
    return task;
  }

  async #insert(id: string, work: string, state: unknown): Promise<TaskImpl> {
    for (;;) {
      const now = this.clock.now();
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
      const result = await this.queue.commit({ type: "put", record, expectRev: 0 });
      if (result.ok) {
        const task = new TaskImpl(this, record);
        task.created = true;
        this.#tasks.set(id, task);
        this.driver.publish?.({ type: "commit", owner: this.owner, record });
        return task;
      }
      if (result.error) throw result.error;
      const existing = await this.driver.get(id);
      if (existing) return this.#materialize(existing);
      // Removed between our write and our read: try again.
    }
  }

  async get(id: string): Promise<Task | undefined> {
    this.#assertOpen("engine.get()");
    if (typeof id !== "string") throw new TypeError(`get(id) needs a string id, got ${typeof id}`);
    const known = this.#lookup(id);
    if (known) return known;
    const record = await this.driver.get(id);
    return record ? this.#materialize(record) : undefined;
  }

  async list(filter: ListFilter = {}): Promise<TaskInfo[]> {
    this.#assertOpen("engine.list()");
    const status = filter.status === undefined
      ? undefined
      : typeof filter.status === "string"
      ? [filter.status]
      : [...filter.status];
    for (const s of status ?? []) {
      if (!TASK_STATUSES.includes(s)) {
        throw new TypeError(
          `Unknown status ${JSON.stringify(s)}: use one of ${TASK_STATUSES.join(", ")}`,
        );
      }
    }
    if (filter.work !== undefined && typeof filter.work !== "string") {
      throw new TypeError("list()'s work filter must be a string");
    }
    const records = await this.driver.list({ status, work: filter.work });
    // Oldest first, whatever order the driver keeps.
    records.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return records.map((record) => {
      const task = this.#lookup(record.id);
      if (task && task.rev >= record.rev) return task.toJSON();
      return infoOf(record);
    });
  }

  on<K extends keyof EngineEvents>(
    type: K,
    listener: (event: EngineEvents[K]) => void,
  ): () => void {
    this.#checkType(type);
    return this.#emitter.on(type, listener);
  }

  #busy(): boolean {
    return this.#starting || this.#running.size > 0 || this.#waiting.length > 0;
  }

  #checkIdle(): void {
    if (this.#busy()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  idle(): Promise<void> {
    if (!this.#busy()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  close(options: CloseOptions = {}): Promise<void> {
    this.#closed ??= this.#close(
      positive("timeoutMs", options.timeoutMs, this.#closeTimeoutMs, { zero: true }),
    );
    return this.#closed;
  }

  async #close(timeoutMs: number): Promise<void> {
    this.closing = true;
    this.#starting = false;
    for (const task of this.#waiting) task.phase = "idle";
    this.#waiting = [];
    const running = [...this.#running];
    for (const task of running) task.requestStop("close");
    const all = Promise.all(running.map((task) => task.launchDone));
    let timer: unknown;
    const timedOut = running.length > 0 && await Promise.race([
      all.then(() => false),
      new Promise<boolean>((
        resolve,
      ) => (timer = this.clock.setTimeout(() => resolve(true), timeoutMs))),
    ]);
    if (timer !== undefined) this.clock.clearTimeout(timer);
    if (timedOut) {
      for (const task of running) task.abortForClose();
      await all;
    }
    await this.queue.drain();
    if (this.#renewTimer !== undefined) this.clock.clearTimeout(this.#renewTimer);
    this.#unsubscribe?.();
    for (const task of this.#tasks.values()) task.closed();
    for (const ref of this.#finished.values()) ref.deref()?.closed();
    this.#checkIdle();
    await this.driver.close?.();
  }

  [asyncDispose](): Promise<void> {
    return this.close();
  }
}

const FINISHED = new Set<TaskStatus>(["done", "failed", "canceled"]);
/** Microtask turns between `createEngine` resolving and the delivery of what opening raised. */
const OPEN_DELIVERY_HOPS = 32;

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
 *     count: (state: { n: number }, ctx) => (state.n >= 3 ? ctx.done(state.n) : { n: state.n + 1 }),
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
  if (typeof options !== "object" || options === null) {
    throw new TypeError("createEngine(options) needs an options object");
  }
  const { driver, work } = options;
  if (
    typeof driver !== "object" || driver === null || typeof driver.commit !== "function" ||
    typeof driver.get !== "function" || typeof driver.list !== "function"
  ) {
    throw new TypeError("createEngine needs a driver, such as memoryDriver() or fsDriver({ dir })");
  }
  if (typeof work !== "object" || work === null) {
    throw new TypeError("createEngine needs a work map: { [name]: (state, ctx) => nextState }");
  }
  for (const [name, fn] of Object.entries(work)) {
    if (typeof fn !== "function") {
      throw new TypeError(`work.${name} must be a function, got ${typeof fn}`);
    }
  }
  const engine = new EngineImpl(options);
  await engine.open();
  return engine as unknown as Engine<W>;
}
