import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { Driver, TaskStatus } from "../../src/mod.ts";
import type { TaskRecord } from "../../src/driver.ts";
import { fsDriver } from "../../drivers/fs/mod.ts";
import { removeDir, tempDir } from "./_subject.ts";

let parent: string;
beforeEach(async () => {
  parent = await tempDir();
});
afterEach(() => removeDir(parent));

const HOSTILE = [
  "../x",
  "../../etc/passwd",
  "/etc/x",
  "con",
  "CON.txt",
  "nul",
  "a".repeat(2000),
  "nul\u0000byte",
  "emoji 🧪✨",
  "..",
  ".",
  "a/b\\c",
  " ",
  "",
  "tab\there",
  "line\nbreak",
  '"quoted"',
  '["p","fake"]\t{}',
  "\ud800 lone surrogate",
];

async function open(dir: string): Promise<Driver> {
  const driver = fsDriver({ dir });
  await driver.open!({ owner: "t", report: () => {} });
  return driver;
}

function rec(id: string, status: TaskStatus): TaskRecord {
  return {
    id,
    work: "w",
    status,
    state: { id },
    step: 1,
    rev: 1,
    createdAt: 1,
    updatedAt: 1,
    ...(status === "done" ? { result: id } : {}),
  };
}

it("hostile ids stay inside dir and round-trip exactly, active and finished, across restarts", async () => {
  const dir = join(parent, "store");
  const d = await open(dir);
  const results = await d.commit(HOSTILE.flatMap((id, i) => [
    { type: "put" as const, record: rec(`active ${i}`, "running"), expectRev: 0 },
    { type: "put" as const, record: rec(id, i % 2 ? "done" : "paused"), expectRev: 0 },
  ]));
  expect(results.every((r) => r.ok)).toBe(true);
  await d.close!(); // moves the done ones to a finished segment
  expect(await readdir(parent)).toEqual(["store"]);
  for (const name of await readdir(dir)) expect(name).toMatch(/^(active\.log|done-\d{6}\.log)$/);
  const again = await open(dir);
  for (const [i, id] of HOSTILE.entries()) {
    const back = await again.get(id);
    expect(back?.id, `id #${i}`).toBe(id);
    expect(back?.state, `id #${i}`).toEqual({ id });
    if (i % 2) expect(back?.result, `id #${i}`).toBe(id);
  }
  expect((await again.list({ status: ["done", "paused"] })).map((r) => r.id).sort()).toEqual(
    [...HOSTILE].sort(),
  );
  expect(await again.commit(HOSTILE.map((id) => ({ type: "delete" as const, id, expectRev: 1 }))))
    .toEqual(HOSTILE.map(() => ({ ok: true })));
  await again.close!();
  const third = await open(dir);
  for (const id of HOSTILE) expect(await third.get(id)).toBeUndefined();
  expect((await third.list()).length).toBe(HOSTILE.length);
  await third.close!();
});
