/**
 * A process that takes the lease of one task and holds it until it is
 * killed: `node --import tsx _holder.ts <url> <schema> <task id> <listen>`.
 * Prints "held" once it holds it.
 */

import process from "node:process";
import { postgresDriver } from "../../drivers/postgres/mod.ts";

const [url, schema, id, listen] = process.argv.slice(2);
const driver = postgresDriver({ url: url!, schema: schema!, listen: listen === "true" });
await driver.open!({ owner: `holder-${process.pid}`, report: () => {} });
const lease = await driver.acquire!(id!, {
  owner: `holder-${process.pid}`,
  wait: false,
  signal: new AbortController().signal,
});
console.log(lease ? "held" : "not held");
setInterval(() => {}, 1000);
