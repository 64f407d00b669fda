/**
 * The deno-kv driver against the raw Deno KV primitive it is built on, in the
 * same run and on the same disk: a checked atomic write per step is the
 * floor for one task; many tasks show what group commit gains over it.
 *
 *   npx tsx bench/deno-kv.ts [steps]        (Node, through @deno/kv)
 *   deno run -A --unstable-kv bench/deno-kv.ts [steps]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine, type WorkFunction } from "../src/mod.ts";
import { denoKvDriver, type KvLike } from "../drivers/deno-kv/mod.ts";

const args: string[] = (globalThis as { Deno?: { args: string[] } }).Deno?.args ??
  (await import("node:process")).argv.slice(2);
const STEPS = Number(args[0] ?? 2000);
const TASKS = 100;

async function withStore<T>(fn: (path: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "stater-bench-kv-"));
  try {
    return await fn(join(dir, "store.kv"));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function openRaw(path: string): Promise<KvLike> {
  const deno = (globalThis as { Deno?: { openKv(path: string): Promise<KvLike> } }).Deno;
  if (deno) return deno.openKv(path);
  const specifier = "@deno/kv";
  return (await import(specifier)).openKv(path);
}

/** One checked atomic write of a small byte value per step, awaited one after the other. */
function raw(steps: number): Promise<number> {
  return withStore(async (path) => {
    const kv = await openRaw(path);
    const text = new TextEncoder();
    let stamp: string | null = null;
    const t0 = performance.now();
    for (let n = 0; n < steps; n++) {
      const r = await kv.atomic().check({ key: ["k"], versionstamp: stamp }).set(
        ["k"],
        text.encode(JSON.stringify({ n })),
      ).commit();
      stamp = r.versionstamp ?? null;
    }
    const ms = performance.now() - t0;
    kv.close();
    return ms;
  });
}

type S = { n: number; to: number };
const count: WorkFunction<S, number> = (
  s,
  ctx,
) => (s.n >= s.to ? ctx.done(s.n) : { n: s.n + 1, to: s.to });

/** `tasks` tasks of `steps / tasks` steps each through one engine. */
function engine(tasks: number, steps: number): Promise<number> {
  return withStore(async (path) => {
    const e = await createEngine({ driver: denoKvDriver({ path }), work: { count } });
    const t0 = performance.now();
    const all = await Promise.all(
      Array.from(
        { length: tasks },
        (_, i) => e.create("count", { n: 0, to: steps / tasks - 1 }, { id: `t${i}` }),
      ),
    );
    await Promise.all(all.map((t) => t.result()));
    const ms = performance.now() - t0;
    await e.close();
    return ms;
  });
}

await raw(200);
await engine(1, 200);
const rawMs = await raw(STEPS);
const oneMs = await engine(1, STEPS);
const manyMs = await engine(TASKS, STEPS);
const rate = (ms: number) => Math.round((STEPS * 1000) / ms);
console.log(`steps per run:                          ${STEPS}`);
console.log(`raw checked atomic write per step:      ${rate(rawMs)} steps/s`);
console.log(
  `engine, one task:                       ${rate(oneMs)} steps/s (${
    (rawMs / oneMs).toFixed(2)
  }× raw)`,
);
console.log(
  `engine, ${TASKS} tasks (group commit):     ${rate(manyMs)} steps/s (${
    (rawMs / manyMs).toFixed(2)
  }× raw, ${(oneMs / manyMs).toFixed(2)}× one task)`,
);
