import { fsSubject } from "../fs/_subject.ts";
import { testDriver } from "../../src/driver.ts";

testDriver({
  test: (name, fn) => Deno.test({ name, fn, sanitizeOps: false, sanitizeResources: false }),
}, { ...fsSubject, name: "fs (Deno)" });
