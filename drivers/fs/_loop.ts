/**
 * A bound on how long blocking calls of the journal hold the event loop.
 * Commits write with a blocking call, and lone ones (one task stepping alone)
 * flush with one too: it saves a thread-pool round trip, but while they run
 * nothing else of the process does (timers, I/O, an HTTP server).
 *
 * So each kind of call (write, flush) blocks only while it is quick: once
 * one took the budget or more (a slow or busy disk, where the asynchronous
 * call costs relatively little), the next ones are asynchronous, but every
 * eighth still blocks, to find out whether the disk is quick again. And the
 * watch notes when the event loop last turned (a `setImmediate` armed while
 * commits run fires on each turn), and makes a blocking call wait for a turn
 * once the loop has not turned for the budget.
 *
 * @module
 */

/** How often a call that was slow blocks anyway, to measure it again. */
const PROBE_EVERY = 8;

/** Whether one kind of call may block: while it is quick. */
class Gauge {
  #slow = false;
  #since = 0;

  constructor(private readonly budgetMs: number) {}

  /** Whether the next call may block. */
  mayBlock(): boolean {
    if (this.budgetMs <= 0) return false;
    return !this.#slow || ++this.#since % PROBE_EVERY === 0;
  }

  /** Notes how long a blocking call took. */
  took(ms: number): void {
    this.#slow = ms >= this.budgetMs;
  }
}

/** Watches the event loop's turns and the journal's blocking calls for one store. */
export class LoopWatch {
  /** Whether writes may block. */
  readonly write: Gauge;
  /** Whether the fdatasync of a lone commit may block. */
  readonly flush: Gauge;
  #turnedAt = 0;
  #armed = false;
  readonly #mark = () => {
    this.#armed = false;
    this.#turnedAt = this.now();
  };

  /** `now`: the clock, in milliseconds (tests pass their own). */
  constructor(
    private readonly budgetMs: number,
    readonly now: () => number = () => performance.now(),
  ) {
    this.write = new Gauge(budgetMs);
    this.flush = new Gauge(budgetMs);
  }

  /**
   * Before a blocking call: `undefined` when the event loop turned within
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
