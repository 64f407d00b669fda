/**
 * A compaction failure through the file system's own calls (defect 2): the
 * journal's rename takes effect but reports EIO, then the disk is full for
 * new files (ENOSPC), while the old journal, unlinked but still open, has
 * room reserved ahead. No commit may be acknowledged into it.
 */
import { copyFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { DriverError } from "../../src/mod.ts";
import type { Driver, TaskRecord } from "../../src/driver.ts";
import { fsDriver } from "../../drivers/fs/mod.ts";
import { removeDir, tempDir } from "./_subject.ts";

const disk = vi.hoisted(() => ({ failRename: false, renamed: 0, full: false }));
vi.mock("node:fs/promises", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs/promises")>();
  const fail = (code: string) => Object.assign(new Error(`${code}: injected`), { code });
  return {
    ...real,
    open: (path: string, ...rest: unknown[]) => {
      if (disk.full && String(path).endsWith(".tmp")) return Promise.reject(fail("ENOSPC"));
      return (real.open as (...args: unknown[]) => unknown)(path, ...rest);
    },
    rename: async (from: string, to: string) => {
      await real.rename(from, to);
      if (!String(to).endsWith("active.log")) return;
      disk.renamed++;
      if (disk.failRename) {
        disk.failRename = false;
        throw fail("EIO");
      }
    },
  };
});

let dir: string;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => removeDir(dir));

function rec(rev: number): TaskRecord {
  const state = { rev, pad: "x".repeat(3000) };
  return {
    id: "a",
    work: "w",
    status: "running",
    state,
    step: rev,
    rev,
    createdAt: 1,
    updatedAt: 1,
  };
}

/** The revision of "a" that a process started after a crash now would find. */
async function revAfterCrash(): Promise<number | undefined> {
  const copy = await tempDir("stater-crashed-");
  try {
    for (const name of await readdir(dir)) {
      if (name === "active.log") await copyFile(join(dir, name), join(copy, name));
    }
    const driver = fsDriver({ dir: copy });
    await driver.open!({ owner: "t", report: () => {} });
    const rev = (await driver.get("a"))?.rev;
    await driver.close!();
    return rev;
  } finally {
    await removeDir(copy);
  }
}

it(
  "a journal whose compaction's rename took effect but failed, on a disk then full, never acknowledges a commit that a crash would lose (defect 2)",
  async () => {
    const driver: Driver = fsDriver({ dir });
    await driver.open!({ owner: "t", report: () => {} });
    disk.renamed = 0;
    disk.failRename = true;
    let rev = 0;
    const commit = async () => {
      await driver.commit([{ type: "put", record: rec(rev + 1), expectRev: rev }]);
      rev++;
    };
    while (disk.renamed === 0) await commit();
    disk.full = true;
    let refused = 0;
    for (let i = 0; i < 5; i++) {
      await commit().catch((error) => {
        expect(error).toBeInstanceOf(DriverError);
        refused++;
      });
      expect(await revAfterCrash(), `after commit ${i} on the full disk`).toBe(rev);
    }
    expect(refused).toBe(5);
    disk.full = false;
    await commit();
    await driver.close!();
    expect(await revAfterCrash()).toBe(rev);
  },
  60_000,
);
