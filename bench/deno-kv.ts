/**
 * The deno-kv driver against the raw Deno KV primitive it is built on, in the
 * same run and on the same disk: a checked atomic write per step is the
 * floor for one task; many tasks show what group commit gains over it.
 *
 *   npx tsx bench/deno-kv.ts [steps] [rounds]        (Node, through @deno/kv)
 *   deno run -A --unstable-kv bench/deno-kv.ts [steps] [rounds]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine, type WorkFunction } from "../src/mod.ts";
import { denoKvDriver, type KvLike } from "../drivers/deno-kv/mod.ts";

const args: string[] = (globalThis as { Deno?: { args: string[] } }).Deno?.args ??
  (await import("node:process")).argv.slice(2);
const STEPS = Number(args[0] ?? 2000);
const ROUNDS = Number(args[1] ?? 3);
/** The task counts measured next to one task. */
const MANY = [64, 100];

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
    const opened = await createEngine({ driver: denoKvDriver({ path }), work: { count } });
    const started = performance.now();
    const all = await Promise.all(
      Array.from(
        { length: tasks },
        (_, index) => opened.create("count", { n: 0, to: steps / tasks - 1 }, { id: `t${index}` }),
      ),
    );
    await Promise.all(all.map((task) => task.result()));
    const ms = performance.now() - started;
    await opened.close();
    return ms;
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
const rate = (ms: number) => Math.round((STEPS * 1000) / ms);

await raw(200);
await engine(1, 200);
await engine(64, 640);
// Rounds of every measurement one after the other, so that each ratio compares figures taken
// moments apart on this shared machine; the medians of the rounds are printed.
const rounds: { raw: number; one: number; many: number[] }[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const rawRate = rate(await raw(STEPS));
  const one = rate(await engine(1, STEPS));
  const many: number[] = [];
  for (const tasks of MANY) many.push(rate(await engine(tasks, STEPS)));
  rounds.push({ raw: rawRate, one, many });
}
const ratio = (pick: (round: (typeof rounds)[number]) => number) =>
  median(rounds.map((round) => pick(round) / round.raw)).toFixed(2);
console.log(`steps per run: ${STEPS}; rounds: ${ROUNDS} (medians)`);
console.log(
  `raw checked atomic write per step:`.padEnd(40) +
    `${median(rounds.map((round) => round.raw))} steps/s`,
);
console.log(
  `engine, one task:`.padEnd(40) +
    `${median(rounds.map((round) => round.one))} steps/s (${ratio((round) => round.one)}× raw)`,
);
MANY.forEach((tasks, index) => {
  const many = median(rounds.map((round) => round.many[index]!));
  console.log(
    `engine, ${tasks} tasks (group commit):`.padEnd(40) +
      `${many} steps/s (${ratio((round) => round.many[index]!)}× raw, ${
        median(rounds.map((round) => round.many[index]! / round.one)).toFixed(2)
      }× one task)`,
  );
});
