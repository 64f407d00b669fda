/**
 * The conformance tests through the engine: runs, restarts, pauses, failures,
 * idempotent create, group commit, and engines sharing a store.
 *
 * @module
 */

import { createEngine } from "../engine.ts";
import { StoreLockedError, TaskExistsError } from "../errors.ts";
import type { WorkFunction } from "../types.ts";
import { assert, assertEquals, assertRejects, eventually } from "./_assert.ts";
import type { Capabilities, SuiteTest } from "./_types.ts";

const count: WorkFunction<{ n: number; to: number }, number> = (
  s,
  ctx,
) => (s.n >= s.to ? ctx.done(s.n) : { n: s.n + 1, to: s.to });

/** Registers the tests that run engines over the driver. */
export function engineTests(it: SuiteTest, caps: Capabilities): void {
  // ---- through the engine ----

  it("an engine runs a task to done and the result survives a restart", async (store) => {
    const engine = await createEngine({ driver: await store.open(), work: { count } });
    const task = await engine.create("count", { n: 0, to: 25 }, { id: "c" });
    assertEquals(await task.result(), 25);
    assertEquals(task.step, 26);
    await engine.close();
    const again = await createEngine({ driver: await store.open(), work: { count } });
    const info = await again.list({ status: "done" });
    assertEquals(info.map((i) => [i.id, i.result, i.step]), [["c", 25, 26]]);
    assertEquals(await (await again.get("c"))?.result(), 25);
    await again.close();
  });

  it("a restarted engine resumes a task from its last commit", async (store) => {
    const seen: number[] = [];
    let gate = 5;
    const slow: WorkFunction<{ n: number }, number> = async (s, ctx) => {
      seen.push(s.n);
      if (s.n >= gate) {
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      }
      return s.n >= 10 ? ctx.done(s.n) : { n: s.n + 1 };
    };
    const first = await createEngine({
      driver: await store.open(),
      work: { slow },
      closeTimeoutMs: 20,
    });
    const task = await first.create("slow", { n: 0 }, { id: "s" });
    await eventually(() => task.step === 5, 5000, "five steps");
    await first.close();
    assertEquals(task.status, "running", "close keeps the status");
    gate = Infinity;
    seen.length = 0;
    const second = await createEngine({ driver: await store.open(), work: { slow } });
    const resumed = await second.get("s");
    assertEquals(await resumed?.result(), 10);
    assertEquals(seen[0], 5, "resumes from the last committed state");
    assertEquals(seen, [5, 6, 7, 8, 9, 10]);
    await second.close();
  });

  it("a paused task stays paused across a restart", async (store) => {
    const first = await createEngine({ driver: await store.open(), work: { count } });
    const task = await first.create("count", { n: 0, to: 1e9 }, { id: "p" });
    await eventually(() => task.step >= 3, 5000, "three steps");
    await task.pause();
    const at = task.step;
    await first.close();
    const second = await createEngine({ driver: await store.open(), work: { count } });
    await second.idle();
    const again = await second.get("p");
    assertEquals(again?.status, "paused");
    assertEquals(again?.step, at);
    assertEquals((again?.state as { n: number }).n, at);
    await second.close();
  });

  const unstorable = "a step returning an unstorable state fails its task, keeping its last commit";
  it(unstorable, async (store) => {
    const bad: WorkFunction<{ n: number }> = (
      s,
    ) => (s.n === 2 ? { n: 3, f: () => 0 } as never : { n: s.n + 1 });
    const engine = await createEngine({ driver: await store.open(), work: { bad } });
    const task = await engine.create("bad", { n: 0 });
    const error = await assertRejects(() => task.result(), Error);
    assert(error.message.includes("state.f"), `names the path: ${error.message}`);
    assertEquals(task.status, "failed");
    const stored = (await engine.list({ status: "failed" }))[0];
    assertEquals(stored?.state, { n: 2 });
    assert(stored?.error?.message.includes("state.f"), "the stored error names the path");
    await engine.close();
  });

  it("creating an existing id is idempotent, and another work for it is refused", async (store) => {
    const other: WorkFunction<null> = (_s, ctx) => ctx.done(null);
    const engine = await createEngine({ driver: await store.open(), work: { count, other } });
    const a = await engine.create("count", { n: 0, to: 3 }, { id: "same" });
    await a.result();
    const b = await engine.create("count", { n: 100, to: 200 }, { id: "same" });
    assertEquals(b.state, { n: 3, to: 3 }, "unchanged");
    await assertRejects(() => engine.create("other", null, { id: "same" }), TaskExistsError);
    await engine.close();
  });

  it("many tasks at once all finish exactly (group commit)", async (store) => {
    const engine = await createEngine({ driver: await store.open(), work: { count } });
    const tasks = await Promise.all(
      Array.from(
        { length: 24 },
        (_, i) => engine.create("count", { n: 0, to: 10 + i }, { id: `t${i}` }),
      ),
    );
    const results = await Promise.all(tasks.map((task) => task.result()));
    assertEquals(results, tasks.map((_, i) => 10 + i));
    await engine.close();
    const again = await createEngine({ driver: await store.open(), work: { count } });
    assertEquals((await again.list({ status: "done" })).length, 24);
    await again.close();
  });

  if (caps.concurrentEngines) {
    const twoEngines = "two engines on one store never step a task at once, and one takes over " +
      "when the other closes";
    it(twoEngines, async (store) => {
      let active = 0;
      let overlap = false;
      const steps: number[] = [];
      const shared: WorkFunction<{ n: number }, number> = async (s, ctx) => {
        active++;
        if (active > 1) overlap = true;
        steps.push(s.n);
        await new Promise((resolve) => setTimeout(resolve, 1));
        active--;
        return s.n >= 40 ? ctx.done(s.n) : { n: s.n + 1 };
      };
      const a = await createEngine({ driver: await store.open(), work: { shared } });
      const b = await createEngine({ driver: await store.open(), work: { shared } });
      const task = await a.create("shared", { n: 0 }, { id: "x" });
      await eventually(() => task.step >= 10, 5000, "ten steps in the first engine");
      await a.close();
      await eventually(
        async () => (await b.list({ status: "done" })).length === 1,
        10000,
        "the second engine to finish it",
      );
      assert(!overlap, "no two steps ran at once");
      assertEquals(new Set(steps).size, 41, "every step ran");
      await b.close();
    });
  } else {
    it("a second engine on the same store is refused with StoreLockedError", async (store) => {
      const a = await createEngine({ driver: await store.open(), work: { count } });
      await assertRejects(
        async () => createEngine({ driver: await store.open(), work: { count } }),
        StoreLockedError,
      );
      await a.close();
      const b = await createEngine({ driver: await store.open(), work: { count } });
      await b.close();
    });
  }
}
