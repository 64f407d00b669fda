/**
 * A worker of the sharing test, on Node (through tsx) or Deno: opens an
 * engine named `<name>` on a shared store, creates the test's tasks (an id
 * that exists is left as it is), and runs its share until every task is
 * done. Each step appends `{ worker, task, n, start, end }` to the side log
 * before it returns.
 *
 *   <runtime> test/share/_worker.ts <driver> <store> <name> <log> <tasks> <steps> <stepMs>
 */
import { appendFileSync } from "node:fs";
import process from "node:process";
import { createEngine, type Driver, type WorkFunction } from "../../src/mod.ts";

const [kind, store, name, log, tasksArg, stepsArg, stepMsArg] = process.argv.slice(2);
if (!kind || !store || !name || !log) {
  throw new TypeError("usage: _worker.ts <driver> <store> <name> <log> <tasks> <steps> <stepMs>");
}
const tasks = Number(tasksArg);
const steps = Number(stepsArg);
const stepMs = Number(stepMsArg);

async function driverOf(kind: string, store: string): Promise<Driver> {
  if (kind === "deno-kv") {
    const { denoKvDriver } = await import("../../drivers/deno-kv/mod.ts");
    return denoKvDriver({ path: store });
  }
  if (kind === "postgres") {
    // <url>#<schema>
    const { postgresDriver } = await import("../../drivers/postgres/mod.ts");
    const [url, schema] = store.split("#");
    return postgresDriver({ url, schema });
  }
  throw new TypeError(`unknown driver ${kind}`);
}

type S = { n: number; sum: number };
const job: WorkFunction<S, number> = async (s, ctx) => {
  const start = Date.now();
  await new Promise((resolve) => setTimeout(resolve, stepMs));
  const end = Date.now();
  appendFileSync(
    log,
    JSON.stringify({ worker: name, task: ctx.taskId, n: s.n, start, end }) + "\n",
  );
  const next = { n: s.n + 1, sum: s.sum + s.n };
  return next.n >= steps ? ctx.done(next.sum) : next;
};

const engine = await createEngine({ driver: await driverOf(kind, store), work: { job } });
engine.on("error", (e) => {
  // Lost leases are expected here (workers are killed); anything else is worth seeing.
  if ((e.error as { code?: string }).code !== "OWNERSHIP_LOST") {
    process.stderr.write(`${name}: ${String(e.error)}\n`);
  }
});
for (let i = 0; i < tasks; i++) await engine.create("job", { n: 0, sum: 0 }, { id: `task-${i}` });
process.stdout.write("started\n");
for (;;) {
  if ((await engine.list({ status: "done" })).length === tasks) break;
  await new Promise((resolve) => setTimeout(resolve, 250));
}
await engine.close();
process.stdout.write("finished\n");
