/**
 * The options of `fsDriver`.
 *
 * @module
 */

/** How `fsDriver` stores records. */
export interface FsDriverOptions {
  /**
   * The store's folder, created (with its parents) if missing. Relative paths
   * are resolved against the working directory when the store is opened.
   * Keep one store per folder, and nothing else in it.
   */
  dir: string;
  /**
   * When a commit resolves:
   * - `"strict"`: once its bytes are on the disk (fdatasync). A power cut
   *   loses nothing that was committed.
   * - `"relaxed"`: once its bytes are written to the operating system, which
   *   flushes them in the background. A process crash loses nothing; a power
   *   cut or kernel crash may lose the last moments, and never tears a record.
   *
   * @default "strict"
   */
  durability?: "strict" | "relaxed";
  /**
   * How long commits may hold the event loop in a row, in milliseconds. A
   * commit of one write right after another (one task stepping alone) is
   * written with blocking calls (`writeSync` + `fdatasyncSync`), which saves
   * a thread-pool round trip a step and keeps one task near the raw speed of
   * the disk; while they run, nothing else in the process does (timers, I/O,
   * an HTTP server). So blocking calls are used only while a lone commit
   * takes less than this, and once they have held the event loop this long
   * without it turning, the next commit first lets it turn.
   * - `0`: never block: every commit uses the asynchronous calls, so the
   *   event loop never waits for the disk, and one task alone steps more
   *   slowly (about 0.5–0.8× here).
   * - `Infinity`: block until the engine itself yields (every 64 steps and
   *   10 ms at most), the fastest for one task and the worst for latency.
   *
   * @default 1
   */
  maxBlockMs?: number;
}
