/**
 * For the relaxed-durability test: commits `count` records one by one with
 * `durability: "relaxed"`, says so, and kills itself with SIGKILL at once.
 *
 *   node --import tsx test/fs/_relaxed_child.ts <dir> <count>
 */
import process from "node:process";
import { fsDriver } from "../../drivers/fs/mod.ts";

const [dir, count] = process.argv.slice(2);
const driver = fsDriver({ dir: dir!, durability: "relaxed" });
await driver.open!({ owner: "child", report: () => {} });
for (let i = 0; i < Number(count); i++) {
  await driver.commit([{
    type: "put",
    expectRev: 0,
    record: {
      id: `r${i}`,
      work: "w",
      status: "running",
      state: { i },
      step: 0,
      rev: 1,
      createdAt: 1,
      updatedAt: 1,
    },
  }]);
}
process.stdout.write("committed\n", () => process.kill(process.pid, "SIGKILL"));
