/**
 * How long strict commits of one task may hold the event loop (defect 9):
 * lone commits use blocking calls while they are quicker than `maxBlockMs`,
 * and let the event loop turn once they have held it that long;
 * `maxBlockMs: 0` never blocks. A fake clock makes the times exact.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createEngine, type WorkFunction } from "../../src/mod.ts";
import { fsDriver } from "../../drivers/fs/mod.ts";
import { createFsDriver } from "../../drivers/fs/_driver.ts";
import { removeDir, tempDir } from "./_subject.ts";

const calls = vi.hoisted(() => ({ fdatasyncSync: 0 }));
vi.mock("node:fs", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs")>();
  return {
    ...real,
    fdatasyncSync: (fd: number) => {
      calls.fdatasyncSync++;
      real.fdatasyncSync(fd);
    },
  };
});

let dir: string;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => removeDir(dir));

const STEPS = 150;
const count: WorkFunction<{ n: number }, number> = (s, ctx) =>
  s.n >= STEPS ? ctx.done(s.n) : { n: s.n + 1 };

/** A clock that moves `stepMs` each time it is read. */
function fakeClock(stepMs: number): () => number {
  let now = 0;
  return () => (now += stepMs);
}

/**
 * Runs one task of STEPS strict steps; counts the commits flushed with the
 * blocking call, and the event loop's turns meanwhile.
 */
async function runAlone(maxBlockMs: number | undefined, now?: () => number) {
  const options = maxBlockMs === undefined ? { dir } : { dir, maxBlockMs };
  const engine = await createEngine({ driver: createFsDriver(options, { now }), work: { count } });
  let turns = 0;
  let running = true;
  const beat = () => {
    turns++;
    if (running) setImmediate(beat);
  };
  const task = await engine.create("count", { n: 0 }, { id: "c" });
  calls.fdatasyncSync = 0;
  setImmediate(beat);
  expect(await task.result()).toBe(STEPS);
  running = false;
  const blocking = calls.fdatasyncSync;
  await engine.close();
  return { blocking, turns };
}

describe("fs maxBlockMs (defect 9)", () => {
  it("refuses a maxBlockMs that is not a number of 0 or more", () => {
    expect(() => fsDriver({ dir, maxBlockMs: "1" as never })).toThrow(TypeError);
    expect(() => fsDriver({ dir, maxBlockMs: -1 })).toThrow(RangeError);
    expect(() => fsDriver({ dir, maxBlockMs: NaN })).toThrow(/0 or more/);
    expect(() => fsDriver({ dir, maxBlockMs: Infinity })).not.toThrow();
  });

  it("one task stepping alone commits with blocking calls while they are quick, and lets the event loop turn every maxBlockMs", async () => {
    // Each commit reads the clock three times: 0.3 ms a read, about 1 ms a commit.
    const { blocking, turns } = await runAlone(undefined, fakeClock(0.3));
    expect(blocking).toBeGreaterThan(STEPS / 2);
    // The loop turns before every other commit at least (the engine alone: every 64 steps).
    expect(turns).toBeGreaterThanOrEqual(blocking / 2);
  });

  it("commits that take maxBlockMs or more use the asynchronous calls, which do not hold the event loop", async () => {
    const { blocking, turns } = await runAlone(1, fakeClock(2));
    // The first lone commit blocks and is found slow; the others do not block.
    expect(blocking).toBeLessThanOrEqual(1);
    expect(turns).toBeGreaterThanOrEqual(STEPS);
  });

  it("with maxBlockMs: Infinity blocking commits hold the event loop until the engine yields", async () => {
    const { blocking, turns } = await runAlone(Infinity, fakeClock(0.3));
    expect(blocking).toBeGreaterThan(STEPS / 2);
    expect(turns).toBeLessThan(blocking / 4);
  });

  it("with maxBlockMs: 0 no commit blocks the event loop on the disk", async () => {
    const { blocking, turns } = await runAlone(0);
    expect(blocking).toBe(0);
    expect(turns).toBeGreaterThanOrEqual(STEPS);
  });
});
