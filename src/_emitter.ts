/** A small typed event emitter; listeners that throw are reported, never break the emitter. */
export class Emitter<Events extends object> {
  #listeners = new Map<keyof Events, Set<(event: never) => void>>();

  constructor(private readonly onListenerError: (error: unknown, type: keyof Events) => void) {}

  on<K extends keyof Events>(type: K, listener: (event: Events[K]) => void): () => void {
    if (typeof listener !== "function") {
      throw new TypeError(`The listener for "${String(type)}" must be a function`);
    }
    let set = this.#listeners.get(type);
    if (!set) this.#listeners.set(type, set = new Set());
    // Wrap so that adding one function twice gives two independent subscriptions.
    const entry = (event: never) => listener(event);
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  has(type: keyof Events): boolean {
    const set = this.#listeners.get(type);
    return set !== undefined && set.size > 0;
  }

  emit<K extends keyof Events>(type: K, event: Events[K]): void {
    const set = this.#listeners.get(type);
    if (!set || set.size === 0) return;
    for (const listener of [...set]) {
      try {
        (listener as (event: Events[K]) => void)(event);
      } catch (error) {
        this.onListenerError(error, type);
      }
    }
  }
}
