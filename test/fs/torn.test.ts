import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Driver, StoreCorruptError } from "../../src/mod.ts";
import type { TaskRecord } from "../../src/driver.ts";
import { fsDriver } from "../../drivers/fs/mod.ts";
import { headerAt, scanFrames } from "../../drivers/fs/_frame.ts";
import { removeDir, tempDir } from "./_subject.ts";

let dir: string;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => removeDir(dir));

const journal = () => join(dir, "active.log");

function rec(id: string, rev: number, n: number): TaskRecord {
  return {
    id,
    work: "w",
    status: "running",
    state: { n, text: "ünïcödé ✓" },
    step: n,
    rev,
    createdAt: 1,
    updatedAt: rev,
  };
}

async function open(reports: unknown[] = []): Promise<Driver> {
  const driver = fsDriver({ dir });
  await driver.open!({ owner: "t", report: (e) => reports.push(e) });
  return driver;
}

/** The journal's bytes up to the end of its data (without the zeros it reserves ahead). */
async function journalData(): Promise<Uint8Array> {
  const bytes = new Uint8Array(await readFile(journal()));
  const start = headerAt(bytes)!.end;
  return bytes.subarray(0, scanFrames(bytes, journal(), { start, backed: true }).end);
}

/** Three commits; returns the journal's bytes and where the last commit's frame starts. */
async function threeCommits(): Promise<{ bytes: Uint8Array; lastStart: number }> {
  const d = await open();
  await d.commit([{ type: "put", record: rec("a", 1, 1), expectRev: 0 }, {
    type: "put",
    record: rec("b", 1, 1),
    expectRev: 0,
  }]);
  await d.commit([{ type: "put", record: rec("a", 2, 2), expectRev: 1 }]);
  const lastStart = (await journalData()).length;
  await d.commit([{ type: "put", record: rec("a", 3, 3), expectRev: 2 }, {
    type: "put",
    record: rec("b", 2, 2),
    expectRev: 1,
  }]);
  await d.close!();
  return { bytes: await journalData(), lastStart };
}

describe("torn writes", () => {
  it("a last commit cut at every byte offset recovers to the commit before it", async () => {
    const { bytes, lastStart } = await threeCommits();
    expect(bytes.length - lastStart).toBeGreaterThan(100);
    for (let cut = lastStart; cut < bytes.length; cut++) {
      await writeFile(journal(), bytes.subarray(0, cut));
      const reports: unknown[] = [];
      const d = await open(reports);
      expect((await d.get("a"))?.state, `cut at ${cut}`).toEqual({ n: 2, text: "ünïcödé ✓" });
      expect((await d.get("b"))?.rev, `cut at ${cut}`).toBe(1);
      // A cut exactly between frames is a whole store; anything else is reported as repaired.
      expect(reports.length, `cut at ${cut}`).toBe(cut === lastStart ? 0 : 1);
      if (cut > lastStart) expect(reports[0]).toBeInstanceOf(StoreCorruptError);
      await d.close!();
    }
  });

  it("a last commit whose bytes never reached the disk (zeros) recovers too, and the store goes on", async () => {
    const { bytes, lastStart } = await threeCommits();
    for (let cut = lastStart; cut < bytes.length; cut += 7) {
      // Zeros from the cut on, and the reserved zeros after the data, as the journal keeps them.
      const zeroed = new Uint8Array(bytes.length + 4096);
      zeroed.set(bytes.subarray(0, cut));
      await writeFile(journal(), zeroed);
      const d = await open();
      expect((await d.get("a"))?.rev, `zeros from ${cut}`).toBe(2);
      expect(await d.commit([{ type: "put", record: rec("a", 3, 30), expectRev: 2 }])).toEqual([{
        ok: true,
      }]);
      await d.close!();
      const again = await open();
      expect((await again.get("a"))?.state, `zeros from ${cut}, after a new commit`).toEqual({
        n: 30,
        text: "ünïcödé ✓",
      });
      await again.close!();
    }
  });

  it("damage with whole commits after it is a StoreCorruptError naming the file and the offset", async () => {
    const { bytes, lastStart } = await threeCommits();
    const damaged = new Uint8Array(bytes);
    damaged[lastStart - 3] = damaged[lastStart - 3]! ^ 0xff; // inside the second commit, with the third after it
    await writeFile(journal(), damaged);
    const error = await open().catch((e) => e);
    expect(error).toBeInstanceOf(StoreCorruptError);
    expect(error.file).toBe(journal());
    expect(error.offset).toBeGreaterThan(0);
    expect(error.offset).toBeLessThan(lastStart);
    expect(error.message).toContain(`${journal()} at byte ${error.offset}`);
    // The lock was released: after a repair by hand, the store opens.
    await writeFile(journal(), bytes.subarray(0, error.offset));
    const d = await open();
    expect((await d.get("a"))?.rev).toBe(1);
    await d.close!();
  });

  it("a file that is not a stater journal is refused, never parsed as one", async () => {
    await writeFile(journal(), '{"not": "a journal"}\n'.repeat(10));
    const error = await open().catch((e) => e);
    expect(error).toBeInstanceOf(StoreCorruptError);
    expect(String(error)).not.toMatch(/SyntaxError/);
  });
});
