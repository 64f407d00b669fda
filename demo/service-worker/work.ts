/** The demo's work: count to `to`, one step every 20 ms, reporting progress. */
import type { WorkFunction } from "../../src/mod.ts";

/** A counter's state. */
export interface Count {
  n: number;
  to: number;
}

/** The work map shared by the service worker and the page. */
export const work = {
  count: (async (s, ctx) => {
    await new Promise((resolve) => setTimeout(resolve, 20)); // the "work" of one step
    ctx.progress(s.n, s.to);
    return s.n >= s.to ? ctx.done(s.n) : { n: s.n + 1, to: s.to };
  }) as WorkFunction<Count, number>,
};
