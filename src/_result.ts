/**
 * A task's `result()`: settled at once when the task is finished (or gone),
 * else when it finishes, is removed, or its engine closes. Every call while
 * it waits gets the same promise; while one waits, the engine keeps the task
 * in memory, so the promise settles even if nothing else holds the task.
 *
 * @module
 */

interface Waiter {
  promise: Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** The `result()` calls of one task. */
export class ResultWaiter {
  #waiter: Waiter | undefined;

  constructor(
    /** What the result settles with now, or `undefined` while it must wait. */
    private readonly settled: () => Promise<unknown> | undefined,
    /** Called with true when a call starts waiting, with false when it settled. */
    private readonly waiting: (waiting: boolean) => void,
  ) {}

  /** The promise `result()` returns. */
  get(): Promise<unknown> {
    const settled = this.settled();
    if (settled) return settled;
    if (!this.#waiter) {
      let resolve!: (value: unknown) => void;
      let reject!: (error: unknown) => void;
      const promise = new Promise((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // Marked handled: a caller that never awaits does not get an unhandled rejection.
      promise.catch(() => {});
      this.#waiter = { promise, resolve, reject };
      this.waiting(true);
    }
    return this.#waiter.promise;
  }

  /** Settles the waiting calls, if the task is settled now. */
  settle(): void {
    const waiter = this.#waiter;
    const settled = waiter && this.settled();
    if (!settled) return;
    this.#waiter = undefined;
    this.waiting(false);
    settled.then(waiter.resolve, waiter.reject);
  }
}
