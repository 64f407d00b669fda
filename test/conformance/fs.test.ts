import { it } from "vitest";
import { fsSubject } from "../fs/_subject.ts";
import { testDriver } from "./suite.ts";

testDriver({ test: (name, fn) => it(name, fn) }, fsSubject);
