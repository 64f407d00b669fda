/**
 * The fs driver against the raw storage primitive of the same disk, in one run:
 *
 * - 1 task, strict, tiny steps, against a raw `writeSync` + `fdatasyncSync`
 *   loop of a record of the same size (goal ≥ 0.8×);
 * - 64 tasks at once, strict, aggregate steps/s against the same raw figure
 *   (goal ≥ 10×, group commit);
 * - against the same loop saving the state with `write-file-atomic` each
 *   step, what users hand-write today (goal ≥ 2× faster);
 * - opening a store with 100,000 done tasks against an empty one (goal ≤ 2×).
 *
 *   npx tsx bench/fs.ts [seconds per raw round, default 0.3]
 */
import { closeSync, fdatasyncSync, openSync, writeSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import writeFileAtomic from "write-file-atomic";
import { createEngine, type WorkFunction } from "../src/mod.ts";
import type { TaskRecord } from "../src/driver.ts";
import { fsDriver } from "../drivers/fs/mod.ts";
import { linesFrame } from "../drivers/fs/_file.ts";
import { putLine } from "../drivers/fs/_record.ts";

const SECONDS = Number(process.argv[2] ?? 0.3);
const ROUNDS = 7;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const root = await mkdtemp(join(tmpdir(), "stater-bench-fs-"));
let dirs = 0;
const freshDir = () => join(root, `store-${dirs++}`);

type S = { n: number; to: number };
const tiny: WorkFunction<S, number> = (
  s,
  ctx,
) => (s.n >= s.to ? ctx.done(s.n) : { n: s.n + 1, to: s.to });

/** The bytes one tiny step appends to the journal. */
function stepBytes(): number {
  const record: TaskRecord = {
    id: "00000000-0000-4000-8000-000000000000",
    work: "tiny",
    status: "running",
    state: { n: 12345, to: 99999 },
    step: 12345,
    rev: 12346,
    createdAt: Date.now(),
    updatedAt: Date.now(),
  };
  return linesFrame([putLine(record).line]).length;
}

function rawRate(size: number): number {
  const path = join(root, "raw.bin");
  const fd = openSync(path, "w");
  const bytes = new Uint8Array(size).fill(97);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < SECONDS * 1000) {
    writeSync(fd, bytes);
    fdatasyncSync(fd);
    n++;
  }
  const rate = n / ((performance.now() - t0) / 1000);
  closeSync(fd);
  return rate;
}

async function staterRate(
  tasks: number,
  stepsEach: number,
  durability: "strict" | "relaxed" = "strict",
): Promise<number> {
  const engine = await createEngine({
    driver: fsDriver({ dir: freshDir(), durability }),
    work: { tiny },
  });
  const t0 = performance.now();
  const created = await Promise.all(
    Array.from(
      { length: tasks },
      (_, i) => engine.create("tiny", { n: 0, to: stepsEach }, { id: `t${i}` }),
    ),
  );
  const results = await Promise.all(created.map((t) => t.result()));
  const seconds = (performance.now() - t0) / 1000;
  if (results.some((r) => r !== stepsEach)) throw new Error("a task returned a wrong result");
  await engine.close();
  return (tasks * (stepsEach + 1)) / seconds;
}

async function atomicRate(stepsWanted: number): Promise<number> {
  const path = join(root, "state.json");
  let state: S = { n: 0, to: stepsWanted };
  const t0 = performance.now();
  while (state.n < stepsWanted) {
    state = { n: state.n + 1, to: state.to };
    await writeFileAtomic(path, JSON.stringify(state));
  }
  return stepsWanted / ((performance.now() - t0) / 1000);
}

