/**
 * The page that bench/indexeddb.ts drives in Chromium: each measurement
 * runs in the page and returns steps per second.
 */

import { openDB } from "idb";
import { createStore, set } from "idb-keyval";
import { createEngine, type WorkFunction } from "../../src/mod.ts";
import { indexedDBDriver } from "../../drivers/indexeddb/mod.ts";

interface Count {
  n: number;
  to: number;
  payload: string;
}

const count: WorkFunction<Count, number> = (
  s,
  ctx,
) => (s.n >= s.to ? ctx.done(s.n) : { ...s, n: s.n + 1 });
const payload = "x".repeat(100);
let runs = 0;

/** Steps per second of `tasks` stater tasks of `steps` steps each, run at once. */
async function stater(
  tasks: number,
  steps: number,
  durability: "strict" | "relaxed",
): Promise<number> {
  const engine = await createEngine({
    driver: indexedDBDriver({ name: `bench-stater-${runs++}`, durability }),
    work: { count },
  });
  const started = performance.now();
  const created = await Promise.all(
    Array.from(
      { length: tasks },
      (_, i) => engine.create("count", { n: 0, to: steps, payload }, { id: `t${i}` }),
    ),
  );
  await Promise.all(created.map((task) => task.result()));
  const seconds = (performance.now() - started) / 1000;
  await engine.close();
  return (tasks * steps) / seconds;
}

/** Puts per second of a raw idb loop: one record put per readwrite transaction. */
async function raw(steps: number, durability: "strict" | "relaxed"): Promise<number> {
  const db = await openDB(`bench-raw-${runs++}`, 1, {
    upgrade: (d) => void d.createObjectStore("kv", { keyPath: "id" }),
  });
  const started = performance.now();
  for (let n = 0; n < steps; n++) {
    const tx = db.transaction("kv", "readwrite", { durability });
    void tx.store.put({ id: "task", state: { n, to: steps, payload } });
    await tx.done;
  }
  const seconds = (performance.now() - started) / 1000;
  db.close();
  return steps / seconds;
}

/** Sets per second of idb-keyval, one `set` per step (what users hand-write). */
async function keyval(steps: number): Promise<number> {
  const store = createStore(`bench-keyval-${runs++}`, "kv");
  const started = performance.now();
  for (let n = 0; n < steps; n++) await set("task", { n, to: steps, payload }, store);
  return steps / ((performance.now() - started) / 1000);
}

(globalThis as { bench?: unknown }).bench = { stater, raw, keyval };
