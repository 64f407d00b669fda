/**
 * The store lock against other engines of this very process (defect 1): a
 * worker thread, or a second copy of the driver's code (two bundles, a
 * duplicated dependency), shares this process's id, and a holder with it is
 * alive. Neither may take the lock over, whatever copy of the code asks.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { build } from "esbuild";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Driver, StoreLockedError } from "../../src/mod.ts";
import type { TaskRecord } from "../../src/driver.ts";
import { fsDriver } from "../../drivers/fs/mod.ts";
import { thisProcess } from "../../drivers/_process.ts";
import { removeDir, tempDir } from "./_subject.ts";

let bundles: string;
let workerBundle: string;
let driverCopy: { fsDriver: typeof fsDriver };
let dir: string;

/** Bundles `entry` (a path from this folder) with its own copy of everything it imports. */
async function bundle(entry: string, name: string): Promise<string> {
  const outfile = join(bundles, name);
  await build({
    entryPoints: [fileURLToPath(new URL(entry, import.meta.url))],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile,
    logLevel: "silent",
  });
  return outfile;
}

beforeAll(async () => {
  bundles = await tempDir("stater-bundles-");
  workerBundle = await bundle("./_lock_worker.ts", "worker.mjs");
  driverCopy = await import(pathToFileURL(await bundle("../../drivers/fs/mod.ts", "fs.mjs")).href);
}, 60_000);
afterAll(() => removeDir(bundles));
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => removeDir(dir));

function rec(rev: number): TaskRecord {
  return {
    id: "a",
    work: "w",
    status: "running",
    state: { by: "main", rev },
    step: rev,
    rev,
    createdAt: 1,
    updatedAt: 1,
  };
}

async function open(driver: Driver = fsDriver({ dir })): Promise<Driver> {
  await driver.open!({ owner: "main", report: () => {} });
  return driver;
}

type Reply = { opened?: boolean; code?: string; message?: string; closed?: boolean };

/** A worker thread of this process that tries to open the store. */
function startWorker(rev: number): { worker: Worker; next(): Promise<Reply> } {
  const worker = new Worker(workerBundle, { workerData: { dir, rev } });
  const replies: Reply[] = [];
  const waiting: ((reply: Reply) => void)[] = [];
  worker.on("message", (reply: Reply) => {
    const resolve = waiting.shift();
    if (resolve) resolve(reply);
    else replies.push(reply);
  });
  return {
    worker,
    next: () =>
      replies.length > 0
        ? Promise.resolve(replies.shift()!)
        : new Promise((resolve) => waiting.push(resolve)),
  };
}

describe("fs store lock (defect 1)", () => {
  it("a worker thread cannot take the store that an engine of this process holds, and no acknowledged commit is lost", async () => {
    const main = await open();
    for (let rev = 1; rev <= 3; rev++) {
      await main.commit([{ type: "put", record: rec(rev), expectRev: rev - 1 }]);
    }
    const { worker, next } = startWorker(100);
    const reply = await next();
    expect(reply).toMatchObject({ opened: false, code: "STORE_LOCKED" });
    expect(reply.message).toMatch(/this very process/);
    for (let rev = 4; rev <= 6; rev++) {
      await main.commit([{ type: "put", record: rec(rev), expectRev: rev - 1 }]);
    }
    await worker.terminate();
    await main.close!();
    const again = await open();
    expect((await again.get("a"))?.state).toEqual({ by: "main", rev: 6 });
    await again.close!();
  });

  it("an engine of this process cannot take the store that a worker thread holds, and gets it once the worker closed", async () => {
    const { worker, next } = startWorker(1);
    expect(await next()).toEqual({ opened: true });
    const error = await open().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(StoreLockedError);
    expect((error as StoreLockedError).holder).toMatchObject({ pid: process.pid, owner: "worker" });
    worker.postMessage("close");
    expect(await next()).toEqual({ closed: true });
    await worker.terminate();
    const main = await open();
    expect((await main.get("a"))?.state).toEqual({ by: "worker", rev: 1 });
    await main.close!();
  });

  it("a second copy of the driver's code cannot take the store that this copy holds, nor the other way round", async () => {
    const main = await open();
    await main.commit([{ type: "put", record: rec(1), expectRev: 0 }]);
    const copy = driverCopy.fsDriver({ dir });
    const error = await open(copy).then(() => undefined, (e: unknown) => e);
    // The copy has its own error classes: it is recognised by its code.
    expect(error).toMatchObject({ code: "STORE_LOCKED", name: "StoreLockedError" });
    await main.commit([{ type: "put", record: rec(2), expectRev: 1 }]);
    await main.close!();
    const held = await open(driverCopy.fsDriver({ dir }));
    await expect(open()).rejects.toBeInstanceOf(StoreLockedError);
    expect((await held.get("a"))?.rev).toBe(2);
    await held.close!();
  });

  it("a lock left by an earlier process that had this process's id is replaced at once", async () => {
    const me = (await thisProcess())!;
    const lock = join(dir, "stater.lock");
    const left = { pid: process.pid, host: me.host, boot: me.boot, owner: "earlier" };
    // Its start time differs (Linux), or, where that is unknown, its start on the monotonic clock.
    for (const start of [{ start: "1" }, { monotonicStart: me.monotonicStart! - 60_000 }]) {
      await writeFile(lock, JSON.stringify({ ...left, ...start }));
      const driver = await open();
      expect(JSON.parse(await readFile(lock, "utf8")).owner).toBe("main");
      await driver.close!();
    }
    // This process's own start on the monotonic clock, with no other start time: alive.
    await writeFile(lock, JSON.stringify({ ...left, monotonicStart: me.monotonicStart }));
    await expect(open()).rejects.toBeInstanceOf(StoreLockedError);
  });
});
