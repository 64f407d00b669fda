/**
 * The formats of a store's files: stores written by earlier formats open and
 * are rewritten in the current one before anything is appended, and every
 * kind of record round-trips through the short and the whole form of a put.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Driver } from "../../src/mod.ts";
import { encodeRecordBody, type TaskRecord } from "../../src/driver.ts";
import { fsDriver } from "../../drivers/fs/mod.ts";
import { frame } from "../../drivers/fs/_frame.ts";
import { FORMAT } from "../../drivers/fs/_file.ts";
import { putLine, readRecord } from "../../drivers/fs/_record.ts";
import { record } from "./_records.ts";
import { removeDir, tempDir } from "./_subject.ts";

let dir: string;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => removeDir(dir));

const journal = () => join(dir, "active.log");
const utf8 = (s: string) => new TextEncoder().encode(s);

const rec = record;

async function open(): Promise<Driver> {
  const driver = fsDriver({ dir });
  await driver.open!({ owner: "t", report: () => {} });
  return driver;
}

/** The whole form of a put, as formats 1 and 2 wrote every put. */
const wholeLine = (r: TaskRecord) =>
  `${JSON.stringify(["p", r.id, r.status, r.work, r.rev])}\t${encodeRecordBody(r)}`;

/** A journal of `version`: its header, then one frame a batch (with `back` from format 2 on). */
function journalOf(version: number, batches: string[][]): Uint8Array {
  const frames = [frame(utf8(JSON.stringify({ stater: "fs", kind: "active", v: version })))];
  for (const lines of batches) {
    const text = utf8(lines.join("\n"));
    frames.push(frame(version === 1 ? text : new Uint8Array([0, 0, 0, 0, ...text])));
  }
  const bytes = new Uint8Array(frames.reduce((n, f) => n + f.length, 0) + 100);
  let at = 0;
  for (const f of frames) {
    bytes.set(f, at);
    at += f.length;
  }
  return bytes;
}

describe("fs formats", () => {
  it.each([1, 2])(
    "a journal of format %i opens, is rewritten in the current format, and goes on",
    async (version) => {
      await writeFile(
        journal(),
        journalOf(version, [[wholeLine(rec("a", 1)), wholeLine(rec("b", 1))], [
          wholeLine(rec("a", 2)),
        ]]),
      );
      const d = await open();
      expect((await d.get("a"))?.state).toEqual({ rev: 2 });
      expect((await d.get("b"))?.rev).toBe(1);
      expect(await d.commit([{ type: "put", record: rec("b", 2), expectRev: 1 }])).toEqual([{
        ok: true,
      }]);
      await d.close!();
      expect(await readFile(journal(), "utf8")).toContain(`"v":${FORMAT}`);
      const again = await open();
      expect((await again.list()).map((r) => [r.id, r.rev]).sort()).toEqual([["a", 2], ["b", 2]]);
      await again.close!();
    },
  );

  it("every kind of record round-trips, in the short form or, when its head is not plain, the whole form", async () => {
    const records: TaskRecord[] = [
      rec("plain", 1),
      rec("progress", 1, { progress: { done: 3, total: 10 } }),
      rec("done", 1, { status: "done", result: { when: new Date(5), n: -0 } }),
      rec("undefined-result", 1, { status: "done", result: undefined }),
      rec("failed", 1, {
        status: "failed",
        error: { name: "Error", message: "boom", code: "X" } as never,
      }),
      rec("odd-state", 1, { state: new Map([[1, new Set([2n])]]) }),
      rec("nan-time", 1, { createdAt: NaN, updatedAt: -0 }),
      rec("tab\tand\nnewline", 1, { work: "w\t2" }),
    ];
    expect(putLine(records[0]!).line.split("\t")[0]).toBe('["p","plain","running","w",1,1,1,1]');
    expect(putLine(rec("t", 7, { step: 6, createdAt: 2, updatedAt: 9 })).line).toMatch(
      /^\["p","t","running","w",2,7,6,9\]\t/,
    );
    expect(putLine(records[6]!).line.split("\t")[0]).toBe('["p","nan-time","running","w",1]');
    const d = await open();
    expect(await d.commit(records.map((record) => ({ type: "put", record, expectRev: 0 }))))
      .toEqual(records.map(() => ({ ok: true })));
    await d.close!();
    const again = await open();
    for (const record of records) {
      const back = await again.get(record.id);
      expect(back, record.id).toEqual(record);
      expect("result" in back!, record.id).toBe("result" in record);
    }
    expect(Object.is((await again.get("nan-time"))!.updatedAt, -0)).toBe(true);
    await again.close!();
  });

  it("the short head is the JSON of its fields, with the text a previous commit left reused only when it still holds", () => {
    const numbers = fc.oneof(
      fc.integer({ min: 0, max: 2_000_000_000 }),
      fc.constantFrom(0, 999_999_999, 1e9, 1e9 + 1, 1_764_576_000_123, Number.MAX_SAFE_INTEGER),
      fc.maxSafeNat(),
      fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e22, max: 1e22 }),
    );
    const heads = fc.record({
      id: fc.string(),
      status: fc.constantFrom("pending", "running", "paused"),
      work: fc.string(),
      createdAt: numbers,
      rev: numbers,
      step: numbers,
      updatedAt: numbers,
    });
    fc.assert(
      fc.property(heads, heads, (first, second) => {
        const a = rec(first.id, 1, first as Partial<TaskRecord>);
        const b = rec(first.id, 2, { ...second, id: first.id } as Partial<TaskRecord>);
        const previous = putLine(a);
        for (const [r, entry] of [[a, previous], [b, putLine(b, previous)]] as const) {
          const head = entry.line.split("\t")[0]!;
          const expected = Object.is(r.createdAt, -0) || Object.is(r.rev, -0) ||
              Object.is(r.step, -0) || Object.is(r.updatedAt, -0)
            ? JSON.stringify(["p", r.id, r.status, r.work, r.rev])
            : JSON.stringify([
              "p",
              r.id,
              r.status,
              r.work,
              r.createdAt,
              r.rev,
              r.step,
              r.updatedAt,
            ]);
          expect(head).toBe(expected);
          expect(readRecord(entry, "test")).toEqual(r);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
