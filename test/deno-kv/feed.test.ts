import { openKv } from "@deno/kv";
import { afterEach, beforeEach, expect, it } from "vitest";
import { createEngine, type WorkFunction } from "../../src/mod.ts";
import { denoKvDriver, type KvLike } from "../../drivers/deno-kv/mod.ts";
import { tempStore } from "./_subject.ts";

let store: Awaited<ReturnType<typeof tempStore>>;
beforeEach(async () => {
  store = await tempStore();
});
afterEach(async () => {
  await store.cleanup();
});

const count: WorkFunction<{ n: number; to: number }, number> = (s, ctx) => (s.n >= s.to ? ctx.done(s.n) : { n: s.n + 1, to: s.to });

it("an engine hears of a task committed between its opening and its first look at the change feed", async () => {
  // B's store holds back its first read of the feed's clock until A is done.
  const kv = (await openKv(store.path)) as unknown as KvLike;
  let letGo!: () => void;
  const gate = new Promise<void>((resolve) => (letGo = resolve));
  let held = false;
  const slowFirstLook = new Proxy(kv, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (key !== "get" || typeof value !== "function") return typeof value === "function" ? value.bind(target) : value;
      return async (k: unknown[], ...rest: unknown[]) => {
        if (!held && k.includes("clock")) {
          held = true;
          await gate;
        }
        return value.call(target, k, ...rest);
      };
    },
  });
  const b = await createEngine({ driver: denoKvDriver({ kv: slowFirstLook, pollMs: 20 }), work: { count }, owner: "b" });
  const a = await createEngine({ driver: denoKvDriver({ path: store.path, pollMs: 20 }), work: { count }, owner: "a" });
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
}, 20_000);
