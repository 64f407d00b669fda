/**
 * Torn pages (defect 3): a power cut may persist any subset of the pages
 * written since the last flush, in any order — a frame's later pages without
 * its first, or in relaxed durability a later frame whole and an earlier one
 * not. Each page of the tail is persisted, zeroed or garbage, in every
 * combination; the store must open at its longest whole prefix of commits
 * and report the repair.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Driver, StoreCorruptError } from "../../src/mod.ts";
import type { TaskRecord } from "../../src/driver.ts";
import { fsDriver } from "../../drivers/fs/mod.ts";
import { headerFrame, replaceFile } from "../../drivers/fs/_file.ts";
import { AppendFile } from "../../drivers/fs/_journal.ts";
import { putLine } from "../../drivers/fs/_record.ts";
import { removeDir, tempDir } from "./_subject.ts";

const PAGE = 512;
const FATES = ["persisted", "zeroed", "garbage"] as const;

let dir: string;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => removeDir(dir));

const journal = () => join(dir, "active.log");

function rec(id: string, rev: number, pad: number): TaskRecord {
  return {
    id,
    work: "w",
    status: "running",
    state: { rev, pad: "p".repeat(pad) },
    step: rev,
    rev,
    createdAt: 1,
    updatedAt: rev,
  };
}

/** A journal built commit by commit: its bytes, where each commit's frame ends, the records after each. */
interface Built {
  bytes: Uint8Array;
  ends: number[];
  states: Map<string, number>[];
  /** Where the bytes not yet known to be on the disk start. */
  inFlight: number;
}

/** The length of `bytes` without the zeros at its end. */
function dataEnd(bytes: Uint8Array): number {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return end;
}

/** Batches of ids with their state sizes, as commits of increasing revisions. */
function batchRecords(batches: number[][]): TaskRecord[][] {
  const revs = new Map<string, number>();
  return batches.map((batch) => {
    const seen = new Set<string>();
    return batch.flatMap((pad, i) => {
      const id = `t${i % 3}`;
      if (seen.has(id)) return [];
      seen.add(id);
      const rev = (revs.get(id) ?? 0) + 1;
      revs.set(id, rev);
      return [rec(id, rev, pad)];
    });
  });
}

function after(states: Map<string, number>[], batch: TaskRecord[]): Map<string, number> {
  const next = new Map(states.at(-1) ?? []);
  for (const record of batch) next.set(record.id, record.rev);
  return next;
}

/** Through the driver, strict: every frame but the last is on the disk. */
async function buildStrict(batches: number[][]): Promise<Built> {
  const driver = fsDriver({ dir });
  await driver.open!({ owner: "t", report: () => {} });
  const ends: number[] = [];
  const states: Map<string, number>[] = [new Map()];
  for (const batch of batchRecords(batches)) {
    await driver.commit(
      batch.map((record) => ({ type: "put", record, expectRev: record.rev - 1 })),
    );
    ends.push(dataEnd(new Uint8Array(await readFile(journal()))));
    states.push(after(states, batch));
  }
  const bytes = new Uint8Array(await readFile(journal()));
  await driver.close!();
  return { bytes, ends, states, inFlight: ends.at(-2) ?? ends[0]! };
}

/** As a relaxed journal leaves it: the last `inFlight` frames written, not yet flushed. */
async function buildRelaxed(batches: number[][], inFlight: number): Promise<Built> {
  await replaceFile(journal(), headerFrame("active"));
  const file = await AppendFile.open(journal(), headerFrame("active").length);
  const ends: number[] = [];
  const states: Map<string, number>[] = [new Map()];
  const records = batchRecords(batches);
  let durable = file.size;
  for (const [i, batch] of records.entries()) {
    await file.append(batch.map((record) => putLine(record).line).join("\n"), false);
    if (i < records.length - inFlight) {
      await file.flush(false);
      durable = file.size;
    }
    ends.push(file.size);
    states.push(after(states, batch));
  }
  await file.close();
  return { bytes: new Uint8Array(await readFile(journal())), ends, states, inFlight: durable };
}

/** The pieces the crash may tear: from `from` to the next page boundary, then whole pages past the data. */
function pieces(from: number, end: number): [number, number][] {
  const out: [number, number][] = [];
  for (let at = from; at < end + PAGE;) {
    const next = (Math.floor(at / PAGE) + 1) * PAGE;
    out.push([at, next]);
    at = next;
  }
  return out;
}

