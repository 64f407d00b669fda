import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, it } from "vitest";
import { fsDriver } from "../../drivers/fs/mod.ts";
import { removeDir, tempDir } from "../fs/_subject.ts";
import { run as runWorker, verify } from "./_run.ts";

const TASKS = 6;
const STEPS = 2000;
const KILLS = 12;
const run = (dir: string, log: string, killAfterMs?: number) =>
  runWorker(dir, log, killAfterMs, { tasks: TASKS, steps: STEPS });

it(
  "tasks killed with SIGKILL at random moments finish with exact results, each step at least once and re-run at most once per kill",
  async () => {
    const dir = await tempDir("stater-crash-");
    const log = join(dir, "..", `${dir.split("/").pop()}.steps.log`);
    try {
      let kills = 0;
      for (let i = 0; i < KILLS * 2 && kills < KILLS; i++) {
        const outcome = await run(join(dir, "store"), log, 20 + Math.random() * 100);
        if (outcome === "killed") kills++;
        else break;
      }
      expect(kills).toBeGreaterThanOrEqual(10);
      // The kills landed while the tasks ran: some steps ran, not all.
      const before = (await readFile(log, "utf8").catch(() => "")).split("\n").length - 1;
      expect(before).toBeGreaterThan(TASKS * 10);
      expect(before).toBeLessThan(TASKS * (STEPS + 1));
      await run(join(dir, "store"), log);

      await verify(fsDriver({ dir: join(dir, "store") }), log, {
        tasks: TASKS,
        steps: STEPS,
        kills,
      });
    } finally {
      await removeDir(dir);
      await removeDir(log);
    }
  },
  120_000,
);
