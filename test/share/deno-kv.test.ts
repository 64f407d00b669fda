/**
 * Four workers, two on Node and two on Deno, share one Deno KV store: each
 * runs about a quarter of the tasks once all are up; then workers are killed
 * with SIGKILL at random and restarted, and every task still ends exactly,
 * every step ran, and no task ever stepped in two workers at once.
 */
import { join } from "node:path";
import { expect, it } from "vitest";
import { denoKvDriver } from "../../drivers/deno-kv/mod.ts";
import { removeDir, tempDir } from "../fs/_subject.ts";
import { doneResults, shareTest } from "./_share.ts";

it(
  "four workers (two Node, two Deno) on one Deno KV store share the tasks and survive kills",
  async () => {
    const dir = await tempDir("stater-share-kv-");
    try {
      const store = join(dir, "store.kv");
      await shareTest({
        driver: "deno-kv",
        store,
        log: join(dir, "steps.log"),
        tasks: 40,
        steps: 500,
        stepMs: 100,
      }, () => doneResults(denoKvDriver({ path: store })));
    } finally {
      await removeDir(dir);
    }
  },
  240_000,
);

it("the sharing test's checks find what they look for", async () => {
  const { faults } = await import("./_cluster.ts");
  const shape = { driver: "deno-kv" as const, store: "", log: "", tasks: 1, steps: 2, stepMs: 1 };
  const overlap = [
    { worker: "a", task: "task-0", n: 0, start: 0, end: 10 },
    { worker: "b", task: "task-0", n: 1, start: 5, end: 15 },
  ];
  expect(faults(overlap, shape, 0)).toEqual(["task-0: step 1 in b overlaps 0 in a"]);
  expect(faults([overlap[0]!], shape, 0)).toEqual(["task-0: step 1 never ran"]);
});
