/**
 * For the compaction-failure test: commits task "a" and a finished task per
 * commit; a fault strikes once at `point` of the journal's compaction, then
 * the disk is full for every later new journal (ENOSPC). Prints each
 * acknowledged commit at once, and 20 commits after the fault kills itself
 * with SIGKILL.
 *
 *   node --import tsx test/fs/_compaction_child.ts <dir> <point>
 */
import { writeSync } from "node:fs";
import process from "node:process";
import { createFsDriver } from "../../drivers/fs/_driver.ts";
import type { ReplacePoint } from "../../drivers/fs/_faults.ts";

const [dir, point] = process.argv.slice(2) as [string, ReplacePoint];
let struck = -1;
const driver = createFsDriver({ dir }, {
  compactMinBytes: 3000,
  atReplace(at, file) {
    if (!file.endsWith("active.log")) return;
    if (struck < 0 && at === point) {
      struck = i;
      throw Object.assign(new Error("EIO: injected"), { code: "EIO" });
    }
    if (struck >= 0 && at === "before-write") {
      throw Object.assign(new Error("ENOSPC: injected"), { code: "ENOSPC" });
    }
  },
});
await driver.open!({ owner: "child", report: () => {} });
let rev = 0;
let i = 0;
for (; struck < 0 || i < struck + 20; i++) {
  const record = (id: string, status: "running" | "done", r: number) => ({
    id,
    work: "w",
    status,
    state: { r, pad: "x".repeat(100) },
    step: r,
    rev: r,
    createdAt: 1,
    updatedAt: 1,
  });
  try {
    await driver.commit([
      { type: "put", record: record("a", "running", rev + 1), expectRev: rev },
      { type: "put", record: record(`d${i}`, "done", 1), expectRev: 0 },
    ]);
    rev++;
    writeSync(1, `acked ${rev} d${i}\n`);
  } catch (error) {
    writeSync(1, `refused ${i} ${(error as { code?: string }).code}\n`);
  }
}
writeSync(1, `struck at ${struck}\n`);
process.kill(process.pid, "SIGKILL");
