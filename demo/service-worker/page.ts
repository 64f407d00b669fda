/**
 * The demo page: registers the service worker, asks it to count, and shows
 * the progress it hears over the driver's BroadcastChannel. The page's own
 * engine only watches (`autoResume: false`): the worker runs the tasks.
 */
import { createEngine } from "../../src/mod.ts";
import { indexedDBDriver } from "../../drivers/indexeddb/mod.ts";
import { work } from "./work.ts";

const out = document.querySelector("#out")!;
const show = (
  line: string,
) => (out.textContent = `${line}\n${out.textContent ?? ""}`.slice(0, 4000));

const engine = await createEngine({
  driver: indexedDBDriver({ name: "stater-sw-demo" }),
  work,
  autoResume: false,
});
const progressSeen = new Set<string>();
engine.on("progress", (e) => {
  progressSeen.add(e.task.id);
  show(`${e.task.id}: ${e.done}/${e.total}`);
});
engine.on("done", (e) => show(`${e.task.id}: done, result ${String(e.result)}`));
engine.on("error", (e) => show(`error: ${e.error.message}`));

const registration = await navigator.serviceWorker.register("/sw.js", { type: "module" });
await navigator.serviceWorker.ready;
let n = 0;
document.querySelector("#start")!.addEventListener("click", () => {
  registration.active?.postMessage({ type: "count", id: `count-${Date.now()}-${n++}`, to: 100 });
});
// For scripts (and the end-to-end test) driving the page.
(globalThis as { demo?: unknown }).demo = {
  start: (id: string, to: number) => registration.active?.postMessage({ type: "count", id, to }),
  done: async () => (await engine.list({ status: "done" })).map((t) => [t.id, t.result]),
  progressSeen: () => [...progressSeen],
  step: async (id: string) => (await engine.list()).find((t) => t.id === id)?.step ?? 0,
  // Pausing from the page: the change goes to the worker, which holds the task.
  pause: async (id: string) => {
    const task = await engine.get(id);
    await task?.pause();
    return task?.status;
  },
  // Resuming is the worker's to do, so that the worker runs it again.
  resume: (id: string) => registration.active?.postMessage({ type: "resume", id }),
};
