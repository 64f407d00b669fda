/**
 * Regression tests of defects found in review: each `describe` names the
 * defect's number in the list of defects fixed.
 */
import { describe, expect, it } from "vitest";
import { createEngine, OwnershipLostError, type WorkFunction } from "../../src/mod.ts";
import { memoryDriver } from "../../drivers/memory/mod.ts";
import { FakeClock, flush, Gate, until } from "../engine/_helpers.ts";
import { diskFull, faulty } from "./_faulty.ts";

function gatedWork(gate: Gate, to = 100): WorkFunction<{ n: number }, number> {
  return async (s, ctx) => {
    await gate.pass(ctx);
    return s.n >= to ? ctx.done(s.n) : { n: s.n + 1 };
  };
}

describe("defect 4: pause() of a running task whose pause commit the store refuses", () => {
  it("rejects with the store's error, and the task is not paused in the store", async () => {
    const gate = new Gate();
    const store = faulty();
    const engine = await createEngine({ driver: store.driver, work: { gated: gatedWork(gate) } });
    const task = await engine.create("gated", { n: 0 }, { id: "t" });
    gate.open("t", 2);
    await until(() => task.step === 2 && gate.isWaiting("t"), 2000, "two steps");
    const pausing = task.pause();
    store.failCommits = diskFull();
    gate.open("t", 1);
    await expect(pausing).rejects.toThrow("no space left on device");
    expect((await store.inner.get("t"))?.status).toBe("running");
    // Once the store takes commits again, pause() commits for good.
    store.failCommits = undefined;
    await task.pause();
    expect((await store.inner.get("t"))?.status).toBe("paused");
    await engine.close();
    const again = await createEngine({ driver: store.inner, work: { gated: gatedWork(gate) } });
    await flush(20);
    expect((await again.get("t"))?.status).toBe("paused");
    await again.close();
  });

  it("immediate: rejects with the store's error too", async () => {
    const gate = new Gate();
    const store = faulty();
    const engine = await createEngine({ driver: store.driver, work: { gated: gatedWork(gate) } });
    const task = await engine.create("gated", { n: 0 }, { id: "t" });
    gate.open("t", 1);
    await until(() => task.step === 1 && gate.isWaiting("t"), 2000, "a step");
    store.failCommits = diskFull();
    await expect(task.pause({ immediate: true })).rejects.toThrow("no space left on device");
    expect((await store.inner.get("t"))?.status).toBe("running");
    store.failCommits = undefined;
    await engine.close();
  });
});

describe("defect 5: a standby engine whose acquisition is overtaken by the holder's commit", () => {
  it("reports no lost ownership, keeps standing by, and takes the task over when the holder goes", async () => {
    const gate = new Gate();
    const store = faulty();
    const work = { gated: gatedWork(gate, 30) };
    const a = await createEngine({ driver: store.inner, work });
    const task = await a.create("gated", { n: 0 }, { id: "t" });
    gate.open("t", 2);
    await until(() => task.step === 2, 2000, "two steps in the first engine");
    store.acquireDelayMs = 60;
    const b = await createEngine({ driver: store.driver, work });
    const errors: Error[] = [];
    b.on("error", (e) => errors.push(e.error));
    // The holder commits while the second engine is still acquiring the task.
    await flush(5);
    gate.open("t", 3);
    await until(() => task.step === 5, 2000, "three more steps");
    await flush(120);
    expect(errors.filter((e) => e instanceof OwnershipLostError)).toEqual([]);
    await a.close();
    gate.open("t", 100);
    const remote = await b.get("t");
    expect(await remote!.result()).toBe(30);
    await b.close();
  });
});

describe("defect 5 (the window after acquiring): a late commit heard before the first read", () => {
  it("is taken, not counted as a lost ownership, and the task runs on", async () => {
    const store = faulty();
    const base = { work: "count", step: 0, createdAt: 1, updatedAt: 1 };
    const put = (rev: number, n: number) => ({
      type: "put" as const,
      record: { ...base, id: "t", status: "running" as const, state: { n }, step: n, rev },
      expectRev: rev - 1,
    });
    await store.inner.commit([put(1, 0)]);
    // A listener besides the engine's, so that the memory driver passes events on.
    const stopListening = store.inner.subscribe!(() => {});
    store.getDelayMs = 80;
    const count: WorkFunction<{ n: number }, number> = (s, ctx) =>
      s.n >= 10 ? ctx.done(s.n) : { n: s.n + 1 };
    const engine = await createEngine({ driver: store.driver, work: { count } });
    const lost: Error[] = [];
    engine.on("error", (e) => e.error instanceof OwnershipLostError && lost.push(e.error));
    // While the engine holds the lease and reads the record, another writer's
    // older commits land and their event arrives late.
    await flush(20);
    await store.inner.commit([put(2, 1)]);
    await store.inner.commit([put(3, 2)]);
    const { record } = put(2, 1);
    store.inner.publish!({ type: "commit", owner: "gone-engine", record });
    store.getDelayMs = 0;
    const task = (await engine.get("t"))!;
    expect(await task.result()).toBe(10);
    expect(lost).toEqual([]);
    stopListening();
    await engine.close();
  });
});

