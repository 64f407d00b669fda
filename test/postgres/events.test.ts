import pg from "pg";
import { describe, expect, it } from "vitest";
import { createEngine, type Engine, type WorkFunction } from "../../src/mod.ts";
import { LOCK_SPACE } from "../../drivers/postgres/_schema.ts";
import { url, useDatabase } from "./_db.ts";
import { postgresDriver } from "../../drivers/postgres/mod.ts";

const db = useDatabase();

/** Tasks whose step 5 waits for a promise. */
const gates = new Map<string, Promise<void>>();

const talk: WorkFunction<{ n: number }, number> = async (s, ctx) => {
  await new Promise((resolve) => setTimeout(resolve, 2));
  if (s.n === 5) await gates.get(ctx.taskId);
  ctx.progress(s.n, 10);
  ctx.emit(`step ${s.n}`);
  return s.n >= 10 ? ctx.done(s.n) : { n: s.n + 1 };
};

/** Waits on its signal: a step that only ends when something stops it. */
const forever: WorkFunction<{ n: number }, number> = (s, ctx) =>
  new Promise((resolve) => {
    if (s.n === 0) return resolve({ n: 1 });
    ctx.signal.addEventListener("abort", () => resolve(s), { once: true });
  });

async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function pair(listen: boolean): Promise<[Engine, Engine]> {
  const options = { listen, pollMs: listen ? 60_000 : 50 };
  const a = await createEngine({ driver: db.driver(options), work: { talk, forever }, owner: "a" });
  const b = await createEngine({ driver: db.driver(options), work: { talk, forever }, owner: "b" });
  return [a, b];
}

for (const listen of [true, false]) {
  const how = listen ? "through NOTIFY" : "by polling (listen: false)";

  describe(`postgres events between engines, ${how}`, () => {
    it("a second engine hears a task's status, steps and result", async () => {
      const [a, b] = await pair(listen);
      const statuses: string[] = [];
      b.on("status", (e) => e.task.id === "t" && statuses.push(e.to));
      const done: unknown[] = [];
      b.on("done", (e) => done.push(e.result));
      // Polling hears of a task that is unfinished at a scan, or that the engine read: this one
      // waits halfway until the second engine has read it, however slow the machine.
      let open = () => {};
      gates.set("t", new Promise<void>((resolve) => (open = resolve)));
      const task = await a.create("talk", { n: 0 }, { id: "t" });
      await until(() => task.step === 5);
      await until(async () => (await b.get("t"))?.status === "running");
      open();
      expect(await task.result()).toBe(10);
      await until(() => done.length === 1);
      expect(done).toEqual([10]);
      expect(statuses.at(-1)).toBe("done");
      await a.close();
      await b.close();
    });

    it("a pause from another engine stops the running step at once", async () => {
      const [a, b] = await pair(listen);
      const task = await a.create("forever", { n: 0 }, { id: "p" });
      await until(() => task.step === 1);
      const there = (await b.get("p"))!;
      const t0 = Date.now();
      await there.pause();
      await until(() => task.status === "paused");
      expect(Date.now() - t0).toBeLessThan(5000);
      expect((await a.list({ status: "paused" })).map((i) => i.id)).toEqual(["p"]);
      await a.close();
      await b.close();
    });

    it("a removed task is heard as removed", async () => {
      const [a, b] = await pair(listen);
      // Without LISTEN, removals are seen by scanning the unfinished tasks: remove a paused one.
      const task = await a.create("forever", { n: 0 }, { id: "r" });
      await until(() => task.step === 1);
      await task.pause({ immediate: true });
      await until(async () => (await b.get("r"))?.status === "paused");
      await task.remove();
      await until(async () => (await b.get("r")) === undefined);
      await a.close();
      await b.close();
    });
  });
}

describe("postgres events through NOTIFY", () => {
  it("a finished task removed by one engine is gone in the other", async () => {
    const [a, b] = await pair(true);
    const task = await a.create("talk", { n: 0 }, { id: "gone" });
    await task.result();
    await until(async () => (await b.get("gone"))?.status === "done");
    await task.remove();
    await until(async () => (await b.get("gone")) === undefined);
    await a.close();
    await b.close();
  });

  it("a second engine hears progress and messages, all of them before the result", async () => {
    const [a, b] = await pair(true);
    const heard: string[] = [];
    b.on("message", (e) => heard.push(String(e.message)));
    b.on("progress", (e) => heard.push(`progress ${e.done}`));
    b.on("done", () => heard.push("done"));
    const task = await a.create("talk", { n: 0 }, { id: "m" });
    await task.result();
    await until(() => heard.includes("done"));
    const messages = heard.filter((h) => h.startsWith("step"));
    expect(messages).toEqual(Array.from({ length: 11 }, (_, i) => `step ${i}`));
    expect(heard.at(-1)).toBe("done");
    expect(heard).toContain("progress 10");
    await a.close();
    await b.close();
  });

  it("after its listening connection is cut, an engine reports it, reconnects and hears again", async () => {
    // Pools of our own, named, so that only this test's connections are cut.
    const pools = ["a", "b"].map(() => {
      const pool = new pg.Pool({ connectionString: url(), application_name: db.schema });
      pool.on("error", () => {});
      return pool;
    });
    const [a, b] = await Promise.all(pools.map((pool, i) =>
      createEngine({
        driver: postgresDriver({ pool, schema: db.schema, pollMs: 60_000 }),
        work: { talk },
        owner: ["a", "b"][i],
      })
    ));
    const errors: string[] = [];
    b!.on("error", (e) => errors.push((e.error as { code?: string }).code ?? ""));
    // The listening connections are the ones holding stater's advisory locks.
    const { rows } = await db.admin.query(
      `SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.classid = $1::oid AND a.application_name = $2`,
      [LOCK_SPACE, db.schema],
    );
    expect(rows).toHaveLength(2);
    await db.admin.query("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", [
      rows.map((r) => r.pid),
    ]);
    await until(() => errors.includes("CONNECTION_LOST"));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const done: unknown[] = [];
    b!.on("done", (e) => done.push(e.result));
    const task = await a!.create("talk", { n: 0 }, { id: "after" });
    await task.result();
    await until(() => done.length === 1);
    await a!.close();
    await b!.close();
    await Promise.all(pools.map((pool) => pool.end()));
  });
});
