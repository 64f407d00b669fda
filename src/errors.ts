/**
 * The errors stater throws. Every condition a caller may want to catch is a
 * {@linkcode StaterError} subclass with a stable `code`; wrong arguments are
 * the built-in `TypeError` and `RangeError`.
 *
 * @module
 */

/** Options shared by every stater error. */
export interface StaterErrorOptions {
  /** The underlying error, when there is one. */
  cause?: unknown;
}

/**
 * The base class of every error stater raises for a condition a caller may
 * want to handle.
 *
 * @example
 * ```ts
 * import { StaterError, TaskExistsError } from "stater";
 * const error: StaterError = new TaskExistsError("job-1", "upload", "resize");
 * console.log(error.code); // "TASK_EXISTS"
 * ```
 */
export class StaterError extends Error {
  /** A stable, machine-readable code, such as `"TASK_EXISTS"`. */
  readonly code: string;

  /** Creates an error with a code and a message. */
  constructor(code: string, message: string, options?: StaterErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/** `engine.create` was given an id that already belongs to a task of another work. */
export class TaskExistsError extends StaterError {
  /** The task id that is taken. */
  readonly taskId: string;
  /** Creates the error for `taskId`, stored with `existingWork`, asked with `requestedWork`. */
  constructor(taskId: string, existingWork: string, requestedWork: string) {
    super(
      "TASK_EXISTS",
      `Task "${taskId}" already exists with work "${existingWork}", not "${requestedWork}": ` +
        `pick another id, or remove the existing task first`,
    );
    this.taskId = taskId;
  }
}

/** A task id that is not in the store. */
export class TaskNotFoundError extends StaterError {
  /** The id that was not found. */
  readonly taskId: string;
  /** Creates the error for `taskId`. */
  constructor(taskId: string, detail = "it was removed or never created") {
    super("TASK_NOT_FOUND", `Task "${taskId}" is not in the store: ${detail}`);
    this.taskId = taskId;
  }
}

/** `task.result()` of a task whose step failed on its last attempt. `cause` is the step's error. */
export class TaskFailedError extends StaterError {
  /** The failed task's id. */
  readonly taskId: string;
  /** Creates the error for `taskId`, caused by `cause`. */
  constructor(taskId: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super("TASK_FAILED", `Task "${taskId}" failed: ${reason}`, { cause });
    this.taskId = taskId;
  }
}

/** `task.result()` of a canceled task. */
export class TaskCanceledError extends StaterError {
  /** The canceled task's id. */
  readonly taskId: string;
  /** Creates the error for `taskId`. */
  constructor(taskId: string) {
    super("TASK_CANCELED", `Task "${taskId}" was canceled`);
    this.taskId = taskId;
  }
}

/** A work name that is not in the engine's `work` map. */
export class UnknownWorkError extends StaterError {
  /** The names that are missing. */
  readonly work: readonly string[];
  /** The ids of the tasks that use them, when known. */
  readonly taskIds: readonly string[];
  /** Creates the error for the missing `work` names, used by `taskIds`. */
  constructor(work: readonly string[], taskIds: readonly string[] = []) {
    const names = work.map((w) => `"${w}"`).join(", ");
    const tasks = taskIds.length > 0
      ? `; ${taskIds.length} stored task(s) use it and stay as they are (${
        taskIds.slice(0, 5).map((id) => `"${id}"`).join(", ")
      }${taskIds.length > 5 ? ", …" : ""})`
      : "";
    super(
      "UNKNOWN_WORK",
      `No work function named ${names} in this engine's work map${tasks}: ` +
        `add it to createEngine({ work })`,
    );
    this.work = work;
    this.taskIds = taskIds;
  }
}

/** A state or result that the driver cannot store. `path` names the value inside it. */
export class StateNotStorableError extends StaterError {
  /** Where the value sits, such as `state.files[3].handle`. */
  readonly path: string;
  /**
   * Creates the error for the value at `path`, with `reason` saying what it
   * is. The message ends with what a state may hold, or with `advice` when
   * the value is refused for something else than its kind (such as its size).
   */
  constructor(path: string, reason: string, options?: StaterErrorOptions & { advice?: string }) {
    super(
      "STATE_NOT_STORABLE",
      `${path} cannot be stored: ${reason}. ${
        options?.advice ??
          "A state may hold JSON values, undefined, Date, Map, Set, bigint, Uint8Array and " +
            "ArrayBuffer; turn other values into one of these"
      }`,
      options,
    );
    this.path = path;
  }
}

/**
 * Thrown by a step for a failure that trying again cannot mend (a server
 * that refuses the request for good, a missing input): the task fails at
 * once, without the engine's retries. Any error with `retryable: false`
 * does the same.
 *
 * @example
 * ```ts
 * import { PermanentError } from "stater";
 * const error = new PermanentError("The server refused the file: 413 Payload Too Large");
 * console.log(error.retryable); // false
 * ```
 */
export class PermanentError extends StaterError {
  /** Always `false`: the engine does not retry the step. */
  readonly retryable = false;
  /** Creates the error with `message`. */
  constructor(message: string, options?: StaterErrorOptions & { code?: string }) {
    super(options?.code ?? "PERMANENT", message, options);
  }
}

/** Whether the engine may retry a step that threw `error`. */
export function isRetryable(error: unknown): boolean {
  return !(typeof error === "object" && error !== null &&
    (error as { retryable?: unknown }).retryable === false);
}

/** Who holds a store's lock, as far as the driver can tell. */
export interface LockHolder {
  /** Process id. */
  pid?: number;
  /** Host name. */
  host?: string;
  /** When the holder took the lock (ms since the epoch). */
  since?: number;
  /** The holder's engine owner id. */
  owner?: string;
}

/** The store is held by another engine. */
export class StoreLockedError extends StaterError {
  /** The holder, when the driver knows it. */
  readonly holder: LockHolder | undefined;
  /** Creates the error with a message naming the holder. */
  constructor(message: string, holder?: LockHolder, options?: StaterErrorOptions) {
    super("STORE_LOCKED", message, options);
    this.holder = holder;
  }
}

/** Stored data that cannot be read back. */
export class StoreCorruptError extends StaterError {
  /** The damaged file or object, when there is one. */
  readonly file: string | undefined;
  /** The byte offset of the damage, when known. */
  readonly offset: number | undefined;
  /** Creates the error; `file` and `offset` locate the damage. */
  constructor(
    message: string,
    where: { file?: string; offset?: number } = {},
    options?: StaterErrorOptions,
  ) {
    super("STORE_CORRUPT", message, options);
    this.file = where.file;
    this.offset = where.offset;
  }
}

/** A storage operation failed (disk full, permission denied, quota exceeded, …). */
export class DriverError extends StaterError {
  /** The driver's name. */
  readonly driver: string;
  /** Creates the error for `driver`; `code` refines it, such as `"ENOSPC"`. */
  constructor(driver: string, message: string, options?: StaterErrorOptions & { code?: string }) {
    super(options?.code ?? "DRIVER_ERROR", message, options);
    this.driver = driver;
  }
}

/** The engine was closed; open a new one with `createEngine`. */
export class EngineClosedError extends StaterError {
  /** Creates the error for the operation `what`. */
  constructor(what: string) {
    super(
      "ENGINE_CLOSED",
      `The engine is closed, so ${what} cannot run: open a new one with createEngine()`,
    );
  }
}

/** A task method that its status does not allow, such as `retry()` on a done task. */
export class TaskStateError extends StaterError {
  /** The task's id. */
  readonly taskId: string;
  /** The task's status when the method was called. */
  readonly status: string;
  /** Creates the error for `taskId` in `status`, with advice in `message`. */
  constructor(taskId: string, status: string, message: string) {
    super("INVALID_TASK_STATE", `Task "${taskId}" is ${status}: ${message}`);
    this.taskId = taskId;
    this.status = status;
  }
}

/**
 * A control (`pause()`, `cancel()`, `retry()`, `resume()`) could not write its
 * change because other engines kept changing the task at the same time.
 */
export class TaskConflictError extends StaterError {
  /** The task's id. */
  readonly taskId: string;
  /** Creates the error for `taskId`. */
  constructor(taskId: string) {
    super(
      "TASK_CONFLICT",
      `Task "${taskId}" kept changing under other engines while this change was written; ` +
        `try the call again`,
    );
    this.taskId = taskId;
  }
}

/** This engine lost ownership of a task to another engine (a lease expired, a lock was taken). */
export class OwnershipLostError extends StaterError {
  /** The task's id. */
  readonly taskId: string;
  /** Creates the error for `taskId`. */
  constructor(taskId: string, detail: string) {
    super("OWNERSHIP_LOST", `This engine no longer owns task "${taskId}": ${detail}`);
    this.taskId = taskId;
  }
}
