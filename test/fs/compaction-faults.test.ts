/**
 * Compaction failures (defect 2): a fault at each point of a compaction —
 * before and after the write of the new file, its fsync, its rename, the
 * folder's fsync, and the journal's reopening — must never let the driver
 * acknowledge a commit that a reopen (a crash now) would not find. From the
 * journal's rename on, the driver refuses commits with a `DriverError` until
 * it has rewritten the journal and read it back; it does so by itself once
 * the fault is gone.
 */
import { copyFile, readdir } from "node:fs/promises";
import { basename, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createEngine, DriverError, type WorkFunction } from "../../src/mod.ts";
import type { Driver, TaskRecord, Write } from "../../src/driver.ts";
import { fsDriver } from "../../drivers/fs/mod.ts";
import { createFsDriver } from "../../drivers/fs/_driver.ts";
import type { FsFaults, ReplacePoint } from "../../drivers/fs/_faults.ts";
import { runChild } from "./_child.ts";
import { removeDir, tempDir } from "./_subject.ts";

const FILE_POINTS: ReplacePoint[] = [
  "before-write",
  "after-write",
  "before-fsync",
  "after-fsync",
  "before-rename",
  "after-rename",
  "before-folder-sync",
  "after-folder-sync",
];
const CASES: ["segment" | "journal", ReplacePoint][] = [
  ...FILE_POINTS.map((point) => ["segment", point] as ["segment", ReplacePoint]),
  ...[...FILE_POINTS, "before-reopen", "after-reopen"].map((point) =>
    ["journal", point] as ["journal", ReplacePoint]
  ),
];

let dir: string;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => removeDir(dir));

const eio = () => Object.assign(new Error("EIO: injected"), { code: "EIO" });

function rec(id: string, status: "running" | "done", rev: number): TaskRecord {
  return {
    id,
    work: "w",
    status,
    state: { rev, pad: "x".repeat(100) },
    step: rev,
    rev,
    createdAt: 1,
    updatedAt: 1,
  };
}

async function open(driver: Driver): Promise<Driver> {
  await driver.open!({ owner: "t", report: () => {} });
  return driver;
}

/** The records a process started after a crash now would find: opens a copy of the folder. */
async function afterCrash(): Promise<TaskRecord[]> {
  const copy = await tempDir("stater-crashed-");
  try {
    for (const name of await readdir(dir)) {
      if (name === "active.log" || name.startsWith("done-")) {
        await copyFile(join(dir, name), join(copy, name));
      }
    }
    const driver = await open(fsDriver({ dir: copy }));
    const records = await driver.list();
    await driver.close!();
    return records;
  } finally {
    await removeDir(copy);
  }
}

/** Checks that a crash now keeps every acknowledged revision in `acked`. */
async function expectKept(acked: Map<string, number>, label: string): Promise<void> {
  const found = new Map((await afterCrash()).map((r) => [r.id, r.rev]));
  for (const [id, rev] of acked) expect(found.get(id), `${label}: ${id}`).toBe(rev);
}

/**
 * A fault at `point` of replacing a `file` (once, EIO), then a full disk for
 * the journal's next `full` compactions (ENOSPC when writing the new file):
 * the old journal has room reserved ahead, so commits could still be
 * appended to it, and nothing but the driver's care keeps them out of a
 * journal that is no longer in the folder.
 */
function faultAt(file: "segment" | "journal", point: ReplacePoint, full: number) {
  const fault = { struck: false, full, on: true };
  const faults: FsFaults = {
    compactMinBytes: 3000,
    atReplace(at, path) {
      const kind = basename(path).startsWith("done-") ? "segment" : "journal";
      if (!fault.on) return;
      if (!fault.struck && kind === file && at === point) {
        fault.struck = true;
        throw eio();
      }
      if (fault.struck && fault.full > 0 && kind === "journal" && at === "before-write") {
        fault.full--;
        throw Object.assign(new Error("ENOSPC: injected"), { code: "ENOSPC" });
      }
    },
  };
  return { fault, faults };
}

