import { openKv } from "@deno/kv";
import { expect, it } from "vitest";
import type { DriverEvent } from "../../src/driver.ts";
import type { KvLike } from "../../drivers/deno-kv/mod.ts";
import { EventReader } from "../../drivers/deno-kv/_event_reader.ts";
import { Outbox } from "../../drivers/deno-kv/_outbox.ts";
import { Keys } from "../../drivers/deno-kv/_keys.ts";
import { useStore } from "./_store.ts";

const store = useStore();
const RESTARTS = 200;

const message = (owner: string, n: number): DriverEvent => ({
  type: "message",
  owner,
  id: "t",
  work: "w",
  message: n,
});

it(
  "defect 17: a reader of events forgets the engines whose entries are gone from the store, however many restarted",
  async () => {
    const kv = (await openKv(store.path)) as unknown as KvLike;
    try {
      const keys = new Keys(["stater"]);
      const reader = new EventReader(kv, keys, "reader");
      const fail = (error: unknown) => {
        throw error;
      };
      /** An engine that starts as `owner`, publishes `n` and stops. */
      const restart = async (owner: string, n: number) => {
        const outbox = new Outbox(kv, keys, owner, fail);
        outbox.publish(message(owner, n));
        await outbox.close();
      };
      expect(await reader.read(), "the first read only notes where each engine is").toEqual([]);
      for (let i = 0; i < RESTARTS; i++) {
        await restart(`engine-${i}`, i);
        expect(await reader.read()).toEqual([message(`engine-${i}`, i)]);
      }
      expect(reader.owners, "one position for each engine with entries in the store").toBe(
        RESTARTS,
      );

      // The entries of all but the last three engines go, as their expiry would remove them.
      const keep = new Set([`engine-${RESTARTS - 3}`, `engine-${RESTARTS - 2}`]);
      for await (const entry of kv.list({ prefix: keys.events })) {
        if (!keep.has(String(entry.key[entry.key.length - 2]))) {
          await kv.atomic().delete(entry.key as never).commit();
        }
      }
      await restart(`engine-${RESTARTS - 1}`, -1);
      expect(await reader.read()).toEqual([message(`engine-${RESTARTS - 1}`, -1)]);
      expect(reader.owners, "only the engines still in the store").toBe(3);

      // An engine forgotten that comes back under the same owner id is heard once, from its new entries.
      await restart("engine-5", 5_000);
      expect(await reader.read()).toEqual([message("engine-5", 5_000)]);
      expect(await reader.read()).toEqual([]);
      expect(reader.owners).toBe(4);
    } finally {
      kv.close();
    }
  },
  60_000,
);
