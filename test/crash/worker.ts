/**
 * The crash tests' worker: runs `tasks` counting tasks of `steps` steps on an
 * fs store in `dir` (or, with STATER_CRASH_DRIVER=deno-kv, a Deno KV store
 * in it) until they are done. Each step appends `<task> <n>` to a side log
 * and fsyncs it before returning, so the log shows every step that ran.
 *
 *   node --import tsx test/crash/worker.ts <dir> <log> <tasks> <steps>
 */
import { closeSync, fdatasyncSync, openSync, writeSync } from "node:fs";
import process from "node:process";
import { createEngine, type WorkFunction } from "../../src/mod.ts";
import { join } from "node:path";
import { fsDriver } from "../../drivers/fs/mod.ts";
import { denoKvDriver } from "../../drivers/deno-kv/mod.ts";

const [dir, log, tasksArg, stepsArg] = process.argv.slice(2);
if (!dir || !log) throw new TypeError("usage: worker.ts <dir> <log> <tasks> <steps>");
const tasks = Number(tasksArg);
const steps = Number(stepsArg);
const fd = openSync(log, "a");

type S = { n: number; to: number; sum: number };
const count: WorkFunction<S, number> = async (s, ctx) => {
  // A floor on a step's length, so that the kills land while the tasks run even on a fast disk.
  await new Promise((resolve) => setTimeout(resolve, 1));
  writeSync(fd, `${ctx.taskId} ${s.n}\n`);
  fdatasyncSync(fd);
  return s.n >= s.to ? ctx.done(s.sum) : { n: s.n + 1, to: s.to, sum: s.sum + s.n };
};

const driver = process.env.STATER_CRASH_DRIVER === "deno-kv"
  ? denoKvDriver({ path: join(dir, "store.kv") })
  : fsDriver({ dir });
const engine = await createEngine({ driver, work: { count } });
engine.on("error", (e) => process.stderr.write(`engine error: ${String(e.error)}\n`));
process.stdout.write("started\n");
const created = await Promise.all(
  Array.from(
    { length: tasks },
    (_, i) => engine.create("count", { n: 0, to: steps, sum: 0 }, { id: `task-${i}` }),
  ),
);
await Promise.all(created.map((task) => task.result()));
await engine.close();
closeSync(fd);
process.stdout.write("finished\n");
