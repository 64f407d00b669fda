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
}
