import { inject, it } from "vitest";
import { postgresSubject } from "../postgres/_subject.ts";
import { testDriver } from "../../src/driver.ts";

testDriver(
  { test: (name, fn) => it(name, fn) },
  postgresSubject("postgres (Node, pg)", () => inject("postgresUrl")),
);
testDriver(
  { test: (name, fn) => it(name, fn) },
  postgresSubject("postgres without LISTEN (Node, pg)", () => inject("postgresUrl"), {
    listen: false,
  }),
);