describe("defect 6: a conflict followed by a read that fails", () => {
  it("is a store error that pauses the task, never a removal", async () => {
    const gate = new Gate();
    const store = faulty();
    const engine = await createEngine({
      driver: store.driver,
      work: { gated: gatedWork(gate, 5) },
      retry: { initialDelayMs: 1, maxAttempts: 2 },
    });
    const errors: Error[] = [];
    engine.on("error", (e) => errors.push(e.error));
    const task = await engine.create("gated", { n: 0 }, { id: "t" });
    gate.open("t", 1);
    await until(() => task.step === 1 && gate.isWaiting("t"), 2000, "a step");
    // Another writer, unheard by this engine, commits a newer revision.
    const stored = (await store.inner.get("t"))!;
    await store.inner.commit([{
      type: "put",
      record: { ...stored, rev: stored.rev + 1 },
      expectRev: stored.rev,
    }]);
    store.failGets = new Error("connection reset");
    gate.open("t", 1);
    await until(() => task.status === "paused", 2000, "the task to stop as paused");
    expect(errors.some((e) => e.message === "connection reset")).toBe(true);
    store.failGets = undefined;
    expect(await engine.get("t")).toBe(task);
    await task.resume();
    gate.open("t", 10);
    expect(await task.result()).toBe(5);
    await engine.close();
  });

  it("a failed read while a run starts pauses the task with an error event", async () => {
    const store = faulty();
    const gate = new Gate();
    const engine = await createEngine({
      driver: store.driver,
      work: { gated: gatedWork(gate, 5) },
      retry: { initialDelayMs: 1 },
    });
    const errors: Error[] = [];
    engine.on("error", (e) => errors.push(e.error));
    store.failGets = new Error("connection reset");
    const task = await engine.create("gated", { n: 0 }, { id: "t" });
    const result = task.result();
    await until(() => task.status === "paused", 2000, "the task to stop as paused");
    expect(errors.map((e) => e.message)).toContain("connection reset");
    store.failGets = undefined;
    expect(await engine.get("t")).toBe(task);
    await task.resume();
    gate.open("t", 10);
    expect(await result).toBe(5);
    await engine.close();
  });
});

describe("defect 8 (core): close() times out on the engine's clock", () => {
  it("uses the clock it was given for the close timeout", async () => {
    const clock = new FakeClock();
    let aborted = false;
    const stuck: WorkFunction<null, null> = (_s, ctx) =>
      new Promise((resolve) => {
        ctx.signal.addEventListener("abort", () => {
          aborted = true;
          resolve(null);
        });
      });
    const engine = await createEngine({ driver: memoryDriver(), work: { stuck }, clock });
    await engine.create("stuck", null, { id: "s" });
    await flush(10);
    const closing = engine.close({ timeoutMs: 500 });
    await flush(10);
    expect(clock.pending).toContain(500);
    clock.advance(500);
    await closing;
    expect(aborted).toBe(true);
  });
});

describe("defect 17: a lost lease", () => {
  it("is reported once, however many ways the engine learns of it", async () => {
    const inner = memoryDriver();
    let failRenewals = false;
    const driver = Object.assign(Object.create(inner), {
      renewEveryMs: 5,
      async acquire(id: string, options: Parameters<NonNullable<typeof inner.acquire>>[1]) {
        const lease = await inner.acquire!(id, options);
        if (!lease) return lease;
        const lost = new AbortController();
        return {
          id,
          lost: lost.signal,
          release: () => lease.release(),
          renew() {
            if (!failRenewals) return Promise.resolve();
            const error = new OwnershipLostError(
              id,
              "its lease expired and another engine took it",
            );
            lost.abort(error);
            return Promise.reject(error);
          },
        };
      },
    }) as typeof inner;
    const gate = new Gate();
    const engine = await createEngine({ driver, work: { gated: gatedWork(gate) } });
    const lost: Error[] = [];
    engine.on("error", (e) => {
      if (e.error instanceof OwnershipLostError) lost.push(e.error);
    });
    const task = await engine.create("gated", { n: 0 }, { id: "t" });
    gate.open("t", 1);
    await until(() => task.step === 1 && gate.isWaiting("t"), 2000, "a step");
    failRenewals = true;
    await flush(40);
    expect(lost.length).toBe(1);
    await engine.close();
  });
});
