/**
 * The public types of stater: work functions and their step context, the
 * `Task` and `Engine` interfaces, task snapshots, events, and the options of
 * their methods. (The options of `createEngine` are in `options.ts`.)
 *
 * @module
 */

import type { Progress, StoredError, TaskStatus } from "./contract.ts";
import type { Done } from "./done.ts";

export type { Progress, StoredError, TaskStatus };

/** What a step receives besides the state. */
export interface StepContext<R = unknown> {
  /** The task's id. */
  readonly taskId: string;
  /** The task's work name. */
  readonly work: string;
  /** Steps done so far (0 on the first call). */
  readonly step: number;
  /** 1 on the first try of this step, 2 on its first retry, … */
  readonly attempt: number;
  /** Aborted by `pause({ immediate: true })`, `cancel()`, a late `close()`, a lost owner. */
  readonly signal: AbortSignal;
  /** Finishes the task with this result; return what it returns. */
  done<T extends R = R>(result?: T): Done<T>;
  /** Reports progress: emitted at once, stored with the next commit. */
  progress(done: number, total?: number): void;
  /** Sends any message to listeners (`message` events); it is not stored. */
  emit(message: unknown): void;
}

/**
 * One step of a task: takes the state, returns the next state or
 * `ctx.done(result)`. It may be async. Steps run at least once each: a step
 * in flight when the process dies runs again on resume.
 */
// deno-lint-ignore no-explicit-any
export type WorkFunction<S = any, R = any> = (
  state: S,
  ctx: StepContext<R>,
) => S | Done<R> | Promise<S | Done<R>>;

/** The `work` option: work functions by name. */
// `any`, not `unknown`: work functions over their own state types must fit
// (parameters are contravariant).
// deno-lint-ignore no-explicit-any
export type WorkMap = Record<string, WorkFunction<any, any>>;

/** The state type of a work function. */
// deno-lint-ignore no-explicit-any
export type StateOf<F> = F extends (state: infer S, ctx: any) => any ? S : never;

/** The result type of a work function, read from the `Done` it returns. */
// deno-lint-ignore no-explicit-any
export type ResultOf<F> = F extends (state: any, ctx: any) => infer O
  ? Awaited<O> extends infer A ? A extends Done<infer R> ? R : never : never
  : never;

/** A plain snapshot of a task. */
export interface TaskInfo<S = unknown, R = unknown> {
  /** The task's id. */
  id: string;
  /** The work name. */
  work: string;
  /** Where the task is. */
  status: TaskStatus;
  /** The latest state. */
  state: S;
  /** Steps done, the final one included. */
  step: number;
  /** The last reported progress. */
  progress: Progress | undefined;
  /** Why it failed, when `failed`. */
  error: Error | undefined;
  /** The result, once `done`. */
  result?: R;
  /** When it was created (ms since the epoch). */
  createdAt: number;
  /** When it was last committed (ms since the epoch). */
  updatedAt: number;
}

/**
 * A task of an engine. Its fields are the latest known values, read only;
 * its methods change it and resolve once the change is committed. See the
 * README's table of controls for what each method does in each status.
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

/** Which tasks `engine.list` returns. */
export interface ListFilter {
  /** One status or several; all when omitted. */
  status?: TaskStatus | readonly TaskStatus[];
  /** Only tasks of this work. */
  work?: string;
}

/** An engine: create tasks, find them, listen to them. See `createEngine`. */
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
  on<K extends keyof EngineEvents>(
    type: K,
    listener: (event: EngineEvents[K]) => void,
  ): () => void;
  /** Resolves when no task of this engine is running or waiting to run. */
  idle(): Promise<void>;
  /**
   * Stops taking steps, lets the steps in flight finish and commit (aborting
   * them past the timeout), releases ownership and closes the driver. Tasks
   * keep their status, so the next engine resumes them.
   */
  close(options?: CloseOptions): Promise<void>;
}

/** Event payloads by type; `task` is the live {@linkcode Task}. */
export interface EngineEvents<S = unknown, R = unknown> {
  /** A task changed status. */
  status: { task: Task<S, R>; from: TaskStatus; to: TaskStatus };
  /** A task finished a step; `step` is the count of steps done. */
  step: { task: Task<S, R>; step: number };
  /** A step reported progress. */
  progress: { task: Task<S, R>; done: number; total: number | undefined };
  /** A step sent a message with `ctx.emit`. */
  message: { task: Task<S, R>; message: unknown };
  /** A task finished with a result. */
  done: { task: Task<S, R>; result: R };
  /** A task failed: its step threw on its last attempt, or returned something unstorable. */
  failed: { task: Task<S, R>; error: Error };
  /** Engine or driver trouble that did not fail a task. */
  error: { error: Error; task?: Task<S, R> };
}

/** The event types. */
export type EngineEventType = keyof EngineEvents;

/** Every event type, for validation. */
export const EVENT_TYPES: readonly EngineEventType[] = [
  "status",
  "step",
  "progress",
  "message",
  "done",
  "failed",
  "error",
];

/** Options of `engine.create`. */
export interface CreateOptions {
  /** The task's id. @default a random UUID */
  id?: string;
  /** Start it at once. @default true */
  start?: boolean;
}

/** Options of `task.pause`. */
export interface PauseOptions {
  /** Abort the step in flight and drop its outcome instead of letting it finish. @default false */
  immediate?: boolean;
}

/** Options of `engine.close`. */
export interface CloseOptions {
  /**
   * How long steps in flight may take to finish before they are aborted, in ms.
   * @default the engine's `closeTimeoutMs`
   */
  timeoutMs?: number;
}
