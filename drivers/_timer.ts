/**
 * Timers that do not keep the process alive. A driver's background loop (a
 * poll for other engines' commits) has nothing of its own to finish: a
 * process whose engine is idle exits by itself, as it would with the fs
 * driver, while the work that holds it open (a step, a commit, a lease
 * renewal, a wait for a lease) runs on timers and operations that do.
 *
 * On Node a timer is an object with `unref()`; on Deno it is a number that
 * `Deno.unrefTimer` takes; in a browser a timer never holds anything open,
 * so there is nothing to do.
 *
 * @module
 */

type Unrefable = { unref?: () => unknown };
type DenoTimers = { unrefTimer?: (id: number) => void };

/** `setTimeout` whose timer does not keep the process alive (see the module doc). */
export function backgroundTimeout(
  callback: () => void,
  ms: number,
): ReturnType<typeof setTimeout> {
  const timer: unknown = setTimeout(callback, ms);
  if (typeof timer === "object" && timer !== null) (timer as Unrefable).unref?.();
  else {
    const deno = (globalThis as { Deno?: DenoTimers }).Deno;
    if (typeof timer === "number") deno?.unrefTimer?.(timer);
  }
  return timer as ReturnType<typeof setTimeout>;
}
