/**
 * The Deno side of the postgres cross-runtime tests, run as
 * `deno run --allow-all _interop.deno.ts <mode> <url> <schema> <id>`.
 * It prints one line of JSON on stdout.
 */

import { createEngine } from "../../src/mod.ts";
import { encode, type TaskRecord } from "../../src/driver.ts";
import { postgresDriver } from "../../drivers/postgres/mod.ts";
import { count, richState } from "../deno-kv/_fixture.ts";

const [mode, url, schema, id] = Deno.args;
const print = (value: unknown) => console.log(JSON.stringify(value));

if (mode === "write") {
  const driver = postgresDriver({ url, schema });
  await driver.open!({ owner: "deno", report: (e) => console.error(e) });
  const record: TaskRecord = {
    id: id!,
    work: "w",
    status: "paused",
    state: richState(),
    step: 3,
    rev: 1,
    createdAt: 1,
    updatedAt: 2,
  };
  print(await driver.commit([{ type: "put", record, expectRev: 0 }]));
  await driver.close!();
} else if (mode === "read") {
  const driver = postgresDriver({ url, schema });
  await driver.open!({ owner: "deno", report: (e) => console.error(e) });
  const record = await driver.get(id!);
  print({ text: record ? encode(record, "record") : null });
  await driver.close!();
} else if (mode === "finish") {
  const engine = await createEngine({ driver: postgresDriver({ url, schema }), work: { count } });
  const task = await engine.get(id!);
  print({ result: await task?.result(), step: task?.step });
  await engine.close();
}
