/** The sharing test, on any shared driver: fair shares, then kills, then exact results. */
import { expect } from "vitest";
import { createEngine, type Driver } from "../../src/mod.ts";
import { faults, type Shape, startWorker, steps, tasksBy, type Worker } from "./_cluster.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const NAMES = [["w1", "node"], ["w2", "deno"], ["w3", "node"], ["w4", "deno"]] as const;
const KILLS = 8;

/** The results of the finished tasks on the store of `driver`, read by an engine that runs none. */
export async function doneResults(driver: Driver): Promise<unknown[]> {
  const engine = await createEngine({
    driver,
    work: { job: () => ({ n: 0, sum: 0 }) },
    autoResume: false,
  });
  const done = await engine.list({ status: "done" });
  await engine.close();
  return done.map((info) => info.result);
}

/** Runs the test; `results` reads the finished tasks' results from the store at the end. */
export async function shareTest(shape: Shape, results: () => Promise<unknown[]>): Promise<void> {
  const workers = new Map<string, Worker>();
  try {
    for (const [name, runtime] of NAMES) {
      workers.set(name, await startWorker(shape, name, runtime));
      await sleep(2000);
    }
    // Once all are up, each runs a fair share: a quarter, ±30%.
    const up = Date.now();
    let by: Record<string, number> = {};
    const fair = () => NAMES.every(([name]) => (by[name] ?? 0) >= 7 && (by[name] ?? 0) <= 13);
    while (Date.now() - up < 20_000) {
      await sleep(500);
      by = tasksBy(steps(shape.log), Date.now() - 1000, Date.now());
      if (fair()) break;
    }
    expect(fair(), `tasks per worker in the last second: ${JSON.stringify(by)}`).toBe(true);

    // Kill workers at random, and start them again.
    for (let kill = 0; kill < KILLS; kill++) {
      const [name, runtime] = NAMES[Math.floor(Math.random() * NAMES.length)]!;
      const worker = workers.get(name)!;
      worker.child.kill("SIGKILL");
      expect(await worker.ended).toBe("killed");
      await sleep(300 + Math.random() * 700);
      workers.set(name, await startWorker(shape, name, runtime));
      await sleep(500 + Math.random() * 1000);
    }
    for (const worker of workers.values()) {
      expect(await worker.ended, worker.errors()).toBe("finished");
    }
    const sum = (shape.steps * (shape.steps - 1)) / 2;
    expect(await results()).toEqual(Array.from({ length: shape.tasks }, () => sum));
    expect(faults(steps(shape.log), shape, KILLS)).toEqual([]);
  } finally {
    for (const worker of workers.values()) worker.child.kill("SIGKILL");
  }
}
