/**
 * Group commit on Deno KV: how many atomic operations a batch takes, how
 * many checks each holds, and that every write still gets its own result
 * when other engines write the same store.
 */
import { openKv } from "@deno/kv";
import { describe, expect, it } from "vitest";
import { StateNotStorableError } from "../../src/mod.ts";
import type { Driver, TaskRecord, Write } from "../../src/driver.ts";
import { denoKvDriver, type KvAtomic, type KvLike } from "../../drivers/deno-kv/mod.ts";
import { commitBatch, type CommitContext } from "../../drivers/deno-kv/_commit.ts";
import { Keys } from "../../drivers/deno-kv/_keys.ts";
import { CLOCK_PAUSE_MS, Known } from "../../drivers/deno-kv/_known.ts";
import { ATOMIC_LIMITS, operationLimits } from "../../drivers/deno-kv/_limits.ts";
import { context, useStore } from "./_store.ts";

const store = useStore();
const TASKS = 64;

function record(id: string, rev: number, state: unknown = { n: rev }): TaskRecord {
  return { id, work: "w", status: "running", state, step: rev, rev, createdAt: 1, updatedAt: 1 };
}

/** The operations committed through `kv`: how many checks and mutations each held. */
interface Counted {
  kv: KvLike;
  operations: { checks: number; mutations: number; ok: boolean }[];
  close(): void;
}

async function counted(): Promise<Counted> {
  const kv = (await openKv(store.path)) as unknown as KvLike;
  const operations: Counted["operations"] = [];
  const wrap = (atomic: KvAtomic, tally: { checks: number; mutations: number }): KvAtomic => ({
    check: (...checks) => (tally.checks += checks.length, atomic.check(...checks), wrapped),
    set: (key, value, options) => (tally.mutations++, atomic.set(key, value, options), wrapped),
    delete: (key) => (tally.mutations++, atomic.delete(key), wrapped),
    commit: async () => {
      const result = await atomic.commit();
      operations.push({ ...tally, ok: result.ok });
      return result;
    },
  });
  let wrapped: KvAtomic;
  return {
    kv: {
      get: (key) => kv.get(key),
      getMany: (keys) => kv.getMany(keys),
      list: (selector, options) => kv.list(selector, options),
      atomic: () => (wrapped = wrap(kv.atomic(), { checks: 0, mutations: 0 })),
      close: () => {},
    },
    operations,
    close: () => kv.close(),
  };
}

async function openOn(kv: KvLike, owner = "me"): Promise<Driver> {
  const driver = denoKvDriver({ kv });
  await driver.open!({ owner, report: context.report });
  return driver;
}

/** The next revision of every record in `records` as put writes, and the records it leaves. */
function nextPuts(records: TaskRecord[]): { writes: Write[]; next: TaskRecord[] } {
  const next = records.map((current) => record(current.id, current.rev + 1));
  return {
    writes: next.map((updated) => ({ type: "put", record: updated, expectRev: updated.rev - 1 })),
    next,
  };
}

/** Creates `count` records through `commit`, then steps each once (a chain then runs): rev 2. */
async function createdAndStepped(
  commit: (writes: Write[]) => Promise<unknown>,
  count: number,
): Promise<TaskRecord[]> {
  const records = Array.from({ length: count }, (_, index) => record(`t${index}`, 1));
  await commit(records.map((created) => ({ type: "put", record: created, expectRev: 0 })));
  const { writes, next } = nextPuts(records);
  await commit(writes);
  return next;
}

