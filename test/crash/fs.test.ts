import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { createEngine, type WorkFunction } from "../../src/mod.ts";
import { fsDriver } from "../../drivers/fs/mod.ts";
import { removeDir, tempDir } from "../fs/_subject.ts";

const WORKER = fileURLToPath(new URL("./worker.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TASKS = 6;
const STEPS = 2000;
const KILLS = 12;

/** Runs the worker; kills it with SIGKILL `killAfterMs` after it started, or lets it finish. */
function run(dir: string, log: string, killAfterMs?: number): Promise<"killed" | "finished"> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", WORKER, dir, log, String(TASKS), String(STEPS)], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    let killed = false;
    child.stdout.on("data", (chunk) => {
      out += chunk;
      if (killAfterMs !== undefined && out.includes("started") && !killed) {
        killed = true;
        setTimeout(() => child.kill("SIGKILL"), killAfterMs);
      }
    });
    child.stderr.on("data", (chunk) => (err += chunk));
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL") resolve("killed");
      else if (code === 0 && out.includes("finished")) resolve("finished");
      else reject(new Error(`the worker exited with ${code ?? signal}: ${err}`));
    });
  });
}

it("tasks killed with SIGKILL at random moments finish with exact results, each step at least once and re-run at most once per kill", async () => {
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

    const lines = (await readFile(log, "utf8")).trim().split("\n");
    const ran = new Map<string, number[]>();
    for (const line of lines) {
      const [id, n] = line.split(" ");
      ran.set(id!, [...(ran.get(id!) ?? []), Number(n)]);
    }
    const count: WorkFunction<{ n: number }> = () => {
      throw new Error("no step runs after the end");
    };
    const engine = await createEngine({ driver: fsDriver({ dir: join(dir, "store") }), work: { count } });
    const done = await engine.list({ status: "done" });
    expect(done.map((t) => t.id).sort()).toEqual(Array.from({ length: TASKS }, (_, i) => `task-${i}`).sort());
    for (const task of done) {
      expect(task.result, task.id).toBe((STEPS * (STEPS - 1)) / 2);
      expect(task.step, task.id).toBe(STEPS + 1);
      const seen = ran.get(task.id) ?? [];
      expect(new Set(seen).size, `${task.id}: every step ran`).toBe(STEPS + 1);
      expect(seen.length - (STEPS + 1), `${task.id}: re-runs`).toBeLessThanOrEqual(kills);
    }
    await engine.close();
  } finally {
    await removeDir(dir);
    await removeDir(log);
  }
}, 120_000);
