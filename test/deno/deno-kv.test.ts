import { denoKvSubject } from "../deno-kv/_subject.ts";
import { testDriver } from "../../src/driver.ts";

testDriver({
  test: (name, fn) => Deno.test({ name, fn, sanitizeOps: false, sanitizeResources: false }),
}, denoKvSubject("deno-kv (Deno)"));
