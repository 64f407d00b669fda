import { afterEach, beforeEach, expect, it } from "vitest";
import { createEngine, type WorkFunction } from "../../src/mod.ts";
import { fsDriver } from "../../drivers/fs/mod.ts";
import { runChild } from "./_child.ts";
import { removeDir, tempDir } from "./_subject.ts";

let dir: string;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => removeDir(dir));

const count: WorkFunction<{ n: number }, number> = (
  s,
  ctx,
) => (s.n >= 500 ? ctx.done(s.n) : { n: s.n + 1 });

it("relaxed durability runs tasks to the same results, kept across a restart", async () => {
  const engine = await createEngine({
    driver: fsDriver({ dir, durability: "relaxed" }),
    work: { count },
  });
  const tasks = await Promise.all(
    [1, 2, 3].map((i) => engine.create("count", { n: i }, { id: `t${i}` })),
  );
  expect(await Promise.all(tasks.map((t) => t.result()))).toEqual([500, 500, 500]);
  await engine.close();
  const again = await createEngine({ driver: fsDriver({ dir }), work: { count } });
  expect((await again.list({ status: "done" })).map((t) => [t.id, t.result, t.step]).sort())
    .toEqual([
      ["t1", 500, 500],
      ["t2", 500, 499],
      ["t3", 500, 498],
    ]);
  await again.close();
});

it("a process killed with SIGKILL right after its relaxed commits resolved loses none of them", async () => {
  const { signal, out } = await runChild("./_relaxed_child.ts", [dir, "300"]);
  expect(signal).toBe("SIGKILL");
  expect(out).toContain("committed");
  const d = fsDriver({ dir });
  await d.open!({ owner: "t", report: () => {} });
  const records = await d.list();
  expect(records.length).toBe(300);
  expect((await d.get("r299"))?.state).toEqual({ i: 299 });
  await d.close!();
});
