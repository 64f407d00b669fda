/**
 * Type-level tests: `npm run typecheck` (tsc) fails when the types loosen;
 * the runtime part checks the same code runs.
 */
import { expect, expectTypeOf, it } from "vitest";
import {
  createEngine,
  defineWork,
  type StepContext,
  type Task,
  type TaskInfo,
} from "../src/mod.ts";
import type { WorkMap } from "../src/mod.ts";
import { memoryDriver } from "../drivers/memory/mod.ts";

it("infers each task's state and result from the work map", async () => {
  const engine = await createEngine({
    driver: memoryDriver(),
    work: {
      count: (state: { n: number }, ctx) => (state.n >= 3 ? ctx.done(state.n) : { n: state.n + 1 }),
      greet: async (state: { name: string }, ctx) => ctx.done(`hello ${state.name}`),
    },
  });

  const count = await engine.create("count", { n: 0 });
  expectTypeOf(count).toEqualTypeOf<Task<{ n: number }, number>>();
  expectTypeOf(count.state).toEqualTypeOf<{ n: number }>();
  const n = await count.result();
  expectTypeOf(n).toEqualTypeOf<number>();

  const greet = await engine.create("greet", { name: "Ada" });
  expectTypeOf(await greet.result()).toEqualTypeOf<string>();

  // @ts-expect-error: the state of "count" is { n: number }
  await engine.create("count", { name: "x" }).catch(() => {});
  // @ts-expect-error: "missing" is not a work name
  await engine.create("missing", {}).catch(() => {});

  count.on("done", (e) => expectTypeOf(e.result).toEqualTypeOf<number>());
  expectTypeOf(await engine.list()).toEqualTypeOf<TaskInfo[]>();
  expect(n).toBe(3);
  expect(await greet.result()).toBe("hello Ada");
  await engine.close();
});

it("defect 12: work declared in a const of its own keeps its ctx and result types", async () => {
  const count = defineWork((state: { n: number }, ctx) => {
    expectTypeOf(ctx.step).toEqualTypeOf<number>();
    return state.n >= 2 ? ctx.done(state.n) : { n: state.n + 1 };
  });
  const work = {
    greet: (state: { name: string }, ctx: StepContext<string>) => ctx.done(`hi ${state.name}`),
  } satisfies WorkMap;
  const engine = await createEngine({ driver: memoryDriver(), work: { count, ...work } });
  const task = await engine.create("count", { n: 0 });
  const n = await task.result();
  expectTypeOf(n).toEqualTypeOf<number>();
  const greet = await (await engine.create("greet", { name: "Ada" })).result();
  expectTypeOf(greet).toEqualTypeOf<`hi ${string}`>();
  expect([n, greet]).toEqual([2, "hi Ada"]);
  await engine.close();
});
