/**
 * A dedicated worker for the browser tests: runs the conformance suite, or
 * an engine over the IndexedDB driver, and posts the outcome back.
 */

import { createEngine, type WorkFunction } from "../../src/mod.ts";
import { indexedDBDriver } from "../../drivers/indexeddb/mod.ts";
import { testDriver } from "../../src/driver.ts";

/** The worker's global scope, typed as much as this file uses. */
const scope = self as unknown as {
  onmessage: (event: MessageEvent) => void;
  postMessage(message: unknown): void;
};

const count: WorkFunction<{ n: number; to: number }, number> = async (s, ctx) => {
  ctx.progress(s.n, s.to);
  await new Promise((resolve) => setTimeout(resolve, 1));
  return s.n >= s.to ? ctx.done(s.n) : { ...s, n: s.n + 1 };
};

async function suite(prefix: string): Promise<{ name: string; error?: string }[]> {
  const tests: { name: string; fn: () => Promise<void> }[] = [];
  let i = 0;
  testDriver({ test: (name, fn) => tests.push({ name, fn }) }, {
    name: "indexeddb in a worker",
    setup: async () => {
      const name = `${prefix}-${i++}`;
      return {
        open: () => indexedDBDriver({ name }),
        cleanup: () =>
          new Promise((resolve) => (indexedDB.deleteDatabase(name).onsuccess = () => resolve())),
      };
    },
    capabilities: { blobs: true, concurrentEngines: true },
  });
  const results: { name: string; error?: string }[] = [];
  for (const test of tests) {
    try {
      await test.fn();
      results.push({ name: test.name });
    } catch (error) {
      results.push({ name: test.name, error: String((error as Error)?.stack ?? error) });
    }
  }
  return results;
}

async function run(db: string, tasks: number, to: number): Promise<number[]> {
  const engine = await createEngine({ driver: indexedDBDriver({ name: db }), work: { count } });
  const created = await Promise.all(
    Array.from(
      { length: tasks },
      (_, i) => engine.create("count", { n: 0, to: to + i }, { id: `w${i}` }),
    ),
  );
  const results = await Promise.all(created.map((task) => task.result()));
  await engine.close();
  return results;
}

scope.onmessage = async (event: MessageEvent) => {
  const { kind, db, tasks, to } = event.data as {
    kind: "suite" | "run";
    db: string;
    tasks: number;
    to: number;
  };
  try {
    const result = kind === "suite" ? await suite(db) : await run(db, tasks, to);
    scope.postMessage({ ok: true, result });
  } catch (error) {
    scope.postMessage({ ok: false, error: String((error as Error)?.stack ?? error) });
  }
};
