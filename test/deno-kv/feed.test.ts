import { openKv } from "@deno/kv";
import { expect, it } from "vitest";
import { createEngine, type WorkFunction } from "../../src/mod.ts";
import { denoKvDriver, type KvLike } from "../../drivers/deno-kv/mod.ts";
import type { Driver, DriverEvent } from "../../src/driver.ts";
import { useStore } from "./_store.ts";

const store = useStore();

/** Two drivers on the store, opened as engines "a" and "b". */
const pair = async (): Promise<
  [Driver, Driver]
> => [await store.open("a", { pollMs: 20 }), await store.open("b", { pollMs: 20 })];

const count: WorkFunction<{ n: number; to: number }, number> = (
  s,
  ctx,
) => (s.n >= s.to ? ctx.done(s.n) : { n: s.n + 1, to: s.to });

it(
  "an engine hears of a task committed between its opening and its first look at the change feed",
  async () => {
    // B's store holds back its first read of the feed's clock until A is done.
    const kv = (await openKv(store.path)) as unknown as KvLike;
    let letGo!: () => void;
    const gate = new Promise<void>((resolve) => (letGo = resolve));
    let held = false;
    const slowFirstLook = new Proxy(kv, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (key !== "get" || typeof value !== "function") {
          return typeof value === "function" ? value.bind(target) : value;
        }
        return async (k: unknown[], ...rest: unknown[]) => {
          if (!held && k.includes("clock")) {
            held = true;
            await gate;
          }
          return value.call(target, k, ...rest);
        };
      },
    });
    const b = await createEngine({
      driver: denoKvDriver({ kv: slowFirstLook, pollMs: 20 }),
      work: { count },
      owner: "b",
    });
    const a = await createEngine({
      driver: denoKvDriver({ path: store.path, pollMs: 20 }),
      work: { count },
      owner: "a",
    });
    const task = await a.create("count", { n: 0, to: 30 }, { id: "t" });
    while (task.step < 5) await new Promise((resolve) => setTimeout(resolve, 2));
    await a.close();
    expect(held).toBe(true);
    letGo();
    const end = Date.now() + 10_000;
    let status: string | undefined;
    while (Date.now() < end && status !== "done") {
      status = (await b.get("t"))?.status;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(status).toBe("done");
    expect(await (await b.get("t"))!.result()).toBe(30);
    await b.close();
    kv.close();
  },
  20_000,
);

