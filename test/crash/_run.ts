/** Runs the crash tests' worker (worker.ts) in a child process, and kills it when asked. */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { createEngine, type Driver, type WorkFunction } from "../../src/mod.ts";

const WORKER = fileURLToPath(new URL("./worker.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Runs the worker; kills it with SIGKILL `killAfterMs` after it started, or lets it finish. */
export function run(
  dir: string,
  log: string,
  killAfterMs: number | undefined,
  { tasks, steps, driver = "fs" }: { tasks: number; steps: number; driver?: "fs" | "deno-kv" },
): Promise<"killed" | "finished"> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [
      "--import",
      "tsx",
      WORKER,
      dir,
      log,
      String(tasks),
      String(steps),
    ], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, STATER_CRASH_DRIVER: driver },
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

/**
 * Checks what the runs left: on `driver`, every task done with the exact
 * sum; in the step log, every step ran, and no task ran more steps again
 * than there were kills.
 */
export async function verify(
  driver: Driver,
  log: string,
  { tasks, steps, kills }: { tasks: number; steps: number; kills: number },
): Promise<void> {
  const ran = new Map<string, number[]>();
  for (const line of (await readFile(log, "utf8")).trim().split("\n")) {
    const [id, n] = line.split(" ");
    ran.set(id!, [...(ran.get(id!) ?? []), Number(n)]);
  }
  const count: WorkFunction<{ n: number }> = () => {
    throw new Error("no step runs after the end");
  };
  const engine = await createEngine({ driver, work: { count } });
  const done = await engine.list({ status: "done" });
  expect(done.map((t) => t.id).sort()).toEqual(
    Array.from({ length: tasks }, (_, i) => `task-${i}`).sort(),
  );
  for (const task of done) {
    expect(task.result, task.id).toBe((steps * (steps - 1)) / 2);
    expect(task.step, task.id).toBe(steps + 1);
    const seen = ran.get(task.id) ?? [];
    expect(new Set(seen).size, `${task.id}: every step ran`).toBe(steps + 1);
    expect(seen.length - (steps + 1), `${task.id}: re-runs`).toBeLessThanOrEqual(kills);
  }
  await engine.close();
}
