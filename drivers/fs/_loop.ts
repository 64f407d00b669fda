/**
 * A bound on how long blocking commits hold the event loop. Lone commits
 * (one task stepping alone) use blocking calls, which are faster, but while
 * they run nothing else of the process does (timers, I/O, an HTTP server).
 * So blocking calls are used only while they are quick (the last lone commit
 * took less than the budget: a slow or busy disk costs the asynchronous
 * calls little, and would hold the loop long), and the watch notes when the
 * event loop last turned (a `setImmediate` armed while commits run fires on
 * each turn) and makes a commit wait for a turn once the loop has not turned
 * for the budget.
 *
 * @module
 */

/** Watches the event loop's turns and the lone commits' times for one store. */
export class LoopWatch {
  #turnedAt = 0;
  #armed = false;
  #slow = false;
  readonly #mark = () => {
    this.#armed = false;
    this.#turnedAt = this.now();
  };

  /** `now`: the clock, in milliseconds (tests pass their own). */
  constructor(
    private readonly budgetMs: number,
    readonly now: () => number = () => performance.now(),
  ) {}

  /** Whether the next lone commit may use blocking calls. */
  get mayBlock(): boolean {
    return this.budgetMs > 0 && !this.#slow;
  }

  /** Notes how long a lone commit took, blocking or not. */
  took(ms: number): void {
    this.#slow = ms >= this.budgetMs;
  }

  /**
   * Before a blocking commit: `undefined` when the event loop turned within
   * the budget, else a promise that resolves after it turned.
   */
  due(): Promise<void> | undefined {
    if (!this.#armed) {
      this.#armed = true;
      setImmediate(this.#mark);
    }
    if (this.now() - this.#turnedAt < this.budgetMs) return undefined;
    // Immediates run in order: the mark above (or an earlier one) runs first.
    return new Promise((resolve) => setImmediate(resolve));
  }
}
