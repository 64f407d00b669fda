/**
 * The service worker: opens one engine on IndexedDB when it activates, runs
 * the tasks pages ask for, and keeps itself alive with `event.waitUntil`
 * until the engine is idle. A worker stopped mid-task resumes it on its
 * next event (Background Sync, a message, the next activation).
 */
import { createEngine, type Engine } from "stater";
import { indexedDBDriver } from "stater/drivers/indexeddb";
import { workerScope } from "../_worker.ts";
import { work } from "./work.ts";

const scope = workerScope<{ type?: string; id?: string; to?: number }>();

let engine: Promise<Engine<typeof work>> | undefined;
const ready =
  () => (engine ??= createEngine({ driver: indexedDBDriver({ name: "stater-sw-demo" }), work }));

scope.addEventListener("install", (event) => event.waitUntil(scope.skipWaiting()));
scope.addEventListener(
  "activate",
  (event) => event.waitUntil(Promise.all([ready(), scope.clients.claim()])),
);
scope.addEventListener("sync", (event) => event.waitUntil(ready().then((e) => e.idle())));
scope.addEventListener("message", (event) => {
  const data = event.data;
  event.waitUntil(
    ready().then(async (e) => {
      if (data?.type === "count" && data.id) {
        await e.create("count", { n: 0, to: data.to ?? 100 }, { id: data.id });
      }
      if (data?.type === "resume" && data.id) {
        await (await e.get(data.id))?.resume();
      }
      await e.idle();
    }),
  );
});
