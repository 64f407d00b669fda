import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createEngine,
  type Driver,
  DriverError,
  type Task,
  type WorkFunction,
} from "../../src/mod.ts";
import { fsDriver } from "../../drivers/fs/mod.ts";
import { createFsDriver } from "../../drivers/fs/_driver.ts";
import { mapFsError } from "../../drivers/fs/_errors.ts";
import { removeDir, tempDir } from "./_subject.ts";
import { eventually } from "../../src/conformance/_assert.ts";

let dir: string;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => removeDir(dir));

/** The error `promise` rejects with (the test fails if it resolves). */
async function rejection(promise: unknown): Promise<DriverError> {
  const outcome = await Promise.resolve(promise).then(() => undefined, (e: unknown) => e);
  expect(outcome).toBeInstanceOf(DriverError);
  return outcome as DriverError;
}

async function open(driver = fsDriver({ dir })): Promise<Driver> {
  await driver.open!({ owner: "t", report: () => {} });
  return driver;
}

function nativeError(code: string): Error {
  return Object.assign(new Error(`${code}: native message`), { code });
}

describe("fsDriver options", () => {
  it("refuses a missing or empty dir with a TypeError", () => {
    expect(() => fsDriver({} as never)).toThrow(TypeError);
    expect(() => fsDriver({ dir: "" })).toThrow(/needs \{ dir \}/);
  });

  it("refuses an unknown durability with a TypeError, as the IndexedDB driver does", () => {
    expect(() => fsDriver({ dir, durability: "fast" as never })).toThrow(TypeError);
    expect(() => fsDriver({ dir, durability: "fast" as never })).toThrow(
      `fsDriver's durability must be "strict" or "relaxed", got "fast"`,
    );
  });

  it("touches nothing until it is opened", async () => {
    fsDriver({ dir: join(dir, "not-yet") });
    const { readdir } = await import("node:fs/promises");
    expect(await readdir(dir)).toEqual([]);
  });
});

describe("fs driver errors", () => {
  it("creates a missing folder, parents included", async () => {
    const driver = await open(fsDriver({ dir: join(dir, "a", "b", "c") }));
    expect(await driver.list()).toEqual([]);
    await driver.close!();
  });

  it("a file where the folder should be is a DriverError naming the driver and what to do", async () => {
    await writeFile(join(dir, "file"), "x");
    const error = await rejection(open(fsDriver({ dir: join(dir, "file") })));
    expect(error).toBeInstanceOf(DriverError);
    expect(error.code).toBe("EEXIST");
    expect(error.message).toMatch(
      /^The fs driver could not create the store folder .*: pick another dir/,
    );
    const under = await rejection(open(fsDriver({ dir: join(dir, "file", "sub") })));
    expect(under).toBeInstanceOf(DriverError);
    expect(under.code).toBe("ENOTDIR");
  });

  it("a folder the process may not create is a DriverError with the native code", async () => {
    const error = await rejection(open(fsDriver({ dir: "/sys/stater-test-store" })));
    expect(error).toBeInstanceOf(DriverError);
    expect(["EPERM", "EACCES", "EROFS"]).toContain(error.code);
    expect(error.message).toMatch(/The fs driver could not create the store folder/);
  });

  it.each(["EACCES", "EPERM", "EROFS", "ENOSPC", "EDQUOT", "EIO"])(
    "maps %s to a DriverError with that code and advice",
    (code) => {
      const error = mapFsError(nativeError(code), "append a commit to /x/active.log");
      expect(error).toBeInstanceOf(DriverError);
      expect(error.code).toBe(code);
      expect(error.message).toMatch(
        new RegExp(
          `^The fs driver could not append a commit to /x/active.log \\(${code}\\): [a-z]`,
        ),
      );
      expect((error as DriverError).driver).toBe("fs");
      expect(error.cause).toBeInstanceOf(Error);
    },
  );

  it("a commit that hits a full disk rejects with DriverError ENOSPC and keeps what was committed", async () => {
    let full = false;
    const driver = await open(createFsDriver({ dir }, {
      beforeAppend: () => {
        if (full) throw nativeError("ENOSPC");
      },
    }));
    const record = {
      id: "a",
      work: "w",
      status: "running" as const,
      state: { n: 1 },
      step: 1,
      rev: 1,
      createdAt: 1,
      updatedAt: 1,
    };
    await driver.commit([{ type: "put", record, expectRev: 0 }]);
    full = true;
    const error = await rejection(
      driver.commit([{
        type: "put",
        record: { ...record, state: { n: 2 }, rev: 2 },
        expectRev: 1,
      }]),
    );
    expect(error).toBeInstanceOf(DriverError);
    expect(error.code).toBe("ENOSPC");
    expect(error.message).toMatch(/disk is full/);
    expect((await driver.get("a"))?.state).toEqual({ n: 1 });
    full = false;
    expect(
      await driver.commit([{
        type: "put",
        record: { ...record, state: { n: 3 }, rev: 2 },
        expectRev: 1,
      }]),
    ).toEqual([{ ok: true }]);
    await driver.close!();
    const again = await open();
    expect((await again.get("a"))?.state).toEqual({ n: 3 });
    await again.close!();
  });

  it("a full disk pauses the task with its last committed state, an error event explains, and a restart carries on", async () => {
    let full = false;
    let filled = false;
    const faults = {
      beforeAppend: () => {
        if (full) throw nativeError("ENOSPC");
      },
    };
    const count: WorkFunction<{ n: number }, number> = (s, ctx) => {
      if (s.n === 5 && !filled) full = filled = true;
      return s.n >= 10 ? ctx.done(s.n) : { n: s.n + 1 };
    };
    const engine = await createEngine({ driver: createFsDriver({ dir }, faults), work: { count } });
    const errors: unknown[] = [];
    engine.on("error", (e) => errors.push(e.error));
    const task: Task = await engine.create("count", { n: 0 }, { id: "c" });
    await eventually(() => task.status === "paused", 5000, "the task to pause");
    expect(task.state).toEqual({ n: 5 });
    const error = errors.find((e) => e instanceof DriverError) as DriverError;
    expect(error.code).toBe("ENOSPC");
    expect(error.message).toMatch(/fs driver.*disk is full: free some space/);
    await engine.close();
    full = false;
    const again = await createEngine({ driver: createFsDriver({ dir }, faults), work: { count } });
    expect(await (await again.get("c"))!.result()).toBe(10);
    await again.close();
  });
});
