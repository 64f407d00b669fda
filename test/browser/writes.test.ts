import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createEngine,
  type Driver,
  StateNotStorableError,
  type WorkFunction,
} from "../../src/mod.ts";
import type { TaskRecord } from "../../src/driver.ts";
import { indexedDBDriver } from "../../drivers/indexeddb/mod.ts";
import { commitBatch, commitBlind } from "../../drivers/indexeddb/_commit.ts";
import { openDatabase } from "../../drivers/indexeddb/_database.ts";
import { Writes } from "../../drivers/indexeddb/_writes.ts";
import { databases, deferred, eventually } from "./_util.ts";

const { name, dropAll } = databases("writes");
/** What each test opened and took, undone after it, last first, even when it failed. */
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await dropAll();
});

function record(id: string, patch: Partial<TaskRecord> = {}): TaskRecord {
  return {
    id,
    work: "w",
    status: "running",
    state: null,
    step: 0,
    rev: 1,
    createdAt: 1,
    updatedAt: 1,
    ...patch,
  };
}
const ctx = {
  owner: "test",
  report: (error: unknown) => {
    throw error;
  },
};
const put = (rev: number, patch: Partial<TaskRecord> = {}) => ({
  type: "put" as const,
  record: record("t", { rev, ...patch }),
  expectRev: rev - 1,
});

async function opened(db: string): Promise<Driver> {
  const driver = indexedDBDriver({ name: db });
  await driver.open!(ctx);
  cleanups.push(() => driver.close!());
  return driver;
}

/** Driver `a` holds task "t" at revision 2, and knows it. */
async function holding(db: string) {
  const a = await opened(db);
  await a.commit([put(1)]);
  const lease = await a.acquire!("t", {
    owner: "A",
    wait: false,
    signal: new AbortController().signal,
  });
  expect(lease).toBeDefined();
  cleanups.push(() => lease!.release());
  expect(await a.commit([put(2)])).toEqual([{ ok: true }]);
  return { a, lease: lease! };
}

/** Holds the Web Lock of task "t" like a holder that is not a stater driver: it never answers. */
async function silentHolder(db: string): Promise<{ release(): Promise<void> }> {
  const free = deferred();
  const holding = deferred();
  const held = navigator.locks.request(`stater:${db}:t`, () => {
    holding.resolve();
    return free.promise;
  });
  await holding.promise;
  cleanups.push(() => free.resolve());
  return {
    release: async () => {
      free.resolve();
      await held;
    },
  };
}

