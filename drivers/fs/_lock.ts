/**
 * The store lock: one engine writes a store at a time. The lock is a file,
 * `stater.lock`, created exclusively (`O_EXCL`) and naming its holder: process
 * id, host, boot id, process start time, when it was taken and the engine's
 * owner id. A holder that is provably dead on this host (its process is gone,
 * its process id now belongs to a younger process, or the machine restarted
 * since) is replaced at once; any other holder gets a `StoreLockedError`. A
 * holder with this process's id is alive by definition (another engine of
 * this process: a worker thread, another copy of stater) unless its start
 * time says it was an earlier process with the same id.
 *
 * @module
 */

import { link, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { goneReason, thisProcess } from "../_process.ts";
import { join } from "node:path";
import process from "node:process";
import { errorCode, type LockHolder, StoreLockedError } from "../../src/driver.ts";
import { mapFsError } from "./_errors.ts";

/** The lock file's name inside the store folder. */
export const LOCK_FILE = "stater.lock";

/** What the lock file holds. */
export interface LockInfo extends LockHolder {
  /** The kernel's boot id, where the platform has one (Linux). */
  boot?: string;
  /** The process's start time in clock ticks since boot, where the platform tells (Linux). */
  start?: string;
  /** When the process started on the monotonic clock, where all its threads agree (Node). */
  monotonicStart?: number;
}

/** A lock this process holds. */
export interface HeldLock {
  /** The lock file. */
  readonly path: string;
  /** Why an earlier holder was replaced, when one was. */
  readonly replaced?: string;
  /** Removes the lock file, if it is still ours. */
  release(): Promise<void>;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if (errorCode(error) === "ENOENT") return undefined;
    throw mapFsError(error, `read the lock file ${path}`);
  }
}

function describe(holder: LockInfo | undefined, me?: LockInfo): string {
  if (!holder) return "an engine that is taking it right now";
  const since = typeof holder.since === "number"
    ? ` since ${new Date(holder.since).toISOString()}`
    : "";
  const here = me && holder.pid === me.pid && holder.host === me.host
    ? " — this very process: another engine in it holds the store, in another worker thread or " +
      "through another copy of stater"
    : "";
  return `process ${holder.pid} on host "${holder.host}" (owner "${holder.owner}")${since}${here}`;
}

/** Takes the lock of the store in `dir` for `owner`; throws `StoreLockedError` when it is held. */
export async function takeLock(dir: string, owner: string): Promise<HeldLock> {
  const path = join(dir, LOCK_FILE);
  const self = await thisProcess();
  // Where the host name may not be asked (Deno without --allow-sys), a dead holder is never replaced by itself.
  const me: LockInfo = {
    pid: process.pid,
    host: self?.host ?? "",
    since: Date.now(),
    owner,
    boot: self?.boot,
    start: self?.start,
    monotonicStart: self?.monotonicStart,
  };
  const text = JSON.stringify(me);
  let replaced: string | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const handle = await open(path, "wx");
      try {
        await handle.writeFile(text);
      } finally {
        await handle.close();
      }
      return {
        path,
        replaced,
        async release() {
          if ((await readText(path)) === text) await unlink(path).catch(() => {});
        },
      };
    } catch (error) {
      if (errorCode(error) !== "EEXIST") throw mapFsError(error, `create the lock file ${path}`);
    }
    const current = await readText(path);
    if (current === undefined) continue;
    let holder: LockInfo | undefined;
    try {
      holder = JSON.parse(current) as LockInfo;
    } catch {
      holder = undefined;
    }
    let reason = holder && typeof holder.pid === "number"
      ? await goneReason({ ...holder, pid: holder.pid }, { ...me, pid: me.pid!, host: me.host! })
      : undefined;
    if (!holder) {
      // Empty or cut short: being written right now, or left by a crash in between.
      const age = Date.now() - (await stat(path).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > 5000) reason = "the lock file was left empty";
    }
    if (!reason) {
      throw new StoreLockedError(
        `The fs store in ${dir} is held by ${
          describe(holder, me)
        }: close that engine first (one engine writes a store ` +
          `at a time). If that process is gone and ran on another machine, delete ${path}`,
        holder && { pid: holder.pid, host: holder.host, since: holder.since, owner: holder.owner },
      );
    }
    // Move the dead holder's file aside, then check that it was the one judged dead.
    const aside = `${path}.${me.pid}.${Math.random().toString(36).slice(2)}.stale`;
    try {
      await rename(path, aside);
    } catch (error) {
      if (errorCode(error) === "ENOENT") continue;
      throw mapFsError(error, `replace the lock file ${path}`);
    }
    if ((await readText(aside)) !== current) await link(aside, path).catch(() => {});
    else replaced = `${describe(holder)} held it, but ${reason}`;
    await unlink(aside).catch(() => {});
  }
  throw new StoreLockedError(
    `The fs store in ${dir} is being taken by other engines at the same time: try again`,
  );
}
