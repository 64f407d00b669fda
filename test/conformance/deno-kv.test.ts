import { it } from "vitest";
import { denoKvSubject } from "../deno-kv/_subject.ts";
import { testDriver } from "../../src/driver.ts";

testDriver({ test: (name, fn) => it(name, fn) }, denoKvSubject("deno-kv (Node, @deno/kv)"));
