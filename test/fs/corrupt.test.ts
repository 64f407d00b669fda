import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Driver, StoreCorruptError } from "../../src/mod.ts";
import type { TaskRecord } from "../../src/driver.ts";
import { fsDriver } from "../../drivers/fs/mod.ts";
import { frame } from "../../drivers/fs/_frame.ts";
import { putLine } from "../../drivers/fs/_record.ts";
import { removeDir, tempDir } from "./_subject.ts";

let dir: string;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => removeDir(dir));

const journal = () => join(dir, "active.log");

function rec(id: string, rev: number): TaskRecord {
  return {
    id,
    work: "w",
    status: "running",
    state: { rev },
    step: rev,
    rev,
    createdAt: 1,
    updatedAt: rev,
  };
}

async function open(): Promise<Driver> {
  const driver = fsDriver({ dir });
  await driver.open!({ owner: "t", report: () => {} });
  return driver;
}

/** Four commits; returns the journal's bytes and where each commit's frame starts. */
async function fourCommits(): Promise<{ bytes: Uint8Array; starts: number[] }> {
  const d = await open();
  const starts: number[] = [];
  for (let rev = 1; rev <= 4; rev++) {
    const bytes = new Uint8Array(await readFile(journal()));
    let end = bytes.length;
    while (bytes[end - 1] === 0) end--;
    starts.push(end);
    await d.commit([{ type: "put", record: rec("a", rev), expectRev: rev - 1 }]);
  }
  await d.close!();
  return { bytes: new Uint8Array(await readFile(journal())), starts };
}

async function openError(bytes: Uint8Array): Promise<StoreCorruptError> {
  await writeFile(journal(), bytes);
  const error = await open().then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(StoreCorruptError);
  return error as StoreCorruptError;
}

function flipped(bytes: Uint8Array, at: number): Uint8Array {
  const out = new Uint8Array(bytes);
  out[at] = out[at]! ^ 0xff;
  return out;
}

describe("fs corruption advice (defect 17)", () => {
  it("damage at byte 0 says to move the file away and restore a backup, never to truncate it to 0 bytes", async () => {
    const { bytes } = await fourCommits();
    const error = await openError(flipped(bytes, 12));
    expect(error.offset).toBe(0);
    expect(error.message).toMatch(/move it out of the store folder/);
    expect(error.message).toMatch(/restore the store from a backup/);
    expect(error.message).not.toMatch(/truncate/);
  });

  it("damage in the first commit, with whole commits after it, says that no commit before it can be kept", async () => {
    const { bytes, starts } = await fourCommits();
    const error = await openError(flipped(bytes, starts[0]! + 20));
    expect(error.offset).toBe(starts[0]);
    expect(error.message).toMatch(/restore the store from a backup/);
    expect(error.message).toMatch(/no commit before the damage can be kept/);
    expect(error.message).not.toMatch(/truncate/);
  });

  it("damage in a later commit says to truncate at its offset to keep the commits before it, and doing so works", async () => {
    const { bytes, starts } = await fourCommits();
    const error = await openError(flipped(bytes, starts[2]! + 20));
    expect(error.offset).toBe(starts[2]);
    expect(error.message).toContain(
      `truncate the file to ${starts[2]} bytes to keep the 2 commits before it`,
    );
    await writeFile(journal(), bytes.subarray(0, starts[2]));
    const d = await open();
    expect((await d.get("a"))?.rev).toBe(2);
    await d.close!();
  });
});

describe("fs format 1 stores", () => {
  it("a journal of format 1 opens, is rewritten in format 2, and goes on", async () => {
    const utf8 = (s: string) => new TextEncoder().encode(s);
    const parts = [
      frame(utf8(JSON.stringify({ stater: "fs", kind: "active", v: 1 }))),
      frame(utf8([putLine(rec("a", 1)).line, putLine(rec("b", 1)).line].join("\n"))),
      frame(utf8(putLine(rec("a", 2)).line)),
    ];
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0) + 100);
    let at = 0;
    for (const part of parts) {
      bytes.set(part, at);
      at += part.length;
    }
    await writeFile(journal(), bytes);
    const d = await open();
    expect((await d.get("a"))?.state).toEqual({ rev: 2 });
    expect((await d.get("b"))?.rev).toBe(1);
    expect(await d.commit([{ type: "put", record: rec("b", 2), expectRev: 1 }])).toEqual([{
      ok: true,
    }]);
    await d.close!();
    expect(await readFile(journal(), "utf8")).toContain('"v":2');
    const again = await open();
    expect((await again.list()).map((r) => [r.id, r.rev]).sort()).toEqual([["a", 2], ["b", 2]]);
    await again.close!();
  });
});
