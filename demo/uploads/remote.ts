/**
 * An `Engine` for a page that does not run the uploads itself: it lists,
 * watches, pauses and cancels through its own engine on the same store
 * (changes to a task another context runs reach that context through the
 * IndexedDB driver), and hands every start, resume and retry to the context
 * that runs the uploads, which runs the task there. The view cannot tell the
 * difference: it is driven by an `Engine` either way.
 */
import type { Engine, Task } from "stater";

/** Sends the ids of tasks to run to the context that runs the uploads. */
export type RunSender = (ids: string[]) => void;

/** `engine`, whose tasks' `start`, `resume` and `retry` go to `send` instead. */
export function remoteEngine(engine: Engine, send: RunSender): Engine {
  let batch: string[] | undefined;
  const run = (id: string): Promise<void> => {
    if (!batch) {
      batch = [];
      queueMicrotask(() => {
        const ids = batch!;
        batch = undefined;
        send(ids);
      });
    }
    batch.push(id);
    return Promise.resolve();
  };
  const wrap = (task: Task): Task =>
    new Proxy(task, {
      get(target, property) {
        if (property === "start" || property === "resume" || property === "retry") {
          return () => run(target.id);
        }
        const value = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  return {
    get owner() {
      return engine.owner;
    },
    // Created, never started here: `start()` it once its File is kept (addUploads resolved),
    // since the context that runs it reads the File from IndexedDB.
    create: async (work, state, options = {}) =>
      wrap(await engine.create(work, state, { ...options, start: false })) as never,
    get: async (id) => {
      const task = await engine.get(id);
      return task && wrap(task);
    },
    list: (filter) => engine.list(filter),
    on: (type, listener) => engine.on(type, listener),
    idle: () => engine.idle(),
    close: (options) => engine.close(options),
    [Symbol.asyncDispose]: () => engine.close(),
  };
}
