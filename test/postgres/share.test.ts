/**
 * Four workers, two on Node and two on Deno, share one Postgres store: each
 * runs about a quarter of the tasks once all are up; then workers are killed
 * with SIGKILL at random and restarted, and every task still ends exactly,
 * every step ran, and no task ever stepped in two workers at once.
 */
import { join } from "node:path";
import { it } from "vitest";
import { postgresDriver } from "../../drivers/postgres/mod.ts";
import { removeDir, tempDir } from "../fs/_subject.ts";
import { doneResults, shareTest } from "../share/_share.ts";
import { url, useDatabase } from "./_db.ts";

const db = useDatabase();

it(
  "four workers (two Node, two Deno) on one Postgres store share the tasks and survive kills",
  async () => {
    const dir = await tempDir("stater-share-pg-");
    try {
      await shareTest({
        driver: "postgres",
        store: `${url()}#${db.schema}`,
        log: join(dir, "steps.log"),
        tasks: 40,
        steps: 500,
        stepMs: 100,
      }, () => doneResults(postgresDriver({ url: url(), schema: db.schema })));
    } finally {
      await removeDir(dir);
    }
  },
  240_000,
);
