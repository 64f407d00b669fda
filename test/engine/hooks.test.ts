import { describe, expect, it } from "vitest";
import {
  type CleanupInfo,
  createEngine,
  defineWork,
  PermanentError,
  TaskFailedError,
} from "../../src/mod.ts";
import { memoryDriver } from "../../drivers/memory/mod.ts";
import { Gate, until } from "./_helpers.ts";

function gatedWithCleanup() {
  const gate = new Gate();
  const calls: { state: unknown; info: CleanupInfo }[] = [];
  const upload = defineWork(async (state: { n: number }, ctx) => {
    await gate.pass(ctx);
    return state.n >= 100 ? ctx.done(state.n) : { n: state.n + 1 };
  }, {
    cleanup(state, info) {
      calls.push({ state, info });
    },
  });
  return { gate, calls, upload };
}

describe("the cleanup hook", () => {
  it("runs once after cancel() commits, with the last committed state", async () => {
    const { gate, calls, upload } = gatedWithCleanup();
    const engine = await createEngine({ driver: memoryDriver(), work: { upload } });
    const task = await engine.create("upload", { n: 0 }, { id: "u" });
    gate.open("u", 2);
    await until(() => task.step === 2 && gate.isWaiting("u"));
    await task.cancel();
    expect(task.status).toBe("canceled");
    expect(calls).toEqual([{
      state: { n: 2 },
      info: { taskId: "u", work: "upload", reason: "cancel" },
    }]);
    await task.cancel();
    await task.remove();
    expect(calls.length).toBe(1);
    await engine.close();
  });

  it("runs after remove() of an unfinished task, and not after remove() of a done one", async () => {
    const { gate, calls, upload } = gatedWithCleanup();
    const engine = await createEngine({ driver: memoryDriver(), work: { upload } });
    const paused = await engine.create("upload", { n: 5 }, { id: "p", start: false });
    await paused.pause();
    await paused.remove();
    expect(calls).toEqual([{
      state: { n: 5 },
      info: { taskId: "p", work: "upload", reason: "remove" },
    }]);
    const done = await engine.create("upload", { n: 100 }, { id: "d" });
    gate.open("d", 1);
    expect(await done.result()).toBe(100);
    await done.remove();
    expect(calls.length).toBe(1);
    await engine.close();
  });

  it("reports what it throws as an error event, and cancel() still resolves", async () => {
    const work = defineWork((s: { n: number }) => ({ n: s.n + 1 }), {
      cleanup() {
        throw new Error("the server is gone");
      },
    });
    const engine = await createEngine({ driver: memoryDriver(), work: { work } });
    const errors: string[] = [];
    engine.on("error", (e) => errors.push(e.error.message));
    const task = await engine.create("work", { n: 0 }, { start: false });
    await task.cancel();
    expect(task.status).toBe("canceled");
    expect(errors).toEqual(["the server is gone"]);
    await engine.close();
  });

  it("defineWork refuses what is not a function", () => {
    expect(() => defineWork(3 as never)).toThrow(TypeError);
    expect(() => defineWork((s: number) => s, { cleanup: "no" as never })).toThrow(TypeError);
  });
});

describe("PermanentError", () => {
  it("fails the task at once, without the engine's retries", async () => {
    let calls = 0;
    const work = defineWork((_s: null) => {
      calls++;
      throw new PermanentError("the server refused the file for good");
    });
    const engine = await createEngine({
      driver: memoryDriver(),
      work: { work },
      retry: { maxAttempts: 5, initialDelayMs: 1 },
    });
    const task = await engine.create("work", null);
    const error = await task.result().catch((e) => e);
    expect(error).toBeInstanceOf(TaskFailedError);
    expect((error as Error).cause).toBeInstanceOf(PermanentError);
    expect(calls).toBe(1);
    await engine.close();
  });

  it("any error with retryable: false is not retried either, and others are", async () => {
    let calls = 0;
    const work = defineWork((_s: { fatal: boolean }, ctx) => {
      calls++;
      if (ctx.attempt < 3 && !_s.fatal) throw new Error("flaky");
      if (_s.fatal) throw Object.assign(new Error("bad input"), { retryable: false });
      return ctx.done("ok");
    });
    const engine = await createEngine({
      driver: memoryDriver(),
      work: { work },
      retry: { maxAttempts: 5, initialDelayMs: 1 },
    });
    expect(await (await engine.create("work", { fatal: false })).result()).toBe("ok");
    expect(calls).toBe(3);
    calls = 0;
    await expect((await engine.create("work", { fatal: true })).result()).rejects.toThrow(
      "bad input",
    );
    expect(calls).toBe(1);
    await engine.close();
  });
});