describe("fs compaction failures (defect 2)", () => {
  it.each(CASES)(
    "a %s replaced in a compaction that fails at %s, then a full disk, loses no acknowledged commit across a reopen, and the driver recovers by itself",
    async (file, point) => {
      const { fault, faults } = faultAt(file, point, 4);
      const driver = await open(createFsDriver({ dir }, faults));
      const acked = new Map<string, number>();
      let rev = 0;
      let checks = 0;
      let lastRefused = -1;
      for (let i = 0; i < 100; i++) {
        const writes: Write[] = [
          { type: "put", record: rec("a", "running", rev + 1), expectRev: rev },
          { type: "put", record: rec(`d${i}`, "done", 1), expectRev: 0 },
        ];
        try {
          expect(await driver.commit(writes)).toEqual([{ ok: true }, { ok: true }]);
          acked.set("a", ++rev);
          acked.set(`d${i}`, 1);
        } catch (error) {
          expect(error, `commit ${i}`).toBeInstanceOf(DriverError);
          expect(["EIO", "ENOSPC"]).toContain((error as DriverError).code);
          lastRefused = i;
        }
        // From the fault on, a crash at any moment keeps every acknowledged commit.
        if (fault.struck && checks++ < 10) await expectKept(acked, `${point}, commit ${i}`);
      }
      expect(fault.struck && fault.full === 0, "every fault struck").toBe(true);
      // Commits are refused only while the files are unknown: from the journal's rename on.
      const unknown = file === "journal" &&
        !FILE_POINTS.slice(0, FILE_POINTS.indexOf("before-rename")).includes(point);
      expect(lastRefused >= 0, "some commits were refused").toBe(unknown);
      expect(lastRefused, "the driver recovered by itself").toBeLessThan(90);
      await expectKept(acked, `${point}, at the end`);
      await driver.close!();
      const again = await open(fsDriver({ dir }));
      const found = new Map((await again.list()).map((r) => [r.id, r.rev]));
      for (const [id, r] of acked) expect(found.get(id), id).toBe(r);
      await again.close!();
    },
    60_000,
  );

  it(
    "a process killed with SIGKILL after its journal's compaction failed past the rename, on a full disk, loses no acknowledged commit",
    async () => {
      const { signal, out, err } = await runChild("./_compaction_child.ts", [dir, "after-rename"]);
      expect(signal, err).toBe("SIGKILL");
      expect(out).toMatch(/struck at \d+/);
      expect(out).toMatch(/refused \d+ (EIO|ENOSPC)/);
      const acked = [...out.matchAll(/acked (\d+) (d\d+)/g)];
      expect(acked.length).toBeGreaterThan(5);
      const driver = await open(fsDriver({ dir }));
      expect((await driver.get("a"))?.rev).toBe(Number(acked.at(-1)![1]));
      for (const [, , id] of acked) expect((await driver.get(id!))?.rev, id).toBe(1);
      await driver.close!();
    },
    60_000,
  );

  it("a task whose commits are refused after such a failure pauses with its last commit, and runs on once resumed", async () => {
    const { fault, faults } = faultAt("journal", "after-folder-sync", Infinity);
    const count: WorkFunction<{ n: number; pad: string }, number> = (s, ctx) =>
      s.n >= 300 ? ctx.done(s.n) : { n: s.n + 1, pad: s.pad };
    const engine = await createEngine({ driver: createFsDriver({ dir }, faults), work: { count } });
    const errors: unknown[] = [];
    engine.on("error", (e) => errors.push(e.error));
    const task = await engine.create("count", { n: 0, pad: "y".repeat(200) }, { id: "c" });
    await engine.idle();
    expect(task.status).toBe("paused");
    const paused = (task.state as { n: number }).n;
    expect(paused).toBeGreaterThan(0);
    expect(paused).toBeLessThan(300);
    expect(errors.some((e) => e instanceof DriverError && e.code === "EIO")).toBe(true);
    const kept = (await afterCrash()).find((r) => r.id === "c");
    expect((kept?.state as { n: number }).n, "a crash now keeps the last commit").toBe(paused);
    fault.on = false;
    await task.resume();
    expect(await task.result()).toBe(300);
    await engine.close();
    const again = await createEngine({ driver: fsDriver({ dir }), work: { count } });
    expect(await (await again.get("c"))!.result()).toBe(300);
    await again.close();
  });
});
