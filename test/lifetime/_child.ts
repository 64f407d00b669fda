/**
 * A process that opens an engine and never closes it, for the lifetime
 * tests; it runs unchanged on Node (through tsx) and on Deno:
 *
 *   _child.ts idle <memory|fs|deno-kv> <dir>     an engine with nothing to do
 *   _child.ts run <memory|fs|deno-kv> <dir>      one task, with a retry on the way
 *   _child.ts standby deno-kv <dir>              takes over task "t" once it is free
 *
 * It prints `open` once the engine is open and `done <result>` when a task
 * finishes here, and then leaves it to the runtime whether the process ends.
 */
import process from "node:process";
import { join } from "node:path";
import { createEngine, type Driver, type WorkFunction } from "../../src/mod.ts";
import { memoryDriver } from "../../drivers/memory/mod.ts";
import { fsDriver } from "../../drivers/fs/mod.ts";
import { denoKvDriver } from "../../drivers/deno-kv/mod.ts";

const [mode, name, dir] = process.argv.slice(2);
if (!mode || !name || !dir) throw new TypeError("usage: _child.ts <mode> <driver> <dir>");

type Count = { n: number; to: number };

/** Counts synchronously (nothing of its own keeps the process alive); step 3 fails once. */
const count: WorkFunction<Count, number> = (state, ctx) => {
  if (state.n === 3 && ctx.attempt === 1) throw new Error("the first try of step 3 fails");
  return state.n >= state.to ? ctx.done(state.n) : { n: state.n + 1, to: state.to };
};

/** What the standby takes over: a step that takes a while. */
const slow: WorkFunction<Count, number> = async (state, ctx) => {
  await new Promise((resolve) => setTimeout(resolve, 20));
  return state.n >= state.to ? ctx.done(state.n) : { n: state.n + 1, to: state.to };
};

function open(): Driver {
  if (name === "memory") return memoryDriver();
  if (name === "fs") return fsDriver({ dir: dir! });
  // Renewals far apart: a renewal timer left behind by a finished task would hold the process.
  return denoKvDriver({ path: join(dir!, "store.kv"), leaseMs: 60_000, renewEveryMs: 20_000 });
}

const engine = await createEngine({
  driver: open(),
  work: { count, slow },
  retry: { maxAttempts: 3, initialDelayMs: 400, maxDelayMs: 400 },
});
engine.on("error", (event) => process.stderr.write(`engine error: ${String(event.error)}\n`));
engine.on("done", (event) => process.stdout.write(`done ${String(event.result)}\n`));
process.stdout.write("open\n");
if (mode === "run") await engine.create("count", { n: 0, to: 200 }, { id: "t" });
else if (mode !== "idle" && mode !== "standby") throw new TypeError(`unknown mode ${mode}`);
