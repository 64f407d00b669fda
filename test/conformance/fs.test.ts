import { it } from "vitest";
import { fsSubject } from "../fs/_subject.ts";
import { testDriver } from "../../src/driver.ts";

testDriver({ test: (name, fn) => it(name, fn) }, fsSubject);
