/**
 * The crash tests' child: uploads one file by path on the fs driver, and
 * prints its result. Run again over the same store, it resumes the task.
 *
 *   node --import tsx test/tus/_child.ts <store> <endpoint> <path> <chunkSize> <id>
 */

import { createEngine } from "../../src/mod.ts";
import { fsDriver } from "../../drivers/fs/mod.ts";
import { tusUpload, tusWork } from "../../src/tus/mod.ts";

const [store, endpoint, path, chunkSize, id] = process.argv.slice(2) as string[];
const engine = await createEngine({
  driver: fsDriver({ dir: store! }),
  work: { upload: tusWork() },
  retry: { maxAttempts: 5, initialDelayMs: 10, maxDelayMs: 100 },
});
const task = await engine.create(
  "upload",
  tusUpload(path!, { endpoint: endpoint!, chunkSize: Number(chunkSize) }),
  { id: id! },
);
const result = await task.result();
console.log(JSON.stringify(result));
await engine.close();
