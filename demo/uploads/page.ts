/**
 * The demo page. In the tabs variant one tab runs the uploads (it holds a Web
 * Lock for that) and every other tab observes: it shows the same uploads from
 * its own engine's events, and hands its clicks to the tab that runs them;
 * when that tab goes, the next one takes over. In the service-worker variant
 * the worker runs the uploads and every page observes. Either way the view
 * is driven only by an `Engine`.
 */
import { databaseOf, openEngine, type RunRequest, runRequested, type Variant } from "./_engine.ts";
import { wireInputs } from "./_inputs.ts";
import { banner, watchStatus } from "./_status.ts";
import { remoteEngine } from "./remote.ts";
import { UploadsView } from "./view.ts";

const config = JSON.parse(document.querySelector("#config")!.textContent!) as {
  variant: Variant;
  chunkSize: number;
};
const root = document.body;
const view = new UploadsView(root, {
  endpoint: new URL("/files", location.href).href,
  chunkSize: config.chunkSize,
});
wireInputs(root, (groups) => void view.add(groups));
watchStatus(root, (line) => view.log(line));
await (config.variant === "sw" ? inServiceWorker() : inTabs());
root.dataset.ready = "true";

/** Resolves with whether this tab got the lock, and holds it until the tab goes. */
function holdLock(name: string, ifAvailable: boolean): Promise<boolean> {
  return new Promise((resolve, reject) => {
    navigator.locks.request(name, { ifAvailable }, (lock) => {
      resolve(lock !== null);
      return lock ? new Promise<never>(() => {}) : undefined;
    }).catch(reject);
  });
}

async function inTabs(): Promise<void> {
  const name = databaseOf("tabs");
  const channel = new BroadcastChannel(`${name}:run`);
  const lead = async () => {
    const engine = await openEngine("tabs", "run");
    channel.onmessage = (event: MessageEvent<RunRequest>) => {
      if (event.data?.type !== "run") return;
      runRequested(engine, event.data.ids).catch((error) => view.log(`error: ${error.message}`));
    };
    banner(root, "elsewhere", undefined);
    root.dataset.role = "run";
    await view.attach(engine);
  };
  if (await holdLock(`${name}:runner`, true)) return lead();
  const observer = await openEngine("tabs", "observe");
  banner(
    root,
    "elsewhere",
    "Another tab runs these uploads: this one shows them, and its buttons act there. " +
      "Close that tab and this one carries on with them.",
  );
  root.dataset.role = "observe";
  await view.attach(remoteEngine(observer, (ids) => channel.postMessage({ type: "run", ids })));
  void holdLock(`${name}:runner`, false).then(async () => {
    view.detach();
    await observer.close();
    await lead();
    view.log("this tab runs the uploads now");
  });
}

async function inServiceWorker(): Promise<void> {
  const registration = await navigator.serviceWorker.register("/sw/sw.js", {
    scope: "/sw/",
    type: "module",
  });
  await navigator.serviceWorker.ready;
  const send = (message: RunRequest | { type: "wake" }) =>
    (navigator.serviceWorker.controller ?? registration.active)?.postMessage(message);
  const sync = (registration as { sync?: { register(tag: string): Promise<void> } }).sync;
  // Where Background Sync exists, the browser wakes the worker once the page is gone.
  const wakeLater = () => void sync?.register("stater-uploads").catch(() => {});
  const observer = await openEngine("sw", "observe");
  banner(
    root,
    "elsewhere",
    "The uploads run in the service worker: close this page and they go on. " +
      (sync
        ? "Background Sync wakes the worker again if the browser stops it."
        : "This browser has no Background Sync: a stopped worker carries on at the next visit."),
  );
  root.dataset.role = "observe";
  await view.attach(remoteEngine(observer, (ids) => {
    send({ type: "run", ids });
    wakeLater();
  }));
  // Opening the worker's engine resumes what was left; a message every 20 s keeps a
  // worker stopped by the browser (after about 5 minutes of one event) going.
  send({ type: "wake" });
  wakeLater();
  setInterval(() => send({ type: "wake" }), 20_000);
}
