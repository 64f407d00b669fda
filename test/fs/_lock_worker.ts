/**
 * For the lock tests: a worker thread that opens an fs driver on
 * `workerData.dir` and says whether it got the store. When it did, it
 * commits `workerData.rev` for task "a" and closes on the message "close".
 * Bundled with its own copy of the driver before it runs.
 */
import { parentPort, workerData } from "node:worker_threads";
import { fsDriver } from "../../drivers/fs/mod.ts";

const { dir, rev } = workerData as { dir: string; rev: number };
const port = parentPort!;
const driver = fsDriver({ dir });
try {
  await driver.open!({ owner: "worker", report: () => {} });
} catch (error) {
  const { code, message } = error as { code?: string; message?: string };
  port.postMessage({ opened: false, code, message });
  process.exit(0);
}
const record = {
  id: "a",
  work: "w",
  status: "running" as const,
  state: { by: "worker", rev },
  step: rev,
  rev,
  createdAt: 1,
  updatedAt: 1,
};
await driver.commit([{ type: "put", record, expectRev: 0 }]);
port.postMessage({ opened: true });
port.once("message", async () => {
  await driver.close!();
  port.postMessage({ closed: true });
});