function garbage(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

async function open(reports: unknown[]): Promise<Driver> {
  const driver = fsDriver({ dir });
  await driver.open!({ owner: "t", report: (e) => reports.push(e) });
  return driver;
}

/** A fresh store folder for one run of a property. */
async function freshDir(): Promise<void> {
  await removeDir(dir);
  dir = await tempDir();
}

/** Every combination of fates for the torn pieces of `built`: the store opens at its longest whole prefix. */
async function checkEveryFate(built: Built, seed: number): Promise<void> {
  const end = built.ends.at(-1)!;
  const torn = pieces(built.inFlight, end);
  const size = Math.max(built.bytes.length, torn.at(-1)![1]);
  for (let combination = 0; combination < FATES.length ** torn.length; combination++) {
    const bytes = new Uint8Array(size);
    bytes.set(built.bytes);
    const fates = torn.map((_, i) => FATES[Math.floor(combination / FATES.length ** i) % 3]!);
    torn.forEach(([from, to], i) => {
      if (fates[i] === "zeroed") bytes.fill(0, from, to);
      if (fates[i] === "garbage") bytes.set(garbage(seed + combination * 31 + i, to - from), from);
    });
    // The longest prefix of commits whose bytes are all as written.
    let whole = 0;
    while (
      whole < built.ends.length &&
      bytes.subarray(0, built.ends[whole]).every((b, i) => b === built.bytes[i])
    ) whole++;
    const validEnd = whole === 0 ? built.inFlight : built.ends[whole - 1]!;
    const label = `fates ${fates.join(",")} over ${JSON.stringify(torn)}`;
    await writeFile(journal(), bytes);
    const reports: unknown[] = [];
    const driver = await open(reports);
    try {
      const found = new Map((await driver.list()).map((r) => [r.id, r.rev]));
      expect(found, label).toEqual(built.states[whole]);
      const dropped = bytes.subarray(validEnd).some((b) => b !== 0);
      expect(reports.length, label).toBe(dropped ? 1 : 0);
      if (dropped) expect(reports[0], label).toBeInstanceOf(StoreCorruptError);
    } finally {
      await driver.close!();
    }
  }
}

const batch = fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 3 });

describe("fs torn pages (defect 3)", () => {
  it("a store opens when its last frame's first page was lost and its later pages reached the disk", async () => {
    const built = await buildStrict([[50], [200, 30], [1500]]);
    const bytes = new Uint8Array(built.bytes);
    const lastStart = built.ends[1]!;
    bytes.fill(0, lastStart, (Math.floor(lastStart / PAGE) + 1) * PAGE);
    await writeFile(journal(), bytes);
    const reports: unknown[] = [];
    const driver = await open(reports);
    expect((await driver.get("t0"))?.rev).toBe(2);
    expect((await driver.get("t1"))?.rev).toBe(1);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toBeInstanceOf(StoreCorruptError);
    expect((reports[0] as StoreCorruptError).offset).toBe(lastStart);
    // The store goes on from there.
    expect(await driver.commit([{ type: "put", record: rec("t0", 3, 10), expectRev: 2 }]))
      .toEqual([{ ok: true }]);
    await driver.close!();
    const again = await open([]);
    expect((await again.get("t0"))?.rev).toBe(3);
    await again.close!();
  });

  it(
    "a strict journal whose last frame kept any subset of its pages, zeroed or garbage, opens at the last whole commit",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(batch, { minLength: 1, maxLength: 3 }),
          fc.integer({ min: 100, max: 800 }),
          fc.integer(),
          async (batches, lastPad, seed) => {
            await freshDir();
            await checkEveryFate(await buildStrict([...batches, [lastPad]]), seed);
          },
        ),
        { numRuns: 8 },
      );
    },
    120_000,
  );

  it(
    "a relaxed journal whose last frames were in flight opens at its longest whole prefix, whatever pages reached the disk",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(batch, { minLength: 1, maxLength: 2 }),
          fc.array(fc.integer({ min: 20, max: 300 }), { minLength: 2, maxLength: 3 }),
          fc.integer(),
          async (durable, inFlight, seed) => {
            await freshDir();
            const batches = [...durable, ...inFlight.map((pad) => [pad])];
            await checkEveryFate(await buildRelaxed(batches, inFlight.length), seed);
          },
        ),
        { numRuns: 8 },
      );
    },
    120_000,
  );
});
