/**
 * Who this process is, and whether a process named in a lock or a lease is
 * provably gone: the drivers that run on Node and Deno (fs, deno-kv) use it
 * to replace a dead holder at once instead of waiting out a timeout.
 *
 * A process is named by its id, its host, the kernel's boot id and its start
 * time (both where the platform tells: Linux), and on Node by when it
 * started on the monotonic clock, which every thread and every copy of
 * stater in the process read alike. A holder is provably dead only on this
 * host: its process is gone, its id now belongs to a younger process, or the
 * machine restarted since. A holder with this process's id is alive — this
 * process is running — unless its start time says it was an earlier process
 * with the same id. Anything unknown (another host, no permission to ask)
 * counts as alive. On Deno, nothing is asked that the process was not
 * granted, so no permission prompt ever appears. What each check needs there
 * (Deno 2):
 *
 * | check | needs |
 * |---|---|
 * | name this process (host name) | `--allow-sys=hostname` (or `--allow-sys`) |
 * | whether a process id exists (`kill(pid, 0)`) | all of `--allow-run` |
 * | boot id, start times, zombies (`/proc`) | `--allow-all` |
 *
 * `--allow-run=<program>` is not enough to signal, and Deno refuses `/proc`
 * to anything less than `--allow-all`, even to `--allow-read=/proc`.
 *
 * With the first two, a holder whose process exited and was reaped is
 * found gone at once; a zombie, or a process id taken by a new process,
 * counts as alive without `--allow-all`.
 *
 * @module
 */

import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import process from "node:process";
import { errorCode } from "../src/driver.ts";

/** A process, as written into a lock or a lease. */
export interface ProcessInfo {
  pid: number;
  host: string;
  /** The kernel's boot id, where the platform has one (Linux). */
  boot?: string;
  /** The process's start time in clock ticks since boot, where the platform tells (Linux). */
  start?: string;
  /** When the process started on the monotonic clock, in ms, where all its threads agree (Node). */
  monotonicStart?: number;
}

/** Two monotonic start times this close are the same process (threads differ by microseconds). */
const SAME_START_MS = 1;

/**
 * When this process started on the monotonic clock: the same in every
 * worker thread and every copy of this module, unlike a module's own state.
 * Not on Deno, whose clocks here count from each thread's start.
 */
function monotonicStart(): number | undefined {
  if ("Deno" in globalThis) return undefined;
  const { hrtime, uptime } = process as Partial<typeof process>;
  if (typeof hrtime?.bigint !== "function" || typeof uptime !== "function") return undefined;
  const ms = Number(hrtime.bigint() / 1000n) / 1000 - uptime() * 1000;
  return Number.isFinite(ms) ? Math.round(ms * 1000) / 1000 : undefined;
}

type Descriptor = { name: "sys"; kind: "hostname" } | { name: "read"; path: string } | {
  name: "run";
};
type Permissions = { querySync?(descriptor: Descriptor): { state: string } };

/** On Deno, whether the process may do what `descriptor` names without a prompt; elsewhere true. */
function granted(descriptor: Descriptor): boolean {
  const deno = (globalThis as { Deno?: { permissions?: Permissions } }).Deno;
  if (!deno) return true;
  try {
    return deno.permissions?.querySync?.(descriptor).state === "granted";
  } catch {
    return false;
  }
}

async function procText(path: string): Promise<string | undefined> {
  if (!granted({ name: "read", path })) return undefined;
  try {
    return (await readFile(path, "utf8")).trim();
  } catch {
    return undefined;
  }
}

/**
 * The state (field 3: "Z" for a zombie) and start time (field 22) of process
 * `pid`, from /proc/<pid>/stat where readable.
 */
async function statOf(pid: number | "self"): Promise<{ state: string; start: string } | undefined> {
  const text = await procText(`/proc/${pid}/stat`);
  if (!text) return undefined;
  // The command name (field 2) is in parentheses and may hold spaces.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0]!, start: fields[19]! };
}

/** Whether process `pid` exists: true, false, or undefined when it cannot be told. */
function probe(pid: number): boolean | undefined {
  if (!granted({ name: "run" })) return undefined;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    const code = errorCode(error);
    return code === "ESRCH" ? false : code === "EPERM" ? true : undefined;
  }
}

/** The flags that Deno needs to name a process and check another. */
export const PROCESS_FLAGS = ["--allow-sys=hostname", "--allow-run"] as const;

/**
 * Which of {@linkcode PROCESS_FLAGS} this process lacks: on Deno, those not
 * granted (without them a holder on this host counts as alive); elsewhere
 * none.
 */
export function missingProcessFlags(): string[] {
  const missing: string[] = [];
  if (!granted({ name: "sys", kind: "hostname" })) missing.push(PROCESS_FLAGS[0]);
  if (!granted({ name: "run" })) missing.push(PROCESS_FLAGS[1]);
  return missing;
}

/** This process; undefined where the platform will not say (no permission, no host name). */
export async function thisProcess(): Promise<ProcessInfo | undefined> {
  if (!granted({ name: "sys", kind: "hostname" })) return undefined;
  try {
    const info: ProcessInfo = { pid: process.pid, host: hostname() };
    if (typeof info.pid !== "number" || typeof info.host !== "string" || info.host === "") {
      return undefined;
    }
    const boot = await procText("/proc/sys/kernel/random/boot_id");
    const start = (await statOf("self"))?.start;
    const mono = monotonicStart();
    if (boot) info.boot = boot;
    if (start) info.start = start;
    if (mono !== undefined) info.monotonicStart = mono;
    return info;
  } catch {
    return undefined;
  }
}

/**
 * Why `holder` is provably gone, seen from `me`, or undefined when it may
 * be alive. A holder with `me.pid` is this very process (another engine, in
 * another worker thread or through another copy of stater) and alive, unless
 * its start time says it was an earlier process with the same id.
 */
export async function goneReason(
  holder: Partial<ProcessInfo>,
  me: ProcessInfo,
): Promise<string | undefined> {
  if (!me.host || holder.host !== me.host || typeof holder.pid !== "number") return undefined;
  if (holder.boot && me.boot && holder.boot !== me.boot) {
    return `this machine restarted since process ${holder.pid} took it`;
  }
  if (holder.pid === me.pid) {
    const reused = holder.start && me.start
      ? holder.start !== me.start
      : typeof holder.monotonicStart === "number" && typeof me.monotonicStart === "number" &&
        Math.abs(holder.monotonicStart - me.monotonicStart) > SAME_START_MS;
    return reused ? `process ${holder.pid} is gone (its id was reused)` : undefined;
  }
  const alive = probe(holder.pid);
  if (alive === false) return `process ${holder.pid} is gone`;
  const stat = await statOf(holder.pid);
  // Not allowed to signal (Deno without --allow-run): /proc tells, where this process's own entry
  // is readable.
  if (alive === undefined && me.start && stat === undefined) return `process ${holder.pid} is gone`;
  if (stat?.state === "Z") {
    return `process ${holder.pid} is gone (it exited, its parent has not reaped it yet)`;
  }
  if (stat && holder.start && stat.start !== holder.start) {
    return `process ${holder.pid} is gone (its id now belongs to another process)`;
  }
  return undefined;
}
