/**
 * What the page, the tab that runs the uploads and the service worker share:
 * the database names, the engine's options, and how a context that observes
 * asks the one that runs to start, resume or retry tasks.
 */
import { createEngine, type Engine } from "stater";
import { indexedDBDriver } from "stater/drivers/indexeddb";
import { tusWork } from "stater/tus";

/** The two ways the demo runs: uploads in the tab, or in a service worker. */
export type Variant = "tabs" | "sw";

/** The demo's IndexedDB database of tasks, per variant. */
export const databaseOf = (variant: Variant): string => `stater-demo-uploads-${variant}`;

/** The database in which the Files are kept (stater/tus's `keepFiles`). */
export const KEEP_FILES = "stater-demo-files";

/** What a context that observes sends to the one that runs the uploads. */
export interface RunRequest {
  type: "run";
  ids: string[];
}

/**
 * Opens the demo's engine. `run`: it runs the uploads (resumes what was left,
 * takes over tasks of a context that died); `observe`: it only shows them and
 * passes changes through the store (pause, cancel), and runs nothing itself.
 */
export function openEngine(variant: Variant, role: "run" | "observe"): Promise<Engine> {
  const observe = role === "observe";
  return createEngine({
    driver: indexedDBDriver({ name: databaseOf(variant) }),
    // The observer needs the work too: a cancel made there deletes the upload on the server.
    work: { upload: tusWork({ keepFiles: KEEP_FILES }) },
    concurrency: 4, // a browser opens about 6 connections per server anyway
    retry: { maxAttempts: 10, initialDelayMs: 1000, maxDelayMs: 30_000 },
    autoResume: !observe,
    share: observe ? 0 : 1,
  });
}

/**
 * Carries out run requests in the engine that runs the uploads: a failed task
 * is retried, a pending or paused one started. Resolves once all are asked.
 */
export async function runRequested(engine: Engine, ids: readonly string[]): Promise<void> {
  await Promise.all(ids.map(async (id) => {
    const task = await engine.get(id);
    if (!task) return;
    if (task.status === "failed") await task.retry();
    else if (task.status === "paused" || task.status === "pending") await task.start();
  }));
}
