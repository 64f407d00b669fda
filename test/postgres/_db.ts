/** Vitest helpers of the postgres tests: the run's cluster, a schema per test, drivers closed after it. */

import pg from "pg";
import { afterAll, afterEach, beforeEach, inject } from "vitest";
import type { Driver, DriverContext, TaskRecord } from "../../src/driver.ts";
import { postgresDriver, type PostgresDriverOptions } from "../../drivers/postgres/mod.ts";
import { dropSchema, freshSchema } from "./_subject.ts";

/** The run's cluster, as a superuser URL. */
export const url = (): string => inject("postgresUrl");

/** A context whose reports fail the test, unless it collects them. */
export function contextFor(owner: string, reports?: unknown[]): DriverContext {
  return {
    owner,
    report: (error) => {
      if (reports) reports.push(error);
      else throw error;
    },
  };
}

/** The database of the running test. */
export interface TestDatabase {
  /** A superuser pool on the cluster, for looking underneath the driver. */
  readonly admin: pg.Pool;
  /** This test's schema. */
  readonly schema: string;
  /** `"schema"."stater_tasks"`: the default table in this test's schema. */
  readonly table: string;
  /** A driver on this test's schema (not opened); closed after the test. */
  driver(options?: Omit<PostgresDriverOptions, "schema">): Driver;
  /** A driver opened for engine `owner`; closed after the test. */
  open(owner: string, options?: Omit<PostgresDriverOptions, "schema">): Promise<Driver>;
}

/** A fresh schema for each test of the file (call in the file's top level). */
export function useDatabase(): TestDatabase {
  const admin = new pg.Pool({ connectionString: url(), max: 4 });
  admin.on("error", () => {});
  let schema = "";
  const opened: Driver[] = [];
  beforeEach(() => {
    schema = freshSchema();
  });
  afterEach(async () => {
    for (const driver of opened.splice(0)) await driver.close?.();
    await dropSchema(admin, schema);
  });
  afterAll(() => admin.end());
  const db: TestDatabase = {
    admin,
    get schema() {
      return schema;
    },
    get table() {
      return `"${schema}"."stater_tasks"`;
    },
    driver(options = {}) {
      const driver = postgresDriver({ url: url(), pollMs: 50, ...options, schema });
      opened.push(driver);
      return driver;
    },
    async open(owner, options = {}) {
      const driver = db.driver(options);
      await driver.open!(contextFor(owner));
      return driver;
    },
  };
  return db;
}

/** A running task's record at revision `rev`, for tests that commit by hand. */
export function runningRecord(id: string, rev = 1): TaskRecord {
  return {
    id,
    work: "w",
    status: "running",
    state: { rev },
    step: rev - 1,
    rev,
    createdAt: 1,
    updatedAt: 1,
  };
}
