/**
 * The Deno side of the cross-runtime tests, run as
 * `deno run --allow-all --unstable-kv _interop.deno.ts <mode> <path> <id> [leaseMs]`.
 * It prints one line of JSON on stdout.
 */

import { createEngine } from "../../src/mod.ts";
import { encode, type TaskRecord } from "../../src/driver.ts";
import { denoKvDriver } from "../../drivers/deno-kv/mod.ts";
import { count, richState } from "./_fixture.ts";

const [mode, path, id, lease] = Deno.args;
const driver = denoKvDriver({
  path,
  leaseMs: Number(lease ?? 1000),
  renewEveryMs: 300,
  pollMs: 50,
});
const never = new AbortController().signal;

function print(value: unknown): void {
  console.log(JSON.stringify(value));
}

try {
  if (mode === "write") {
    await driver.open!({ owner: "deno", report: (e) => console.error(e) });
    const record: TaskRecord = {
      id: id!,
      work: "w",
      status: "paused",
      state: richState(),
      step: 3,
      rev: 1,
      createdAt: 1,
      updatedAt: 2,
    };
    print(await driver.commit([{ type: "put", record, expectRev: 0 }]));
    driver.close!();
  } else if (mode === "read") {
    await driver.open!({ owner: "deno", report: (e) => console.error(e) });
    const record = await driver.get(id!);
    print({ text: record ? encode(record, "record") : null });
    driver.close!();
  } else if (mode === "hold") {
    await driver.open!({ owner: "deno", report: (e) => console.error(e) });
    const lease = await driver.acquire!(id!, { owner: "deno", wait: false, signal: never });
    print({ held: lease !== undefined });
    // Exits without releasing: a dead owner.
    Deno.exit(0);
  } else if (mode === "finish") {
    const engine = await createEngine({ driver, work: { count }, owner: "deno" });
    const task = await engine.get(id!);
    print({ result: await task?.result() });
    await engine.close();
  } else if (mode === "takeover") {
    // Resumes task `id`, whose lease another process holds, and tells what it said meanwhile.
    const errors: { code?: string; message: string }[] = [];
    const started = Date.now();
    const engine = await createEngine({ driver, work: { count }, owner: "deno-2" });
    engine.on("error", ({ error }) => {
      errors.push({ code: (error as { code?: string }).code, message: error.message });
    });
    const result = await (await engine.get(id!))?.result();
    print({ result, errors, tookMs: Date.now() - started });
    await engine.close();
  } else if (mode === "await") {
    // Opened before the task exists: learns of it from the other engine's commits, takes it over when released.
    const seen: number[] = [];
    const counted: typeof count = (s, ctx) => {
      seen.push(s.n);
      return count(s, ctx);
    };
    const engine = await createEngine({ driver, work: { count: counted }, owner: "deno" });
    console.log(JSON.stringify({ ready: true }));
    const deadline = Date.now() + 30_000;
    let done;
    while (!done && Date.now() < deadline) {
      done = (await engine.list({ status: "done" })).find((t) => t.id === id);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await engine.close();
    print({ result: done?.result, seen });
  } else if (mode === "talk") {
    // Runs a task that reports progress and sends a message at every step.
    const talk: typeof count = (s, ctx) => {
      ctx.progress(s.n, s.to);
      ctx.emit({ from: "deno", n: s.n, at: new Date(s.n) });
      return count(s, ctx);
    };
    const engine = await createEngine({ driver, work: { count: talk }, owner: "deno" });
    const task = await engine.create("count", { n: 0, to: 10 }, { id: id! });
    print({ result: await task.result() });
    await engine.close();
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
} catch (error) {
  print({
    error: {
      name: (error as Error).name,
      code: (error as { code?: string }).code,
      message: (error as Error).message,
    },
  });
}
