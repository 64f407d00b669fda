/**
 * The service-worker variant's worker: it runs the uploads. It opens its
 * engine on the first event it gets (which resumes every unfinished upload),
 * runs what pages ask it to, and keeps itself alive with `event.waitUntil`
 * until the engine is idle. A `sync` event (Background Sync, registered by
 * the page) wakes it after the page is gone; elsewhere it carries on at its
 * next start.
 */
import type { Engine } from "stater";
import { workerScope } from "../_worker.ts";
import { openEngine, type RunRequest, runRequested } from "./_engine.ts";

const scope = workerScope<RunRequest | { type: "wake" }>();

let engine: Promise<Engine> | undefined;
const ready = () => (engine ??= openEngine("sw", "run"));
const untilIdle = (work?: (engine: Engine) => Promise<void>) =>
  ready().then(async (e) => {
    await work?.(e);
    await e.idle();
  });

scope.addEventListener("install", (event) => event.waitUntil(scope.skipWaiting()));
scope.addEventListener(
  "activate",
  (event) => event.waitUntil(Promise.all([ready(), scope.clients.claim()])),
);
scope.addEventListener("sync", (event) => event.waitUntil(untilIdle()));
scope.addEventListener("message", (event) => {
  const data = event.data;
  event.waitUntil(untilIdle(data?.type === "run" ? (e) => runRequested(e, data.ids) : undefined));
});
