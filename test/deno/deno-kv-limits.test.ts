import { operationLimits } from "../../drivers/deno-kv/_limits.ts";
import type { KvLike } from "../../drivers/deno-kv/mod.ts";

Deno.test("deno-kv asks the store how many checks one operation may hold: 100 on Deno", async () => {
  const dir = await Deno.makeTempDir();
  const kv = await Deno.openKv(`${dir}/store.kv`);
  try {
    const limits = await operationLimits(kv as unknown as KvLike, ["stater"]);
    if (limits.checks !== 100) throw new Error(`expected 100 checks, got ${limits.checks}`);
    const left = [];
    for await (const entry of kv.list({ prefix: [] })) left.push(entry.key);
    if (left.length !== 0) throw new Error(`asking wrote keys: ${JSON.stringify(left)}`);
  } finally {
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
});
