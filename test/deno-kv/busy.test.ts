import { openKv } from "@deno/kv";
import { describe, expect, it } from "vitest";
import { DriverError } from "../../src/mod.ts";
import type { TaskRecord } from "../../src/driver.ts";
import { denoKvDriver, type KvLike } from "../../drivers/deno-kv/mod.ts";
import { context, useStore } from "./_store.ts";

const store = useStore();
const path = () => store.path;
const record: TaskRecord = {
  id: "a",
  work: "w",
  status: "pending",
  state: 1,
  step: 0,
  rev: 1,
  createdAt: 1,
  updatedAt: 1,
};

/** A store whose reads and commits fail `times` times with `message` before they work. */
function flaky(kv: KvLike, message: string, times: number): KvLike & { failures: number } {
  const out = {
    failures: 0,
    fail(): void {
      if (out.failures < times) {
        out.failures++;
        throw new Error(`${message}\n\nStack backtrace:\n   0: <unknown>`);
      }
    },
    get: async (key: Parameters<KvLike["get"]>[0]) => (out.fail(), kv.get(key)),
    getMany: async (keys: Parameters<KvLike["getMany"]>[0]) => (out.fail(), kv.getMany(keys)),
    list: (selector: { prefix: Parameters<KvLike["get"]>[0] }, options?: { batchSize?: number }) =>
      kv.list(selector, options),
    atomic: () => {
      const op = kv.atomic();
      const commit = op.commit.bind(op);
      op.commit = async () => (out.fail(), commit());
      return op;
    },
    close: () => kv.close(),
  };
  return out;
}

describe("deno-kv on a busy or failing store", () => {
  it('operations refused with "database is locked" are tried again and succeed', async () => {
    const kv = await openKv(path());
    const busy = flaky(kv, "database is locked", 4);
    const d = denoKvDriver({ kv: busy });
    await d.open?.(context);
    expect(await d.commit([{ type: "put", record, expectRev: 0 }])).toEqual([{ ok: true }]);
    expect((await d.get("a"))?.state).toBe(1);
    expect(busy.failures).toBe(4);
    await d.close?.();
    kv.close();
  });

  it("other failures of the store reject as a DriverError naming the driver, with the first line of the cause", async () => {
    const kv = await openKv(path());
    const d = denoKvDriver({ kv: flaky(kv, "disk I/O error", 100) });
    await d.open?.(context);
    const error = await Promise.resolve(d.commit([{ type: "put", record, expectRev: 0 }])).catch((
      e: unknown,
    ) => e);
    expect(error).toBeInstanceOf(DriverError);
    expect((error as DriverError).message).toBe(
      "The deno-kv driver could not commit a batch of writes: disk I/O error",
    );
    expect((error as DriverError).code).toBe("KV_FAILED");
    await expect(d.get("a")).rejects.toThrow(/could not read task "a": disk I\/O error/);
    await d.close?.();
    kv.close();
  });
});