it(
  "an engine hears the progress and messages of a task another engine runs, the last message before done",
  async () => {
    const talk: WorkFunction<{ n: number }, number> = async (s, ctx) => {
      ctx.progress(s.n, 5);
      ctx.emit(`at ${s.n}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return s.n >= 5 ? ctx.done(s.n) : { n: s.n + 1 };
    };
    const a = await createEngine({
      driver: denoKvDriver({ path: store.path, pollMs: 20 }),
      work: { talk },
      owner: "a",
    });
    const b = await createEngine({
      driver: denoKvDriver({ path: store.path, pollMs: 20 }),
      work: { talk },
      owner: "b",
      autoResume: false,
    });
    const heard: string[] = [];
    const progress: number[] = [];
    b.on("message", (e) => heard.push(String(e.message)));
    b.on("progress", (e) => progress.push(e.done));
    b.on("done", (e) => heard.push(`done ${String(e.result)}`));
    await new Promise((resolve) => setTimeout(resolve, 100)); // b's first look at the store
    const task = await a.create("talk", { n: 0 }, { id: "t" });
    expect(await task.result()).toBe(5);
    const end = Date.now() + 10_000;
    while (!heard.includes("done 5") && Date.now() < end) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(heard).toEqual(["at 0", "at 1", "at 2", "at 3", "at 4", "at 5", "done 5"]);
    expect(progress.at(-1)).toBe(5);
    expect(progress).toEqual([...progress].sort((x, y) => x - y));
    await a.close();
    await b.close();
  },
  20_000,
);

it("a removal, a message the codec refuses and a message published without a commit reach the other drivers", async () => {
  const [a, b] = await pair();
  const heard: DriverEvent[] = [];
  const stop = b.subscribe!((event) => heard.push(event));
  await new Promise((resolve) => setTimeout(resolve, 100));
  a.publish!({ type: "message", owner: "a", id: "x", work: "w", message: { f: () => 1 } });
  a.publish!({ type: "message", owner: "a", id: "x", work: "w", message: new Map([["k", 1n]]) });
  a.publish!({ type: "removed", owner: "a", id: "gone", work: "w" });
  const end = Date.now() + 5000;
  while (heard.length < 2 && Date.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(heard).toEqual([
    { type: "message", owner: "a", id: "x", work: "w", message: new Map([["k", 1n]]) },
    { type: "removed", owner: "a", id: "gone", work: "w" },
  ]);
  stop();
  await a.close!();
  await b.close!();
});

it("events that rode with a commit refused by its check are sent anyway, once", async () => {
  const [a, b] = await pair();
  const record = {
    id: "x",
    work: "w",
    status: "running" as const,
    state: null,
    step: 0,
    rev: 1,
    createdAt: 1,
    updatedAt: 1,
  };
  expect(await a.commit([{ type: "put", record, expectRev: 0 }])).toEqual([{ ok: true }]);
  // b changes the record behind a's back: a's next commit, sure of revision 1, is refused by the store's check.
  expect(
    await b.commit([{
      type: "put",
      record: { ...record, rev: 2, status: "paused" },
      expectRev: 1,
    }]),
  ).toEqual([{ ok: true }]);
  const heard: DriverEvent[] = [];
  const stop = b.subscribe!((event) => heard.push(event));
  await new Promise((resolve) => setTimeout(resolve, 100));
  a.publish!({
    type: "message",
    owner: "a",
    id: "x",
    work: "w",
    message: "before the refused commit",
  });
  expect(await a.commit([{ type: "put", record: { ...record, rev: 2, step: 1 }, expectRev: 1 }]))
    .toEqual([{ ok: false, conflict: true }]);
  const end = Date.now() + 5000;
  while (heard.length < 1 && Date.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await new Promise((resolve) => setTimeout(resolve, 150));
  expect(heard.filter((e) => e.type === "message")).toEqual([
    { type: "message", owner: "a", id: "x", work: "w", message: "before the refused commit" },
  ]);
  stop();
  await a.close!();
  await b.close!();
});

it("many large messages ahead of a commit all arrive, in order and before it, over several writes", async () => {
  const [a, b] = await pair();
  const heard: unknown[] = [];
  const order: string[] = [];
  const stop = b.subscribe!((event) => {
    order.push(event.type);
    if (event.type === "message") heard.push(event.message);
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  // About 30 KB each: 40 of them are 1.2 MB, more than one atomic operation holds beside a commit.
  const sent = Array.from({ length: 40 }, (_, i) => `${i}:${"x".repeat(30_000)}`);
  for (const message of sent) {
    a.publish!({ type: "message", owner: "a", id: "t", work: "w", message });
  }
  const record = {
    id: "t",
    work: "w",
    status: "running" as const,
    state: null,
    step: 0,
    rev: 1,
    createdAt: 1,
    updatedAt: 1,
  };
  expect(await a.commit([{ type: "put", record, expectRev: 0 }])).toEqual([{ ok: true }]);
  const end = Date.now() + 5000;
  while (heard.length < sent.length && Date.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(heard.map((m) => String(m).split(":")[0])).toEqual(sent.map((_, i) => String(i)));
  expect(heard).toEqual(sent);
  // All of them before the commit that followed them.
  while (!order.includes("commit") && Date.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(order.indexOf("commit")).toBe(sent.length);
  stop();
  await a.close!();
  await b.close!();
});

it("progress reported at every step is written with a commit at most every 50 ms, and the last of it before done", async () => {
  const kv = (await openKv(store.path)) as unknown as KvLike;
  let eventWrites = 0;
  const counting: KvLike = {
    get: (key) => kv.get(key),
    getMany: (keys) => kv.getMany(keys),
    list: (selector, options) => kv.list(selector, options),
    close: () => kv.close(),
    atomic() {
      const op = kv.atomic();
      const wrapped = {
        check: (...checks: Parameters<typeof op.check>) => (op.check(...checks), wrapped),
        set: (
          key: Parameters<typeof op.set>[0],
          value: unknown,
          options?: { expireIn?: number },
        ) => {
          if (key.includes("events")) eventWrites++;
          op.set(key, value, options);
          return wrapped;
        },
        delete: (key: Parameters<typeof op.delete>[0]) => (op.delete(key), wrapped),
        commit: () => op.commit(),
      };
      return wrapped;
    },
  };
  const steps = 300;
  const report: WorkFunction<{ n: number }, number> = (s, ctx) => {
    ctx.progress(s.n, steps);
    return s.n >= steps ? ctx.done(s.n) : { n: s.n + 1 };
  };
  const a = await createEngine({
    driver: denoKvDriver({ kv: counting, pollMs: 20 }),
    work: { report },
    owner: "a",
  });
  const b = await createEngine({
    driver: denoKvDriver({ path: store.path, pollMs: 20 }),
    work: { report },
    owner: "b",
    autoResume: false,
  });
  const heard: string[] = [];
  b.on("progress", (e) => heard.push(`progress ${e.done}`));
  b.on("done", () => heard.push("done"));
  await new Promise((resolve) => setTimeout(resolve, 100));
  const started = Date.now();
  const task = await a.create("report", { n: 0 }, { id: "t" });
  expect(await task.result()).toBe(steps);
  const ms = Date.now() - started;
  const end = Date.now() + 5000;
  while (!heard.includes("done") && Date.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  // 302 commits; progress went with one of them every 50 ms or so, plus the last one with done.
  expect(eventWrites).toBeLessThanOrEqual(Math.ceil(ms / 50) + 3);
  expect(eventWrites).toBeLessThan(100);
  expect(heard.at(-2)).toBe(`progress ${steps}`);
  expect(heard.at(-1)).toBe("done");
  await a.close();
  await b.close();
  kv.close();
});
