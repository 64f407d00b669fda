/**
 * The database restarts under load (`pg_ctl restart -m fast`: every session
 * is cut, commits in flight included) while two engines share 24 tasks:
 * every task still finishes with the exact result, and no step whose
 * commit returned runs again. This file starts a cluster of its own, since
 * restarting the run's shared one would cut the other files' tests.
 */

import { afterAll, beforeAll, expect, it } from "vitest";
import { createEngine, type WorkFunction } from "../../src/mod.ts";
import { postgresDriver } from "../../drivers/postgres/mod.ts";
import { type Cluster, startCluster } from "./_cluster.ts";

let cluster: Cluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(() => cluster?.stop());

const TASKS = 24;
const STEPS = 150;

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

it(
  "a database restart mid-run loses no committed step, and every task finishes exactly",
  async () => {
    /** The highest committed step heard of, per task, from either engine. */
    const committed = new Map<string, number>();
    const reruns: string[] = [];
    let calls = 0;
    const count: WorkFunction<{ n: number; to: number; sum: number }, number> = async (s, ctx) => {
      calls++;
      // The state a step starts from is its task's n-th commit: an older one means a lost commit.
      if (s.n < (committed.get(ctx.taskId) ?? 0)) reruns.push(`${ctx.taskId}@${s.n}`);
      await new Promise((resolve) => setTimeout(resolve, 2));
      return s.n >= s.to ? ctx.done(s.sum) : { n: s.n + 1, to: s.to, sum: s.sum + s.n + 1 };
    };
    const driver = () =>
      postgresDriver({ url: cluster.url, schema: "restart", reconnectForMs: 60_000 });
    const errors: unknown[] = [];
    const engines = await Promise.all(["a", "b"].map(async (owner) => {
      const engine = await createEngine({ driver: driver(), work: { count }, owner });
      engine.on("step", (e) => {
        committed.set(e.task.id, Math.max(committed.get(e.task.id) ?? 0, e.step));
      });
      engine.on("error", (e) => errors.push(e.error));
      return engine;
    }));
    const [a, b] = engines as [typeof engines[0], typeof engines[0]];
    const tasks = await Promise.all(
      Array.from({ length: TASKS }, (_, i) => {
        const engine = i % 2 === 0 ? a : b;
        return engine.create("count", { n: 0, to: STEPS, sum: 0 }, { id: `t${i}` });
      }),
    );
    await until(() => calls > (TASKS * STEPS) / 4, 60_000, "a quarter of the steps");
    const before = calls;
    await cluster.restart();
    const results = await Promise.all(tasks.map((task) => task.result()));
    expect(before, "the restart came mid-run").toBeLessThan(TASKS * STEPS);
    expect(results).toEqual(tasks.map(() => (STEPS * (STEPS + 1)) / 2));
    expect(tasks.map((task) => task.step)).toEqual(tasks.map(() => STEPS + 1));
    expect(reruns, "no committed step ran again").toEqual([]);
    const listed = await a.list({ status: "done" });
    expect(listed.map((info) => info.result)).toEqual(tasks.map(() => (STEPS * (STEPS + 1)) / 2));
    // Steps in flight at the restart may run again (at least once), nothing more.
    expect(calls).toBeLessThan(TASKS * (STEPS + 1) + TASKS * 3);
    // What it reports is the listening connections that broke, no failed commit.
    expect(errors.map((e) => (e as { code?: string }).code)).not.toContain("OUTCOME_UNKNOWN");
    await a.close();
    await b.close();
  },
  120_000,
);