async function openMs(dir: string, runs = 15): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const engine = await createEngine({ driver: fsDriver({ dir }), work: { tiny } });
    await engine.list({ status: "running" });
    times.push(performance.now() - t0);
    await engine.close();
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** A store with `count` done tasks, written through the driver in batches of 1,000. */
async function doneStore(count: number): Promise<string> {
  const dir = freshDir();
  const driver = fsDriver({ dir });
  await driver.open?.({ owner: "bench", report: (e) => console.error(e) });
  for (let i = 0; i < count; i += 1000) {
    const now = Date.now();
    await driver.commit(Array.from({ length: Math.min(1000, count - i) }, (_, k) => ({
      type: "put" as const,
      expectRev: 0,
      record: {
        id: `done-${i + k}`,
        work: "tiny",
        status: "done" as const,
        state: { n: 10, to: 10 },
        step: 11,
        rev: 1,
        result: 10,
        createdAt: now,
        updatedAt: now,
      },
    })));
  }
  await driver.close?.();
  return dir;
}

try {
  // The disk's speed drifts while other programs use it, so each figure is
  // measured in short rounds right after a raw round, and the median of the
  // paired ratios is reported (with the medians of the rates).
  const size = stepBytes();
  await staterRate(1, 200); // warm up
  const rounds = {
    raw: [] as number[],
    one: [] as number[],
    many: [] as number[],
    relaxed: [] as number[],
    atomic: [] as number[],
  };
  const ratios = {
    one: [] as number[],
    many: [] as number[],
    relaxed: [] as number[],
    atomicVsOne: [] as number[],
  };
  for (let round = 0; round < ROUNDS; round++) {
    const raw = rawRate(size);
    const steps = Math.max(100, Math.round(raw * SECONDS));
    const one = await staterRate(1, steps);
    const many = await staterRate(64, Math.max(50, Math.round((steps * 10) / 64)));
    const relaxed = await staterRate(1, steps * 4, "relaxed");
    const atomic = await atomicRate(Math.max(50, Math.round(steps / 8)));
    const one2 = await staterRate(1, steps);
    rounds.raw.push(raw);
    rounds.one.push(one);
    rounds.many.push(many);
    rounds.relaxed.push(relaxed);
    rounds.atomic.push(atomic);
    ratios.one.push(one / raw);
    ratios.many.push(many / raw);
    ratios.relaxed.push(relaxed / raw);
    ratios.atomicVsOne.push(one2 / atomic);
  }
  const m = median;
  console.log(`record size:                         ${size} bytes; ${ROUNDS} rounds, medians`);
  console.log(`raw writeSync + fdatasyncSync:       ${m(rounds.raw).toFixed(0)} records/s`);
  console.log(
    `stater, 1 task, strict:              ${m(rounds.one).toFixed(0)} steps/s  = ${
      m(ratios.one).toFixed(2)
    }× raw (goal ≥ 0.8×)`,
  );
  console.log(
    `stater, 64 tasks, strict, aggregate: ${m(rounds.many).toFixed(0)} steps/s  = ${
      m(ratios.many).toFixed(2)
    }× raw (goal ≥ 10×)`,
  );
  console.log(
    `stater, 1 task, relaxed:             ${m(rounds.relaxed).toFixed(0)} steps/s  = ${
      m(ratios.relaxed).toFixed(2)
    }× raw`,
  );
  console.log(
    `write-file-atomic per step:          ${
      m(rounds.atomic).toFixed(0)
    } steps/s; stater 1 task strict is ${m(ratios.atomicVsOne).toFixed(2)}× faster (goal ≥ 2×)`,
  );
  const empty = freshDir();
  await openMs(empty, 3);
  const t0 = performance.now();
  const full = await doneStore(100_000);
  console.log(
    `built a store of 100,000 done tasks in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  await openMs(full, 3);
  const emptyMs = await openMs(empty);
  const fullMs = await openMs(full);
  console.log(`open + list running, empty store:    ${emptyMs.toFixed(2)} ms (median)`);
  console.log(
    `open + list running, 100,000 done:   ${fullMs.toFixed(2)} ms (median) = ${
      (fullMs / emptyMs).toFixed(2)
    }× empty (goal ≤ 2×)`,
  );
} finally {
  await rm(root, { recursive: true, force: true });
}
