/**
 * The event bus of one engine: its own listeners, each task's listeners, and
 * the events raised while the engine opens, held until the caller had a
 * chance to listen. A listener that throws is reported as an `error` event.
 *
 * @module
 */

import { type EngineEvents, EVENT_TYPES, type Task } from "./types.ts";
import { Emitter } from "./_emitter.ts";
import { toError } from "./_util.ts";

type Listener<K extends keyof EngineEvents> = (event: EngineEvents[K]) => void;

/** One engine's events. */
export class EventBus {
  #engine: Emitter<EngineEvents>;
  /** Weak: a task's listeners do not keep it in memory; the task does keep them. */
  #perTask = new WeakMap<Task, Emitter<EngineEvents>>();
  #buffer: [keyof EngineEvents, unknown][] | undefined = [];
  #onListenerError = (error: unknown, type: keyof EngineEvents) => {
    if (type !== "error") this.report(error);
  };

  constructor() {
    this.#engine = new Emitter(this.#onListenerError);
  }

  /** Listens to every task's events of `type`; returns an unsubscribe function. */
  on<K extends keyof EngineEvents>(type: K, listener: Listener<K>): () => void {
    checkType(type);
    return this.#engine.on(type, listener);
  }

  /** Listens to `task`'s events of `type` only; returns an unsubscribe function. */
  onTask<K extends keyof EngineEvents>(task: Task, type: K, listener: Listener<K>): () => void {
    checkType(type);
    let emitter = this.#perTask.get(task);
    if (!emitter) this.#perTask.set(task, emitter = new Emitter(this.#onListenerError));
    return emitter.on(type, listener);
  }

  /** Emits `event` to the engine's listeners and to its task's. */
  emit<K extends keyof EngineEvents>(type: K, event: EngineEvents[K]): void {
    if (this.#buffer) {
      this.#buffer.push([type, event]);
      return;
    }
    this.#engine.emit(type, event);
    const task = (event as { task?: Task }).task;
    if (task) this.#perTask.get(task)?.emit(type, event);
  }

  /** Emits an `error` event for `error`, about `task` when given. */
  report(error: unknown, task?: Task): void {
    this.emit("error", task ? { error: toError(error), task } : { error: toError(error) });
  }

  /** Stops holding events back; returns those held so far, in order, to emit later. */
  release(): [keyof EngineEvents, unknown][] {
    const held = this.#buffer ?? [];
    this.#buffer = undefined;
    return held;
  }
}

function checkType(type: unknown): void {
  if (!EVENT_TYPES.includes(type as keyof EngineEvents)) {
    throw new TypeError(
      `Unknown event type ${JSON.stringify(type)}: use one of ${EVENT_TYPES.join(", ")}`,
    );
  }
}
