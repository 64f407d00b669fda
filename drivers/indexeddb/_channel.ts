/**
 * Cross-tab events: what one engine publishes reaches the engines of the
 * other tabs and workers of the site over a `BroadcastChannel`, and the
 * other engines sharing this very driver object directly.
 *
 * @module
 */

import type { DriverEvent } from "../../src/driver.ts";

type Listener = (event: DriverEvent) => void;

/** A channel named after the database, opened while someone listens. */
export class EventChannel {
  #listeners = new Set<Listener>();
  #channel: BroadcastChannel | undefined;

  constructor(private readonly name: string, private readonly report: (error: unknown) => void) {}

  #open(): BroadcastChannel | undefined {
    if (this.#channel || typeof BroadcastChannel !== "function") return this.#channel;
    const channel = new BroadcastChannel(this.name);
    channel.onmessage = (message: MessageEvent) => {
      for (const listener of [...this.#listeners]) listener(message.data as DriverEvent);
    };
    this.#channel = channel;
    return channel;
  }

  /** Sends `event` to every other listener, here and in other tabs. */
  publish(event: DriverEvent): void {
    const channel = this.#open();
    try {
      channel?.postMessage(event);
    } catch (error) {
      // A message that structured clone refuses reaches only this tab.
      if (event.type !== "message") this.report(error);
    }
    if (this.#listeners.size < 2) return;
    let copy: DriverEvent;
    try {
      copy = structuredClone(event);
    } catch {
      copy = event;
    }
    for (const listener of [...this.#listeners]) queueMicrotask(() => listener(copy));
  }

  /** Listens; returns an unsubscribe function. The channel closes with its last listener. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    this.#open();
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.close();
    };
  }

  /** Closes the channel (it opens again on the next use). */
  close(): void {
    this.#channel?.close();
    this.#channel = undefined;
  }
}
