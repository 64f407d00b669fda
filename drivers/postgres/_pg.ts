/**
 * The connection: the lazy import of `pg` (never at import time, so that
 * importing the driver costs nothing and a program that does not use it
 * needs no `pg`), the pool made from a URL or given by the user, and reads
 * that ride out a server restart.
 *
 * @module
 */

import { DriverError } from "../../src/driver.ts";
import { isConnectionLoss, isTransient, mapPgError, NAME } from "./_errors.ts";
import type { PgPool, PgQuery, PgResult } from "./_options.ts";

type PgModule = { Pool: new (config: Record<string, unknown>) => PgPool };

/**
 * Imports `pg` (`specifiers` in order: the bare name, then `npm:pg` on
 * Deno without a node_modules folder); a missing package says what to do.
 */
export async function loadPg(specifiers = ["pg", "npm:pg"]): Promise<PgModule> {
  let first: unknown;
  const deno = (globalThis as { Deno?: unknown }).Deno !== undefined;
  for (const specifier of deno ? specifiers : specifiers.slice(0, 1)) {
    try {
      const mod = await import(specifier);
      const pg = (mod.default ?? mod) as Partial<PgModule>;
      if (typeof pg.Pool === "function") return pg as PgModule;
    } catch (error) {
      first ??= error;
    }
  }
  throw new DriverError(
    NAME,
    "The postgres driver needs the pg package (node-postgres): run npm install pg " +
      "(on Deno: deno add npm:pg), or pass a pool you made as postgresDriver({ pool })",
    { code: "CLIENT_MISSING", cause: first },
  );
}

/** The `DATABASE_URL` environment variable, read at first use. */
export function environmentUrl(): string | undefined {
  const deno = (globalThis as { Deno?: { env?: { get(name: string): string | undefined } } })
    .Deno;
  if (deno?.env) {
    try {
      return deno.env.get("DATABASE_URL");
    } catch (error) {
      throw new DriverError(
        NAME,
        "The postgres driver was given no url, and may not read DATABASE_URL: run Deno with " +
          "--allow-env=DATABASE_URL, or pass postgresDriver({ url })",
        { code: "NO_SERVER", cause: error },
      );
    }
  }
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
    ?.DATABASE_URL;
}

/** Where a URL points, for messages: host, port and database, never the password. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || "localhost"}:${parsed.port || "5432"}${parsed.pathname || ""}`;
  } catch {
    return "the server of the given url";
  }
}

/** Waits `ms`, or less when `signal` aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** One pool, as the driver uses it. */
export class Database {
  /** Whether a statement ever went through: only then are outages waited out. */
  #reached = false;
  #closed = new AbortController();
  readonly #onIdleError = () => {
    // pg drops the broken idle connection and makes a new one when asked.
  };

  constructor(
    readonly pool: PgPool,
    private readonly own: boolean,
    /** The server, for messages. */
    readonly where: string,
    /** How long outages are waited out, in ms. */
    readonly reconnectForMs: number,
  ) {
    pool.on("error", this.#onIdleError);
  }

  /** Aborted when the driver closes: waits for the server end. */
  get closed(): AbortSignal {
    return this.#closed.signal;
  }

  /** Runs one statement, once. */
  async once(query: PgQuery): Promise<PgResult> {
    const result = await this.pool.query(query);
    this.#reached = true;
    return result;
  }

  /**
   * Runs `op` (a read, or a write that is safe to repeat), again while the
   * server is unreachable for up to `reconnectForMs` (once it was reached),
   * or while it rolls the statement back for a passing reason (a
   * deadlock). Errors are mapped to `DriverError`s naming `action`.
   */
  async retrying<T>(action: string, op: () => Promise<T>): Promise<T> {
    const started = Date.now();
    for (let delay = 50;; delay = Math.min(delay * 2, 1000)) {
      try {
        const result = await op();
        this.#reached = true;
        return result;
      } catch (error) {
        const outage = isConnectionLoss(error) && this.#reached;
        const late = Date.now() - started > this.reconnectForMs;
        if (this.#closed.signal.aborted || late || !(outage || isTransient(error))) {
          throw mapPgError(error, action, this.where);
        }
      }
      await pause(delay * (0.5 + Math.random()), this.#closed.signal);
    }
  }

  /** A statement run with {@linkcode retrying}. */
  read(action: string, query: PgQuery): Promise<PgResult> {
    return this.retrying(action, () => this.pool.query(query));
  }

  /** Stops waiting for the server; ends the pool when the driver made it. */
  async end(): Promise<void> {
    this.#closed.abort();
    this.pool.removeListener("error", this.#onIdleError);
    if (this.own) await this.pool.end();
  }
}

/** The pool for `url`, made with `pg`. */
export async function poolFor(url: string, size: number): Promise<PgPool> {
  const pg = await loadPg();
  return new pg.Pool({
    connectionString: url,
    max: size,
    keepAlive: true,
    connectionTimeoutMillis: 10_000,
    application_name: "stater",
  });
}
