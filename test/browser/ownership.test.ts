import { afterEach, describe, expect, it } from "vitest";
import { createEngine, type Driver, type WorkFunction } from "../../src/mod.ts";
import { indexedDBDriver } from "../../drivers/indexeddb/mod.ts";
import { testDriver } from "../../src/driver.ts";
import { databases, eventually } from "./_util.ts";

const { name, dropAll } = databases("own");
afterEach(dropAll);

const ctx = {
  owner: "test",
  report: (error: unknown) => {
    throw error;
  },
};
const acquire = async (
  d: Driver,
  owner: string,
  wait: boolean,
  signal = new AbortController().signal,
) => await d.acquire!("t", { owner, wait, signal });

for (const mode of ["Web Locks", "leases"] as const) {
  const make = (db: string) =>
    indexedDBDriver({
      name: db,
      ...(mode === "leases" ? { locks: false as const, leaseMs: 300 } : {}),
    });

  describe(`ownership with ${mode}`, () => {
    async function pair(): Promise<[Driver, Driver]> {
      const db = name();
      const a = make(db);
      const b = make(db);
      await a.open!(ctx);
      await b.open!(ctx);
      return [a, b];
    }

    it("a task has one owner at a time; a waiting engine gets it once the holder releases it", async () => {
      const [a, b] = await pair();
      const held = await acquire(a, "A", false);
      expect(held).toBeDefined();
      expect(await acquire(b, "B", false)).toBeUndefined();
      let got = false;
      const waiting = acquire(b, "B", true).then((lease) => ((got = true), lease));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(got).toBe(false);
      await held!.release();
      const lease = await waiting;
      expect(lease?.id).toBe("t");
      expect(await acquire(a, "A", false)).toBeUndefined();
      await lease!.release();
      await a.close!();
      await b.close!();
    });

    it("an aborted wait gives up without taking the task", async () => {
      const [a, b] = await pair();
      const held = await acquire(a, "A", false);
      const ac = new AbortController();
      const waiting = acquire(b, "B", true, ac.signal);
      ac.abort();
      expect(await waiting).toBeUndefined();
      await held!.release();
      const again = await acquire(a, "A", false);
      expect(again).toBeDefined();
      await again!.release();
      await a.close!();
      await b.close!();
    });
  });

  testDriver({ test: (n, f) => it(n, f) }, {
    name: `indexeddb with ${mode}`,
    setup: async () => {
      const db = name();
      return { open: () => make(db) };
    },
    capabilities: { blobs: true, concurrentEngines: true },
  });
}

describe("Web Locks waiting", () => {
  it("a waiting engine holds back a moment, so the engine that asks at once right after still gets the task", async () => {
    const db = name();
    const a = indexedDBDriver({ name: db });
    const b = indexedDBDriver({ name: db });
    const waiting = acquire(b, "B", true); // heard of a new task, waits for it
    const mine = await acquire(a, "A", false); // the creator asks right after
    expect(mine).toBeDefined();
    let got = false;
    void waiting.then(() => (got = true));
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(got).toBe(false);
    await mine!.release();
    const theirs = await waiting;
    expect(theirs).toBeDefined();
    await theirs!.release();
  });
});

describe("leases, where Web Locks are missing", () => {
  it("the engine renews its leases, and a dead owner's task is taken over once its lease runs out", async () => {
    const db = name();
    const d = indexedDBDriver({ name: db, locks: false, leaseMs: 300 });
    expect(d.renewEveryMs).toBe(100);
    expect(indexedDBDriver({ name: db }).renewEveryMs).toBeUndefined();
    await d.open!(ctx);
    const dead = await d.acquire!("t", {
      owner: "dead",
      wait: false,
      signal: new AbortController().signal,
    });
    expect(dead).toBeDefined(); // never renewed nor released: its holder "died"
    const count: WorkFunction<{ n: number }, number> = (
      s,
      c,
    ) => (s.n >= 5 ? c.done(s.n) : { n: s.n + 1 });
    const engine = await createEngine({
      driver: indexedDBDriver({ name: db, locks: false, leaseMs: 300 }),
      work: { count },
    });
    const started = Date.now();
    const task = await engine.create("count", { n: 0 }, { id: "t" });
    expect(await task.result()).toBe(5);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await expect(dead!.renew!()).rejects.toMatchObject({ code: "OWNERSHIP_LOST" });
    await engine.close();
    await d.close!();
  });
});