describe("deno-kv group commit", () => {
  it("asks the store how many checks one operation may hold: 10 through @deno/kv", async () => {
    const { kv, close } = await counted();
    try {
      expect(await operationLimits(kv, ["stater"])).toEqual(ATOMIC_LIMITS);
      expect(ATOMIC_LIMITS.checks).toBe(10);
    } finally {
      close();
    }
  });

  it("commits a batch of 64 tasks' steps as one atomic operation with one check, once its chain runs", async () => {
    const { kv, operations, close } = await counted();
    try {
      const driver = await openOn(kv);
      let records = Array.from({ length: TASKS }, (_, index) => record(`t${index}`, 1));
      const created = await driver.commit(
        records.map((created) => ({ type: "put", record: created, expectRev: 0 })),
      );
      expect(created.every((result) => result.ok)).toBe(true);
      // New records are checked one by one: 10 checks an operation at most.
      expect(operations.every((operation) => operation.checks <= ATOMIC_LIMITS.checks)).toBe(true);
      for (let batch = 0; batch < 3; batch++) {
        operations.length = 0;
        const { writes, next } = nextPuts(records);
        expect(await driver.commit(writes)).toEqual(writes.map(() => ({ ok: true })));
        records = next;
        // One operation: one check on the clock, one mutation a step (the index entry stays), the clock.
        expect(operations).toEqual([{ checks: 1, mutations: TASKS + 1, ok: true }]);
      }
      for (const stored of records) expect((await driver.get(stored.id))?.rev).toBe(stored.rev);
      await driver.close!();
    } finally {
      close();
    }
  });

  it("a step leaves the status index entry as it is; a new status rewrites it", async () => {
    const driver = await store.open("me");
    const raw = await openKv(store.path);
    try {
      const index = async () =>
        (await raw.get(["stater", "by-status", "running", "t"])).versionstamp;
      await driver.commit([{ type: "put", record: record("t", 1), expectRev: 0 }]);
      const first = await index();
      expect(first).not.toBeNull();
      await driver.commit([{ type: "put", record: record("t", 2), expectRev: 1 }]);
      await driver.commit([{ type: "put", record: record("t", 3), expectRev: 2 }]);
      expect(await index()).toBe(first);
      expect((await driver.get("t"))?.rev).toBe(3);
      const paused = { ...record("t", 4), status: "paused" as const };
      await driver.commit([{ type: "put", record: paused, expectRev: 3 }]);
      expect(await index()).toBeNull();
      expect((await raw.get(["stater", "by-status", "paused", "t"])).versionstamp).not.toBeNull();
      expect((await driver.list({ status: ["paused"] })).map((found) => found.rev)).toEqual([4]);
    } finally {
      raw.close();
    }
  });

  it("another engine hears each step of a running task, though the steps leave its index entry as it is", async () => {
    const running = await store.open("a", { pollMs: 20 });
    const listening = await store.open("b", { pollMs: 20 });
    const heard: number[] = [];
    const stop = listening.subscribe!((event) => {
      if (event.type === "commit" && event.record.id === "t") heard.push(event.record.rev);
    });
    const until = async (rev: number) => {
      const end = Date.now() + 5000;
      while (!heard.includes(rev) && Date.now() < end) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(heard, `heard revision ${rev}`).toContain(rev);
    };
    await running.commit([{ type: "put", record: record("t", 1), expectRev: 0 }]);
    await until(1);
    for (let rev = 2; rev <= 4; rev++) {
      await running.commit([{ type: "put", record: record("t", rev), expectRev: rev - 1 }]);
      await until(rev);
    }
    expect(heard).toEqual([1, 2, 3, 4]);
    stop();
  });

  it("when another engine commits, the batch is checked record by record and a conflict fails only its own write", async () => {
    const mine = await store.open("me");
    const other = await store.open("other");
    const records = await createdAndStepped(async (writes) => await mine.commit(writes), 20);
    // The other engine changes t5 (say, a pause from another tab) and, elsewhere, a task of its own.
    await other.commit([
      { type: "put", record: record("t5", 3, { changed: "elsewhere" }), expectRev: 2 },
      { type: "put", record: record("theirs", 1), expectRev: 0 },
    ]);
    const step = nextPuts(records);
    const results = await mine.commit(step.writes);
    expect(results.map((result, index) => (result.ok ? "ok" : `t${index}`))).toEqual(
      records.map((_, index) => (index === 5 ? "t5" : "ok")),
    );
    expect(results[5]).toEqual({ ok: false, conflict: true });
    expect((await mine.get("t5"))?.state).toEqual({ changed: "elsewhere" });
    expect((await mine.get("t6"))?.rev).toBe(3);
  });

  it("in a batch of one operation, a record too large fails only its own write", async () => {
    const driver = await store.open("me");
    const records = await createdAndStepped(async (writes) => await driver.commit(writes), 10);
    const { writes } = nextPuts(records);
    writes[3] = { type: "put", record: record("t3", 3, "x".repeat(900_000)), expectRev: 2 };
    const results = await driver.commit(writes);
    expect(results.filter((result) => result.ok)).toHaveLength(9);
    const refused = results[3]!;
    expect(!refused.ok && refused.error).toBeInstanceOf(StateNotStorableError);
    expect((await driver.get("t3"))?.rev, "t3 stays as it was").toBe(2);
    expect((await driver.get("t4"))?.rev).toBe(3);
  });

  it("large events waiting to go out make room for the largest record of the batch", async () => {
    const driver = await store.open("me");
    const big = (rev: number) => record("big", rev, { blob: "y".repeat(715_000), rev });
    await driver.commit([{ type: "put", record: big(1), expectRev: 0 }]);
    await driver.commit([{ type: "put", record: big(2), expectRev: 1 }]);
    for (let index = 0; index < 8; index++) {
      const message = `${index} ${"z".repeat(30_000)}`;
      driver.publish!({ type: "message", owner: "me", id: "big", work: "w", message });
    }
    // The small record comes first in the batch; the large one, written in the chain, rides first.
    const results = await driver.commit([
      { type: "put", record: record("small", 1), expectRev: 0 },
      { type: "put", record: big(3), expectRev: 2 },
    ]);
    expect(results).toEqual([{ ok: true }, { ok: true }]);
    expect(((await driver.get("big"))?.state as { rev: number }).rev).toBe(3);
  });

  it("after another engine moved the clock, commits check each record for a while, then chain again", async () => {
    const { kv, operations, close } = await counted();
    try {
      let now = 1_000_000;
      const keys = new Keys(["stater"]);
      const known = new Known(() => now);
      const commits: CommitContext = { kv, keys, owner: "me", limits: ATOMIC_LIMITS, known };
      let records = await createdAndStepped((writes) => commitBatch(commits, writes), 30);
      let step: ReturnType<typeof nextPuts>;
      const other = await store.open("other");
      await other.commit([{ type: "put", record: record("theirs", 1), expectRev: 0 }]);

      operations.length = 0;
      step = nextPuts(records);
      expect((await commitBatch(commits, step.writes)).every((result) => result.ok)).toBe(true);
      records = step.next;
      // The operation on the clock was refused; then three operations of ten checks each.
      expect(operations.map((operation) => [operation.checks, operation.ok])).toEqual([
        [1, false],
        [10, true],
        [10, true],
        [10, true],
      ]);

      operations.length = 0;
      step = nextPuts(records);
      await commitBatch(commits, step.writes);
      records = step.next;
      expect(operations.map((operation) => operation.checks), "still pausing").toEqual([
        10,
        10,
        10,
      ]);

      now += CLOCK_PAUSE_MS;
      // The first batch after the pause starts a chain: its first operation checks each record,
      // the next ones the clock and each record; the batch after that rides the chain.
      for (const expected of [[10, 10, 10, 3], [1]]) {
        operations.length = 0;
        step = nextPuts(records);
        expect((await commitBatch(commits, step.writes)).every((result) => result.ok)).toBe(true);
        records = step.next;
        expect(operations.map((operation) => operation.checks)).toEqual(expected);
      }
    } finally {
      close();
    }
  });
});
