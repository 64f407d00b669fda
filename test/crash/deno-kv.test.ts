import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, it } from "vitest";
import { denoKvDriver } from "../../drivers/deno-kv/mod.ts";
import { removeDir, tempDir } from "../fs/_subject.ts";
import { run, verify } from "./_run.ts";

const TASKS = 4;
const STEPS = 1500;
const KILLS = 6;

it(
  "on Deno KV, a process killed with SIGKILL leaves leases that the next process takes over at once, and every task finishes exactly",
  async () => {
    const dir = await tempDir("stater-kv-crash-");
    const store = join(dir, "store");
    const log = join(dir, "steps.log");
    await mkdir(store);
    const options = { tasks: TASKS, steps: STEPS, driver: "deno-kv" as const };
    try {
      const lines = async () =>
        (await readFile(log, "utf8").catch(() => "")).split("\n").length - 1;
      let kills = 0;
      let progressed = 0;
      for (let i = 0; i < KILLS * 2 && kills < KILLS; i++) {
        const before = await lines();
        const outcome = await run(store, log, 200 + Math.random() * 200, options);
        if (outcome !== "killed") break;
        kills++;
        if ((await lines()) > before) progressed++;
      }
      expect(kills).toBeGreaterThanOrEqual(4);
      // Each process took over the tasks of the one killed before it at once: the leases last 15 s.
      expect(progressed, "runs that stepped the tasks").toBeGreaterThanOrEqual(kills - 1);
      const before = await lines();
      const started = Date.now();
      let ended = false;
      const last = run(store, log, undefined, options).finally(() => (ended = true));
      // The leases of the killed process last 15 s; the last run did not wait for them. What
      // counts is when it took its first step, not how long the rest took on a busy machine.
      while (!ended && (await lines()) === before) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const firstStepMs = Date.now() - started;
      await last;
      expect(firstStepMs, "the last run took the dead process's tasks at once")
        .toBeLessThan(12_000);

      expect(before, "the kills landed while the tasks ran").toBeLessThan(TASKS * (STEPS + 1));
      await verify(denoKvDriver({ path: join(store, "store.kv") }), log, {
        tasks: TASKS,
        steps: STEPS,
        kills,
      });
    } finally {
      await removeDir(dir);
    }
  },
  120_000,
);
