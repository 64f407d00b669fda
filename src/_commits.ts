/**
 * How a task's record is written: every write is a compare-and-set on the
 * revision, through the engine's commit queue (group commit). A run commits
 * its live fields; a control (pause, cancel, retry from any engine) writes a
 * status change, reading the record again and trying again when another
 * engine changed it meanwhile.
 *
 * @module
 */

import type { TaskRecord, TaskStatus } from "./contract.ts";
import type { Core } from "./_core.ts";
import { StateNotStorableError, TaskConflictError, TaskNotFoundError } from "./errors.ts";
import { isActive, type LiveRecord } from "./_live.ts";
import { storeError, toError } from "./_util.ts";

/** Tries of a control's write while other engines keep changing the record. */
const CONFLICT_RETRIES = 50;

/**
 * What became of a run's commit: `ok`; `stopped` (the store refused it, or
 * the task failed instead: already reported); `removed` (the record is gone);
 * `taken` (another engine committed and runs it); `changed` (another engine
 * committed a stop: pause, cancel).
 */
export type Outcome = "ok" | "stopped" | "removed" | "taken" | "changed";

/** Waits `ms`, or less when the run is asked to stop. */
export type Sleep = (ms: number) => Promise<void>;

/** Commits the live fields of `live` with `status`. */
export async function commitLive(
  core: Core,
  live: LiveRecord,
  status: TaskStatus,
  stepped: boolean,
  extra?: Partial<TaskRecord>,
  sleep?: Sleep,
): Promise<Outcome> {
  const record = live.nextLive(status, extra);
  let result;
  try {
    result = await core.queue.commit({ type: "put", record, expectRev: live.record.rev });
  } catch (error) {
    live.storeFailed(error);
    return "stopped";
  }
  if (result.ok) {
    live.committed(record, stepped);
    return "ok";
  }
  if (result.error) {
    if (result.error instanceof StateNotStorableError && status !== "failed") {
      live.state = live.record.state;
      live.step = live.record.step;
      await failTask(core, live, result.error);
    } else live.storeFailed(result.error);
    return "stopped";
  }
  // Another engine changed the record: take its version.
  let fresh: TaskRecord | undefined;
  try {
    fresh = await readRecord(core, live.record.id, sleep);
  } catch (error) {
    // Not knowing is a store failure, never a removal.
    live.storeFailed(error);
    return "stopped";
  }
  if (!fresh) return "removed";
  live.adopt(fresh, true);
  return isActive(fresh.status) ? "taken" : "changed";
}

/** Commits `live` as `failed` with `error` (the `failed` event carries it as thrown). */
export async function failTask(core: Core, live: LiveRecord, error: unknown): Promise<Outcome> {
  const stored = storeError(error);
  live.error = toError(error);
  return await commitLive(core, live, "failed", false, { error: stored });
}

/** The stored record of task `id`; a failed read is tried again with the engine's backoff. */
export async function readRecord(
  core: Core,
  id: string,
  sleep: Sleep = (ms) => new Promise((resolve) => core.settings.clock.setTimeout(resolve, ms)),
): Promise<TaskRecord | undefined> {
  for (let attempt = 1;; attempt++) {
    try {
      return await core.driver.get(id);
    } catch (error) {
      if (attempt >= core.settings.maxAttempts || core.closing) throw error;
      await sleep(core.settings.retryDelay(attempt));
    }
  }
}

/**
 * Writes a status change outside a run: `change` says what to change in the
 * stored record, or `undefined` for nothing. True when it wrote.
 *
 * @throws {TaskNotFoundError} when the record was removed (`onRemoved` runs first).
 * @throws {TaskConflictError} when other engines keep changing it.
 */
export async function writeChange(
  core: Core,
  live: LiveRecord,
  change: (record: TaskRecord) => Partial<TaskRecord> | undefined,
  onRemoved: () => void,
): Promise<boolean> {
  let base = live.record;
  for (let tries = 0;; tries++) {
    const patch = change(base);
    if (!patch) return false;
    const record = live.next(patch, base);
    const result = await core.queue.commit({ type: "put", record, expectRev: base.rev });
    if (result.ok) {
      live.committed(record, false);
      return true;
    }
    if (result.error) throw result.error;
    const fresh = await core.driver.get(base.id);
    if (!fresh) {
      onRemoved();
      throw new TaskNotFoundError(base.id, "it was removed by another engine");
    }
    live.adopt(fresh, true);
    base = fresh;
    if (tries >= CONFLICT_RETRIES) throw new TaskConflictError(base.id);
  }
}
