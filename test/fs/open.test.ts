import { afterAll, beforeAll, expect, it } from "vitest";
import { createEngine, type Driver, type WorkFunction } from "../../src/mod.ts";
import { fsDriver } from "../../drivers/fs/mod.ts";
import { removeDir, tempDir } from "./_subject.ts";

const DONE = 100_000;
let full: string;
let empty: string;

beforeAll(async () => {
  full = await tempDir();
  empty = await tempDir();
  const d = fsDriver({ dir: full });
  await d.open!({ owner: "t", report: () => {} });
  for (let i = 0; i < DONE; i += 2000) {
    await d.commit(Array.from({ length: 2000 }, (_, k) => ({
      type: "put" as const,
      expectRev: 0,
      record: {
        id: `done-${i + k}`,
        work: "count",
        status: "done" as const,
        state: { n: 3 },
        step: 4,
        rev: 1,
        result: i + k,
        createdAt: 1,
        updatedAt: 1,
      },
    })));
  }
  await d.commit(["r1", "r2", "r3"].map((id) => ({
    type: "put" as const,
    expectRev: 0,
    record: {
      id,
      work: "count",
      status: "paused" as const,
      state: { n: 0 },
      step: 0,
      rev: 1,
      createdAt: 1,
      updatedAt: 1,
    },
  })));
  await d.close!();
}, 60_000);

afterAll(async () => {
  await removeDir(full);
  await removeDir(empty);
});

async function openAndList(dir: string): Promise<{ ms: number; driver: Driver; active: number }> {
  const driver = fsDriver({ dir });
  const t0 = performance.now();
  await driver.open!({ owner: "t", report: () => {} });
  const active = (await driver.list({ status: ["pending", "running", "paused"] })).length;
  return { ms: performance.now() - t0, driver, active };
}

async function medianMs(dir: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const { ms, driver } = await openAndList(dir);
    times.push(ms);
    await driver.close!();
  }
  return times.sort((a, b) => a - b)[3]!;
}

it("opening a store of 100,000 finished tasks and listing the active ones costs about what an empty store does", async () => {
  const emptyMs = await medianMs(empty);
  const fullMs = await medianMs(full);
  // Generous bound: loading 100,000 records would take far longer than this.
  expect(fullMs).toBeLessThan(emptyMs * 5 + 30);
  const { driver, active } = await openAndList(full);
  expect(active).toBe(3);
  await driver.close!();
});

it("a finished task is still found by get() and list() after such an open", async () => {
  const { driver } = await openAndList(full);
  expect((await driver.get("done-77777"))?.result).toBe(77777);
  expect((await driver.list({ status: ["done"] })).length).toBe(DONE);
  await driver.close!();
});

it("an engine opens such a store and resumes only its active tasks", async () => {
  const count: WorkFunction<{ n: number }, number> = (
    s,
    ctx,
  ) => (s.n >= 3 ? ctx.done(s.n) : { n: s.n + 1 });
  const engine = await createEngine({ driver: fsDriver({ dir: full }), work: { count } });
  expect((await engine.list({ status: "paused" })).map((t) => t.id).sort()).toEqual([
    "r1",
    "r2",
    "r3",
  ]);
  await (await engine.get("r1"))!.resume();
  expect(await (await engine.get("r1"))!.result()).toBe(3);
  expect(await (await engine.get("done-5"))!.result()).toBe(5);
  await engine.close();
});
