/**
 * The options of `postgresDriver`, checked when the driver is made (not at
 * first use), with their defaults filled in. Wrong types are `TypeError`s,
 * wrong values `RangeError`s, each saying what to pass.
 *
 * @module
 */

import type { PgPool, PostgresDriverOptions } from "./_options.ts";

/** The options with defaults filled in. */
export interface ResolvedOptions {
  url?: string;
  pool?: PgPool;
  schema: string;
  table: string;
  listen: boolean;
  leaseMs: number;
  renewEveryMs: number;
  pollMs: number;
  reconnectForMs: number;
  poolSize: number;
}

/** The longest name Postgres keeps, in bytes. */
const MAX_NAME_BYTES = 63;

function duration(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(`postgresDriver() ${name} must be a number of ms, got ${typeof value}`);
  }
  if (!(value > 0) || value === Infinity) {
    throw new RangeError(`postgresDriver() ${name} must be a positive number of ms, got ${value}`);
  }
  return value;
}

function identifier(name: string, value: unknown, fallback: string, room: number): string {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || value === "") {
    throw new TypeError(`postgresDriver() ${name} must be a non-empty string, got ${typeof value}`);
  }
  if (new TextEncoder().encode(value).length > MAX_NAME_BYTES - room || value.includes("\0")) {
    throw new RangeError(
      `postgresDriver() ${name} ${JSON.stringify(value)} is too long: Postgres keeps ` +
        `${MAX_NAME_BYTES} bytes of a name${room ? `, and the driver adds up to ${room}` : ""}`,
    );
  }
  return value;
}

/** Checks `options` and fills in the defaults. */
export function resolveOptions(options: PostgresDriverOptions): ResolvedOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      'postgresDriver() needs an options object, such as { url: "postgres://localhost/app" }',
    );
  }
  const { url } = options;
  if (options.sql !== undefined && options.pool !== undefined) {
    throw new TypeError("postgresDriver() takes sql or pool (the same thing), not both");
  }
  const pool = options.pool ?? options.sql;
  if (url !== undefined && (typeof url !== "string" || url === "")) {
    throw new TypeError(
      'postgresDriver() url must be a connection URL string, such as "postgres://user@host/db"',
    );
  }
  if (
    pool !== undefined &&
    (typeof pool !== "object" || pool === null || typeof pool.query !== "function" ||
      typeof pool.connect !== "function")
  ) {
    throw new TypeError(
      "postgresDriver() pool (or sql) must be a pg.Pool, such as new pg.Pool({ connectionString })",
    );
  }
  if (url !== undefined && pool !== undefined) {
    throw new TypeError("postgresDriver() takes url or pool (sql), not both");
  }
  if (options.listen !== undefined && typeof options.listen !== "boolean") {
    throw new TypeError(`postgresDriver() listen must be a boolean, got ${typeof options.listen}`);
  }
  const leaseMs = duration("leaseMs", options.leaseMs, 30_000);
  const renewEveryMs = duration(
    "renewEveryMs",
    options.renewEveryMs,
    Math.min(10_000, Math.floor(leaseMs / 3)),
  );
  if (renewEveryMs >= leaseMs) {
    throw new RangeError(
      `postgresDriver() renewEveryMs (${renewEveryMs}) must be less than leaseMs (${leaseMs})`,
    );
  }
  const poolSize = options.poolSize ?? 10;
  if (typeof poolSize !== "number" || !Number.isInteger(poolSize) || poolSize < 2) {
    throw new RangeError(
      "postgresDriver() poolSize must be a whole number of at least 2 (one connection listens)",
    );
  }
  return {
    url,
    pool,
    schema: identifier("schema", options.schema, "public", 0),
    table: identifier("table", options.table, "stater_tasks", "_leases".length),
    listen: options.listen ?? true,
    leaseMs,
    renewEveryMs,
    pollMs: duration("pollMs", options.pollMs, 250),
    reconnectForMs: duration("reconnectForMs", options.reconnectForMs, 30_000),
    poolSize,
  };
}
