/**
 * Calls gathered into batches: the calls made before the current task of
 * the event loop ends run as one batch, so that renewing or releasing many
 * leases at once (the engine renews all it holds together, and releases all
 * of them on close) costs one statement, not one each.
 *
 * @module
 */

/** A function whose calls within one turn are handed to `run` together, in order. */
export function coalesce<T, R>(run: (items: T[]) => Promise<R[]>): (item: T) => Promise<R> {
  let queue: { item: T; resolve(value: R): void; reject(error: unknown): void }[] | undefined;
  async function flush(): Promise<void> {
    const batch = queue!;
    queue = undefined;
    try {
      const results = await run(batch.map((entry) => entry.item));
      batch.forEach((entry, i) => entry.resolve(results[i]!));
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  }
  return (item) =>
    new Promise<R>((resolve, reject) => {
      if (!queue) {
        queue = [];
        queueMicrotask(() => void flush());
      }
      queue.push({ item, resolve, reject });
    });
}
