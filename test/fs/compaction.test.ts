import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Driver, StoreCorruptError, type TaskStatus } from "../../src/mod.ts";
import type { TaskRecord } from "../../src/driver.ts";
import { fsDriver } from "../../drivers/fs/mod.ts";
import { removeDir, tempDir } from "./_subject.ts";

let dir: string;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => removeDir(dir));

async function open(): Promise<Driver> {
  const driver = fsDriver({ dir });
  await driver.open!({ owner: "t", report: () => {} });
  return driver;
}

function rec(id: string, status: TaskStatus, rev = 1, state: unknown = { id }): TaskRecord {
  return {
    id,
    work: "w",
    status,
    state,
    step: rev,
    rev,
    createdAt: 1,
    updatedAt: 1,
    ...(status === "done" ? { result: rev } : {}),
  };
}

const segments = async () => (await readdir(dir)).filter((n) => n.startsWith("done-")).sort();

describe("compaction", () => {
  it("keeps the journal bounded while one task commits many large states", async () => {
    const d = await open();
    const big = "x".repeat(1000);
    let largest = 0;
    for (let rev = 1; rev <= 3000; rev++) {
      await d.commit([{
        type: "put",
        record: rec("a", "running", rev, { big, rev }),
        expectRev: rev - 1,
      }]);
      if (rev % 250 === 0) largest = Math.max(largest, (await stat(join(dir, "active.log"))).size);
    }
    expect(largest).toBeGreaterThan(1024 * 1024); // it did grow past the threshold in between
    expect(largest).toBeLessThan(2.6 * 1024 * 1024); // 2 MiB, one commit, and the zeros reserved ahead
    expect((await stat(join(dir, "active.log"))).size).toBeLessThan(2.6 * 1024 * 1024);
    await d.close!();
    const again = await open();
    expect((await again.get("a"))?.state).toEqual({ big, rev: 3000 });
    await again.close!();
  });

  it("moves finished tasks to a segment at close, which is read only when a finished task is asked for", async () => {
    const d = await open();
    await d.commit([
      ...Array.from(
        { length: 50 },
        (_, i) => ({ type: "put" as const, record: rec(`done-${i}`, "done"), expectRev: 0 }),
      ),
      { type: "put", record: rec("run-1", "running"), expectRev: 0 },
      { type: "put", record: rec("pause-1", "paused"), expectRev: 0 },
    ]);
    await d.close!();
    expect(await segments()).toEqual(["done-000001.log"]);
    const journal = await readFile(join(dir, "active.log"), "utf8");
    expect(journal).toContain("run-1");
    expect(journal).not.toContain("done-7");
    // Damage the segment: listing active tasks never reads it, asking for a finished one does.
    const path = join(dir, "done-000001.log");
    const bytes = await readFile(path);
    bytes[bytes.length - 40] = bytes[bytes.length - 40]! ^ 0xff;
    await writeFile(path, Buffer.concat([bytes, new Uint8Array(200).fill(1)]));
    const again = await open();
    expect((await again.list({ status: ["pending", "running", "paused"] })).map((r) => r.id).sort())
      .toEqual(["pause-1", "run-1"]);
    expect((await again.get("run-1"))?.status).toBe("running");
    await expect(again.get("done-7")).rejects.toBeInstanceOf(StoreCorruptError);
    await again.close!();
  });

  it("merges segments as they pile up, and deletes stay deleted", async () => {
    for (let i = 0; i < 14; i++) {
      const d = await open();
      await d.commit([{ type: "put", record: rec(`d${i}`, "done"), expectRev: 0 }]);
      if (i === 6) {
        expect(await d.commit([{ type: "delete", id: "d0", expectRev: 1 }])).toEqual([{
          ok: true,
        }]);
      }
      await d.close!();
    }
    expect((await segments()).length).toBeLessThanOrEqual(9);
    const d = await open();
    expect((await d.list()).map((r) => r.id).sort()).toEqual(
      Array.from({ length: 13 }, (_, i) => `d${i + 1}`).sort(),
    );
    expect(await d.get("d0")).toBeUndefined();
    expect((await d.get("d13"))?.result).toBe(1);
    await d.close!();
  });

  it("a compaction cut short after writing its segment leaves every record as it was", async () => {
    const d = await open();
    await d.commit([{ type: "put", record: rec("a", "running"), expectRev: 0 }, {
      type: "put",
      record: rec("b", "running"),
      expectRev: 0,
    }]);
    await d.commit([{ type: "put", record: rec("a", "done", 2), expectRev: 1 }, {
      type: "delete",
      id: "b",
      expectRev: 1,
    }]);
    const before = await readFile(join(dir, "active.log"));
    await d.close!();
    // The journal as it was before the compaction replaced it, next to the new segment.
    await writeFile(join(dir, "active.log"), before);
    const again = await open();
    expect((await again.get("a"))?.rev).toBe(2);
    expect(await again.get("b")).toBeUndefined();
    expect(await again.commit([{ type: "put", record: rec("a", "pending", 3), expectRev: 2 }]))
      .toEqual([{ ok: true }]);
    await again.close!();
    const third = await open();
    expect((await third.list()).map((r) => [r.id, r.rev, r.status])).toEqual([["a", 3, "pending"]]);
    await third.close!();
  });
});