describe("cross-tab events over BroadcastChannel", () => {
  it("an engine sees the progress, messages and status of a task another engine runs", async () => {
    const db = name();
    const work: WorkFunction<{ n: number }, string> = async (s, c) => {
      c.progress(s.n, 5);
      c.emit(`at ${s.n}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return s.n >= 5 ? c.done("finished") : { n: s.n + 1 };
    };
    const runner = await createEngine({ driver: indexedDBDriver({ name: db }), work: { work } });
    const watcher = await createEngine({
      driver: indexedDBDriver({ name: db }),
      work: { work },
      autoResume: false,
    });
    const progress: number[] = [];
    const messages: unknown[] = [];
    const statuses: string[] = [];
    watcher.on("progress", (e) => progress.push(e.done));
    watcher.on("message", (e) => messages.push(e.message));
    watcher.on("status", (e) => statuses.push(e.to));
    const task = await runner.create("work", { n: 0 }, { id: "seen" });
    expect(await task.result()).toBe("finished");
    await eventually(() => statuses.includes("done"), 5000, "the done status in the watcher");
    // Progress is coalesced (the latest of each task every few ms); messages all arrive, in order.
    expect(progress.at(-1)).toBe(5);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(messages).toEqual(["at 0", "at 1", "at 2", "at 3", "at 4", "at 5"]);
    expect(statuses).toEqual(expect.arrayContaining(["running", "done"]));
    expect((await watcher.get("seen"))?.status).toBe("done");
    await runner.close();
    await watcher.close();
  });

  it("commits are broadcast in batches on the channel named after the database, status changes at once", async () => {
    const db = name();
    const channel = new BroadcastChannel(`stater:${db}`);
    const seen: { type: string; record?: { id: string; rev: number } }[] = [];
    channel.onmessage = (e) => seen.push(...e.data);
    const one: WorkFunction<null, number> = (_s, c) => c.done(1);
    const engine = await createEngine({ driver: indexedDBDriver({ name: db }), work: { one } });
    await (await engine.create("one", null, { id: "x" })).result();
    await eventually(
      () => seen.some((e) => e.type === "commit" && e.record?.rev === 3),
      5000,
      "the final commit",
    );
    expect(seen.filter((e) => e.type === "commit").map((e) => e.record!.rev)).toEqual([1, 2, 3]);
    channel.close();
    await engine.close();
  });

  it("the commits of plain steps are coalesced to the latest one of each task", async () => {
    const db = name();
    const channel = new BroadcastChannel(`stater:${db}`);
    const batches: { type: string; record?: { status: string; step: number } }[][] = [];
    channel.onmessage = (e) => batches.push(e.data);
    const count: WorkFunction<{ n: number }, number> = (
      s,
      c,
    ) => (s.n >= 200 ? c.done(s.n) : { n: s.n + 1 });
    const engine = await createEngine({ driver: indexedDBDriver({ name: db }), work: { count } });
    await (await engine.create("count", { n: 0 })).result();
    await eventually(
      () => batches.flat().some((e) => e.record?.status === "done"),
      5000,
      "the done commit",
    );
    const commits = batches.flat().filter((e) => e.type === "commit");
    expect(commits.length).toBeLessThan(150); // 202 commits were made
    expect(commits.at(-1)!.record!.step).toBe(201);
    const running = (batch: typeof batches[number]) =>
      batch.filter((e) => e.record?.status === "running").length;
    expect(
      batches.every((batch) => running(batch) <= 1),
      "one running commit of the task per batch",
    ).toBe(true);
    channel.close();
    await engine.close();
  });
});
