import { afterEach, describe, expect, it } from "vitest";
import { createEngine, type WorkFunction } from "../../src/mod.ts";
import { indexedDBDriver } from "../../drivers/indexeddb/mod.ts";
import { deleteDatabase, eventually, freshName } from "./_util.ts";

let worker: Worker | undefined;
afterEach(() => {
  worker?.terminate();
  worker = undefined;
});

function ask<T>(message: object): Promise<T> {
  worker = new Worker(new URL("./_worker.ts", import.meta.url), { type: "module" });
  return new Promise((resolve, reject) => {
    worker!.onmessage = (
      e,
    ) => (e.data.ok ? resolve(e.data.result) : reject(new Error(e.data.error)));
    worker!.onerror = (e) => reject(new Error(`the worker failed: ${e.message}`));
    worker!.postMessage(message);
  });
}

describe("indexedDBDriver in a dedicated worker", () => {
  it("passes the conformance suite inside the worker", async () => {
    const results = await ask<{ name: string; error?: string }[]>({
      kind: "suite",
      db: freshName("worker-suite"),
    });
    const failed = results.filter((r) => r.error);
    expect(failed.map((r) => `${r.name}: ${r.error}`)).toEqual([]);
    expect(results.length).toBeGreaterThanOrEqual(19);
    expect(results.map((r) => r.name)).toContain(
      "indexeddb in a worker: Blob and File in a state round-trip",
    );
  }, 60_000);

  it("runs engine tasks in the worker, and the page's engine sees their progress and results", async () => {
    const db = freshName("worker-run");
    const count: WorkFunction<{ n: number; to: number }, number> = (
      s,
      c,
    ) => (s.n >= s.to ? c.done(s.n) : { ...s, n: s.n + 1 });
    const page = await createEngine({
      driver: indexedDBDriver({ name: db }),
      work: { count },
      autoResume: false,
    });
    const progressed = new Set<string>();
    const done = new Set<string>();
    page.on("progress", (e) => progressed.add(e.task.id));
    page.on("done", (e) => done.add(e.task.id));
    const results = await ask<number[]>({ kind: "run", db, tasks: 4, to: 20 });
    expect(results).toEqual([20, 21, 22, 23]);
    await eventually(() => done.size === 4, 5000, "the done events in the page");
    expect([...progressed].sort()).toEqual(["w0", "w1", "w2", "w3"]);
    const stored = await page.list({ status: "done" });
    expect(stored.map((t) => [t.id, t.result]).sort()).toEqual([
      ["w0", 20],
      ["w1", 21],
      ["w2", 22],
      ["w3", 23],
    ]);
    await page.close();
    await deleteDatabase(db);
  });
});
