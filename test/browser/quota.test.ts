import { cdp } from "vitest/browser";
import { afterEach, expect, it } from "vitest";
import { createEngine, DriverError, type WorkFunction } from "../../src/mod.ts";
import { indexedDBDriver } from "../../drivers/indexeddb/mod.ts";
import { deleteDatabase, eventually, freshName } from "./_util.ts";

const db = freshName("quota");
afterEach(() => deleteDatabase(db));

it("a full quota becomes QUOTA_EXCEEDED: the task pauses, the page gets an error event, and the last commit stays", async () => {
  const session = cdp() as unknown as { send(method: string, params: object): Promise<unknown> };
  const big: WorkFunction<{ n: number; pad?: Uint8Array }> = (s) => ({
    n: s.n + 1,
    pad: s.n >= 2 ? new Uint8Array(8 << 20).fill(7) : undefined,
  });
  const engine = await createEngine({ driver: indexedDBDriver({ name: db }), work: { big } });
  const errors: unknown[] = [];
  engine.on("error", (e) => errors.push(e.error));
  await session.send("Storage.overrideQuotaForOrigin", {
    origin: location.origin,
    quotaSize: 2 << 20,
  });
  try {
    const task = await engine.create("big", { n: 0 });
    await eventually(() => task.status === "paused", 10_000, "the task to pause").catch(
      async (e) => {
        throw new Error(
          `${e.message}: ${task.status} ${task.step} ${errors.map(String)} ${
            JSON.stringify(await navigator.storage.estimate())
          }`,
        );
      },
    );
    const error = errors.find((e) => e instanceof DriverError) as DriverError;
    expect(error.code).toBe("QUOTA_EXCEEDED");
    expect(error.message).toMatch(/quota/);
    const stored = (await engine.list())[0]!;
    expect((stored.state as { n: number }).n).toBe(2);
  } finally {
    await session.send("Storage.overrideQuotaForOrigin", { origin: location.origin });
    await engine.close();
  }
});
