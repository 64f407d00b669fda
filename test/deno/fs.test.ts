import { fsSubject } from "../fs/_subject.ts";
import { testDriver } from "../conformance/suite.ts";

testDriver({
  test: (name, fn) => Deno.test({ name, fn, sanitizeOps: false, sanitizeResources: false }),
}, { ...fsSubject, name: "fs (Deno)" });