describe("writes with Web Locks", () => {
  it("the holder of a task commits its steps without reading the record, and commits at once", async () => {
    const db = name();
    const { a } = await holding(db);
    const get = vi.spyOn(IDBObjectStore.prototype, "get");
    const commit = vi.spyOn(IDBTransaction.prototype, "commit");
    expect(await a.commit([put(3, { step: 1 })])).toEqual([{ ok: true }]);
    expect(await a.commit([put(4, { step: 2 })])).toEqual([{ ok: true }]);
    expect(get).not.toHaveBeenCalled();
    expect(commit).toHaveBeenCalledTimes(2);
    // The revision it keeps in memory still guards it: a stale write is a conflict, and nothing changes.
    expect(await a.commit([put(4, { step: 9 })])).toEqual([{ ok: false, conflict: true }]);
    expect((await a.get("t"))?.step).toBe(2);
  });

  it("another driver's write of a held task is applied by the holder, whose next stale write then conflicts", async () => {
    const db = name();
    const { a } = await holding(db);
    const b = await opened(db);
    const asks: unknown[] = [];
    const channel = new BroadcastChannel(`stater:${db}:writes`);
    channel.onmessage = (event) => asks.push(event.data);

    expect(await b.commit([put(3, { status: "paused" })])).toEqual([{ ok: true }]);
    expect(asks.some((m) => typeof m === "object" && m !== null && "ask" in m)).toBe(true);
    expect(await a.commit([put(3, { step: 5 })])).toEqual([{ ok: false, conflict: true }]);
    expect(await b.get("t")).toMatchObject({ rev: 3, status: "paused", step: 0 });
    // A stale write from the other driver is refused by the holder as well.
    expect(await b.commit([put(3, { status: "canceled" })])).toEqual([{
      ok: false,
      conflict: true,
    }]);
    // And a removal goes through the holder too.
    expect(await b.commit([{ type: "delete", id: "t", expectRev: 3 }])).toEqual([{ ok: true }]);
    expect(await a.get("t")).toBeUndefined();
    expect(await a.commit([put(4)])).toEqual([{ ok: false, conflict: true }]);

    channel.close();
  });

  it("changes to tasks nobody holds share one transaction, under their locks; a held one goes to its holder", async () => {
    const db = name();
    const { a } = await holding(db);
    const b = await opened(db);
    const ids = Array.from({ length: 10 }, (_, i) => `free${i}`);
    await b.commit(
      ids.map((id) => ({ type: "put", record: record(id, { status: "pending" }), expectRev: 0 })),
    );
    const transaction = vi.spyOn(IDBDatabase.prototype, "transaction");
    const results = await b.commit([
      ...ids.map((id) => ({
        type: "put" as const,
        record: record(id, { rev: 2, status: "paused" }),
        expectRev: 1,
      })),
      put(3, { status: "paused" }),
    ]);
    expect(results).toEqual([...ids.map(() => ({ ok: true })), { ok: true }]);
    // Two readwrite transactions, on two connections: b's for the ten free tasks, and the holder a's for the held one.
    const connections = transaction.mock.contexts.filter((_, k) =>
      transaction.mock.calls[k]![1] === "readwrite"
    );
    expect(connections).toHaveLength(2);
    expect(new Set(connections).size).toBe(2);
    expect((await a.list({ status: ["paused"] })).length).toBe(11);
  });

  it("a batch that writes one task twice applies its writes in order, whichever way each goes", async () => {
    const db = name();
    const { a } = await holding(db);
    const b = await opened(db);
    expect(await a.commit([put(3, { step: 1 }), put(4, { step: 2 }), put(4, { step: 9 })])).toEqual(
      [
        { ok: true },
        { ok: true },
        { ok: false, conflict: true },
      ],
    );
    expect(await b.get("t")).toMatchObject({ rev: 4, step: 2 });
    // A new task and its removal, then the held task paused through its holder, all in one batch.
    const u = { type: "put" as const, record: record("u", { status: "pending" }), expectRev: 0 };
    expect(
      await b.commit([
        u,
        { type: "delete", id: "u" },
        put(5, { status: "paused" }),
        put(6, { status: "running" }),
      ]),
    ).toEqual([
      { ok: true },
      { ok: true },
      { ok: true },
      { ok: true },
    ]);
    expect(await b.get("u")).toBeUndefined();
    expect(await a.get("t")).toMatchObject({ rev: 6, status: "running" });
  });

  it("a request sent twice is applied once, and answered the same both times", async () => {
    const db = name();
    const { a } = await holding(db);
    const answers: unknown[] = [];
    const channel = new BroadcastChannel(`stater:${db}:writes`);
    channel.onmessage = (event) => answers.push(event.data);
    const ask = { ask: "same-request", write: put(3, { step: 7 }) };
    channel.postMessage(ask);
    channel.postMessage(ask);
    await eventually(() => answers.length === 2, 5000, "two answers");
    expect(answers).toEqual([{ req: "same-request", ok: true }, { req: "same-request", ok: true }]);
    expect(await a.get("t")).toMatchObject({ rev: 3, step: 7 });
    channel.close();
  });

  it("when the holder never answers, the write waits for the lock and is done once it frees", async () => {
    const db = name();
    const b = await opened(db);
    await b.commit([put(1)]);
    const silent = await silentHolder(db);
    let settled = false;
    const writing = Promise.resolve(b.commit([put(2, { status: "paused" })])).finally(
      () => (settled = true),
    );
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(settled).toBe(false);
    expect((await b.get("t"))?.rev).toBe(1);
    await silent.release();
    expect(await writing).toEqual([{ ok: true }]);
    expect(await b.get("t")).toMatchObject({ rev: 2, status: "paused" });
  });

  it("closing the driver fails a write still waiting for the holder, with a typed error", async () => {
    const db = name();
    const b = await opened(db);
    await b.commit([put(1)]);
    const silent = await silentHolder(db);
    const writing = b.commit([put(2, { status: "paused" })]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await b.close!();
    await expect(writing).rejects.toMatchObject({ name: "DriverError", code: "DATABASE_CLOSED" });
    await silent.release();
    const again = await opened(db);
    expect((await again.get("t"))?.rev).toBe(1);
  });

  it("a write whose holder holds on but never answers gives up, with an error that says to try again", async () => {
    const db = name();
    const b = await opened(db);
    await b.commit([put(1)]);
    await b.close!();
    const connection = await openDatabase(indexedDB, db, () => {});
    const writes = new Writes(
      navigator.locks,
      (id) => `stater:${db}:${id}`,
      `stater:${db}:writes`,
      {
        blind: (batch) => commitBlind(connection, batch, "strict"),
        checked: (batch) => commitBatch(connection, batch, "strict"),
      },
      300,
    );
    const silent = await silentHolder(db);
    const started = Date.now();
    await expect(writes.commit([put(2, { status: "paused" })])).rejects.toMatchObject({
      name: "TimeoutError",
      message: expect.stringContaining("did not answer for 0.3 s; try again"),
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    await silent.release();
    expect((await connection.get("tasks", "t"))?.rev).toBe(1);
    writes.close();
    connection.close();
  });

  it("a write that structured clone refuses fails alone, naming the path, before it is sent", async () => {
    const db = name();
    const { a } = await holding(db);
    const b = await opened(db);
    const asks: unknown[] = [];
    const channel = new BroadcastChannel(`stater:${db}:writes`);
    cleanups.push(() => channel.close());
    channel.onmessage = (event) => asks.push(event.data);
    const other = {
      type: "put" as const,
      record: record("u", { status: "pending" }),
      expectRev: 0,
    };
    const [result, second] = await b.commit([put(3, { state: { keep: 1, fn: () => 1 } }), other]);
    const error = result && !result.ok ? result.error : undefined;
    expect(error).toBeInstanceOf(StateNotStorableError);
    expect(error!.message).toContain("state.fn");
    expect(second).toEqual({ ok: true });
    expect((await a.get("t"))?.rev).toBe(2);
    expect((await a.get("u"))?.status).toBe("pending");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(asks, "nothing was sent to the holder").toEqual([]);
  });

  it("an engine pauses a task another engine runs; the run stops at once and the task resumes exactly", async () => {
    const db = name();
    const runs = new Map<number, number>();
    const count: WorkFunction<{ n: number }, number> = async (s, c) => {
      runs.set(s.n, (runs.get(s.n) ?? 0) + 1);
      await new Promise((resolve) => setTimeout(resolve, 2));
      return s.n >= 300 ? c.done(s.n) : { n: s.n + 1 };
    };
    const runner = await createEngine({ driver: indexedDBDriver({ name: db }), work: { count } });
    const other = await createEngine({
      driver: indexedDBDriver({ name: db }),
      work: { count },
      autoResume: false,
    });
    const task = await runner.create("count", { n: 0 }, { id: "p" });
    await eventually(() => (runs.size > 20), 5000, "some steps");
    const theirs = (await other.get("p"))!;
    await theirs.pause();
    expect(theirs.status).toBe("paused");
    await eventually(() => task.status === "paused", 5000, "the runner to see the pause");
    const stoppedAt = runs.size;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(runs.size).toBe(stoppedAt);
    await theirs.resume();
    expect(await theirs.result()).toBe(300);
    // Every step ran; at most the one in flight at the pause ran twice.
    expect(runs.size).toBe(301);
    expect([...runs.values()].filter((n) => n > 1).length).toBeLessThanOrEqual(1);
    await runner.close();
    await other.close();
  });
});
