/**
 * The few service-worker types the demos use, since the project's TypeScript
 * settings carry the DOM's types rather than a worker's.
 */

/** An event a service worker may extend with `waitUntil`. */
export interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}

/** A message from a page, with its `data`. */
export interface ExtendableMessageEvent<T> extends ExtendableEvent {
  data: T | null;
}

/** The service worker's global scope, as the demos use it. */
export interface WorkerScope<T> {
  addEventListener(
    type: "install" | "activate" | "sync",
    listener: (event: ExtendableEvent) => void,
  ): void;
  addEventListener(type: "message", listener: (event: ExtendableMessageEvent<T>) => void): void;
  skipWaiting(): Promise<void>;
  clients: { claim(): Promise<void> };
}

/** `self`, in a service worker whose pages send messages of type `T`. */
export const workerScope = <T>(): WorkerScope<T> => self as unknown as WorkerScope<T>;
