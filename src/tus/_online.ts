/**
 * Offline awareness: while `navigator.onLine` is false, uploads wait here
 * instead of failing requests and burning their retries, and they go on by
 * themselves on the `online` event.
 *
 * One listener and one timer serve every waiting upload (a page may hold a
 * thousand), and only while some upload waits. The timer looks at
 * `navigator.onLine` every second too, for the contexts that miss the event.
 * Where there is no `navigator.onLine` (Node), nothing is ever offline.
 *
 * @module
 */

interface Waiter {
  resolve(): void;
}

const POLL_MS = 1000;
const waiters = new Set<Waiter>();
let timer: ReturnType<typeof setInterval> | undefined;

type Target = {
  addEventListener?(type: string, listener: () => void): void;
  removeEventListener?(type: string, listener: () => void): void;
};

/** Whether the platform says it is offline (`navigator.onLine === false`). */
export function isOffline(): boolean {
  return (globalThis as { navigator?: { onLine?: unknown } }).navigator?.onLine === false;
}

function wakeAll(): void {
  if (isOffline()) return;
  const woken = [...waiters];
  waiters.clear();
  stopWatching();
  for (const waiter of woken) waiter.resolve();
}

function startWatching(): void {
  if (timer !== undefined) return;
  (globalThis as Target).addEventListener?.("online", wakeAll);
  timer = setInterval(wakeAll, POLL_MS);
}

function stopWatching(): void {
  if (timer === undefined) return;
  clearInterval(timer);
  timer = undefined;
  (globalThis as Target).removeEventListener?.("online", wakeAll);
}

function abortError(signal: AbortSignal): unknown {
  if (signal.reason !== undefined) return signal.reason;
  const error = new Error("The upload was stopped while it waited for the network");
  error.name = "AbortError";
  return error;
}

/**
 * Resolves at once when online, else once the platform is online again;
 * rejects with the signal's reason as soon as `signal` aborts (a pause, a
 * cancel, a close).
 */
export function whenOnline(signal: AbortSignal): Promise<void> {
  if (!isOffline()) return Promise.resolve();
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      waiters.delete(waiter);
      if (waiters.size === 0) stopWatching();
      reject(abortError(signal));
    };
    const waiter: Waiter = {
      resolve() {
        signal.removeEventListener("abort", onAbort);
        resolve();
      },
    };
    signal.addEventListener("abort", onAbort, { once: true });
    waiters.add(waiter);
    startWatching();
  });
}

/**
 * How many uploads of this page or worker wait for the network right now
 * (`navigator.onLine` is false), for a status line.
 *
 * @example
 * ```ts
 * import { waitingForNetwork } from "stater/tus";
 *
 * console.log(`${waitingForNetwork()} uploads wait for the network`); // 0 uploads wait …
 * ```
 */
export function waitingForNetwork(): number {
  return waiters.size;
}
