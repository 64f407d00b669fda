/**
 * What the cross-runtime tests write on one runtime and read on the other:
 * a state with every storable kind, large enough to be chunked, and a small
 * work function both runtimes run.
 */

import type { WorkFunction } from "../../src/mod.ts";

/** A state with every storable kind of value, about 100 KB encoded (so it is chunked). */
export function richState(): Record<string, unknown> {
  return {
    when: new Date(1_700_000_000_000),
    big: 2n ** 70n,
    map: new Map<unknown, unknown>([["k", new Set([1, 2])], [3, undefined]]),
    bytes: new Uint8Array([0, 1, 127, 128, 255]),
    buffer: new Uint8Array([4, 5]).buffer,
    text: "héllo ✓ \u0000 🧪",
    nums: [-0, NaN, Infinity, 1.5],
    filler: Array.from({ length: 2000 }, (_, i) => `line ${i} ${"x".repeat(40)}`),
  };
}

/** Counts to `to`, one step at a time, slowly enough to be interrupted. */
export const count: WorkFunction<{ n: number; to: number }, number> = async (s, ctx) => {
  await new Promise((resolve) => setTimeout(resolve, 5));
  return s.n >= s.to ? ctx.done(s.n) : { n: s.n + 1, to: s.to };
};
