/**
 * The engine's options, checked once and turned into the settings every part
 * of the engine reads: retry delays, when to checkpoint, the work functions.
 *
 * @module
 */

import type { Clock, EngineOptions } from "./options.ts";
import type { WorkFunction, WorkMap } from "./types.ts";
import { randomId, systemClock } from "./_util.ts";

/** What the engine's parts read of its options. */
export interface Settings {
  /** This engine's owner id. */
  readonly owner: string;
  /** Time and timers. */
  readonly clock: Clock;
  /** Makes ids for tasks created without one. */
  readonly createId: () => string;
  /** Resume abandoned tasks on open, and stand by for tasks other engines run. */
  readonly autoResume: boolean;
  /** Most tasks stepping at once. */
  readonly concurrency: number;
  /** This engine's share of the running tasks of a shared store, relative to other engines'. */
  readonly share: number;
  /** Tries of one step in all. */
  readonly maxAttempts: number;
  /** How long `close()` waits for steps in flight, in ms. */
  readonly closeTimeoutMs: number;
  /** The delay before try `attempt + 1` of a step, in ms, with jitter. */
  retryDelay(attempt: number): number;
  /** Whether a run that took `steps` steps since its last commit at `lastCommitAt` commits now. */
  checkpointDue(steps: number, lastCommitAt: number): boolean;
  /** The work function of `name`, or `undefined`. */
  workFn(name: string): WorkFunction | undefined;
}

/**
 * `value` as a number ≥ 0 (or > 0 unless `zero`), whole when `integer`;
 * `fallback` when undefined.
 */
export function positive(
  name: string,
  value: unknown,
  fallback: number,
  { integer = false, zero = false } = {},
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(`${name} must be a number, got ${typeof value}`);
  }
  const whole = !integer || value === Infinity || Number.isInteger(value);
  if (value < 0 || (!zero && value === 0) || !whole) {
    const kind = integer ? "whole number" : "number";
    throw new RangeError(`${name} must be a ${kind} ${zero ? "≥ 0" : "> 0"}, got ${value}`);
  }
  return value;
}

function finite(name: string, value: number): number {
  if (value === Infinity) throw new RangeError(`${name} must be a finite number, got Infinity`);
  return value;
}

/** The settings of `options`; throws `TypeError` or `RangeError` for a wrong option. */
export function settingsOf(options: EngineOptions): Settings {
  const work: WorkMap = options.work;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const retry = options.retry ?? {};
  const maxAttempts = positive("retry.maxAttempts", retry.maxAttempts, 3, { integer: true });
  const initialDelay = positive("retry.initialDelayMs", retry.initialDelayMs, 100, { zero: true });
  const maxDelay = positive("retry.maxDelayMs", retry.maxDelayMs, 30_000, { zero: true });
  const factor = positive("retry.factor", retry.factor, 2);
  const checkpoint = options.checkpoint ?? {};
  const everyMs = checkpoint.everyMs === undefined
    ? undefined
    : positive("checkpoint.everyMs", checkpoint.everyMs, 0, { zero: true });
  const everySteps = positive(
    "checkpoint.everySteps",
    checkpoint.everySteps,
    everyMs === undefined ? 1 : Infinity,
    { integer: true },
  );
  return {
    owner: options.owner ?? randomId(),
    clock,
    createId: options.createId ?? randomId,
    autoResume: options.autoResume ?? true,
    concurrency: positive("concurrency", options.concurrency, Infinity, { integer: true }),
    share: finite("share", positive("share", options.share, 1, { zero: true })),
    maxAttempts,
    closeTimeoutMs: positive("closeTimeoutMs", options.closeTimeoutMs, 1000, { zero: true }),
    retryDelay(attempt) {
      const base = Math.min(maxDelay, initialDelay * factor ** (attempt - 1));
      return base / 2 + (random() * base) / 2;
    },
    checkpointDue(steps, lastCommitAt) {
      return steps >= everySteps ||
        (everyMs !== undefined && clock.now() - lastCommitAt >= everyMs);
    },
    workFn(name) {
      return Object.prototype.hasOwnProperty.call(work, name) ? work[name] : undefined;
    },
  };
}

/** `options` if they have a driver and a work map of functions; throws `TypeError` if not. */
export function checkEngineOptions<O extends EngineOptions>(options: O): O {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("createEngine(options) needs an options object");
  }
  const { driver, work } = options;
  if (
    typeof driver !== "object" || driver === null || typeof driver.commit !== "function" ||
    typeof driver.get !== "function" || typeof driver.list !== "function"
  ) {
    throw new TypeError(
      "createEngine needs a driver, such as memoryDriver() or fsDriver({ dir })",
    );
  }
  if (typeof work !== "object" || work === null) {
    throw new TypeError("createEngine needs a work map: { [name]: (state, ctx) => nextState }");
  }
  for (const [name, fn] of Object.entries(work)) {
    if (typeof fn !== "function") {
      throw new TypeError(`work.${name} must be a function, got ${typeof fn}`);
    }
  }
  return options;
}
