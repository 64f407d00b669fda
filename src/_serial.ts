/**
 * One at a time: a function that runs the async operations handed to it in
 * the order they came, each after the one before settled, whether it
 * resolved or rejected.
 *
 * @module
 */

/** Runs `op` after every operation handed in before it settled; settles like `op`. */
export type Serial = <T>(op: () => T | Promise<T>) => Promise<T>;

/**
 * A new queue of operations that run one at a time.
 *
 * @example
 * ```ts
 * import { serial } from "stater/driver";
 * const oneAtATime = serial();
 * const order: number[] = [];
 * await Promise.all([
 *   oneAtATime(async () => { await new Promise((r) => setTimeout(r, 5)); order.push(1); }),
 *   oneAtATime(() => { order.push(2); }),
 * ]);
 * console.log(order); // [ 1, 2 ]
 * ```
 */
export function serial(): Serial {
  let last: Promise<unknown> = Promise.resolve();
  return <T>(op: () => T | Promise<T>): Promise<T> => {
    const run = last.then(op, op);
    last = run.catch(() => {});
    return run;
  };
}
