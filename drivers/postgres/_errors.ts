/**
 * What went wrong with Postgres, as a typed `DriverError` with a `code` and
 * advice: the socket errors of the client (`ECONNREFUSED`, …) and the
 * server's SQLSTATE codes (`28P01`, `42501`, …). Also which failures are a
 * lost connection, after which the outcome of a statement in flight is
 * unknown and must be read back, never guessed.
 *
 * @module
 */

import { DriverError, errorCode, StaterError } from "../../src/driver.ts";

export const NAME = "postgres";

/** Client-side codes that mean the connection could not be made or was cut. */
const SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNABORTED",
]);

/** SQLSTATEs of a server that is going away or not there yet (the session ends). */
const SERVER_GONE = new Set(["57P01", "57P02", "57P03", "57P05"]);

/** What `pg` says when a connection is gone. */
const CONNECTION_LOST = new RegExp(
  [
    "Connection terminated",
    "connection error and is not queryable",
    "not queryable",
    "timeout exceeded when trying to connect",
    "Client was closed",
    "server closed the connection",
  ].join("|"),
  "i",
);

/** Whether the client's connection failed or broke, rather than the server refusing a statement. */
export function isConnectionLoss(error: unknown): boolean {
  const code = errorCode(error) ?? "";
  if (SOCKET_CODES.has(code) || SERVER_GONE.has(code) || code.startsWith("08")) return true;
  const message = error instanceof Error ? error.message : "";
  return CONNECTION_LOST.test(message);
}

/** Whether the server rolled the statement back for a reason that trying again mends. */
export function isTransient(error: unknown): boolean {
  const code = errorCode(error);
  return code === "40P01" || code === "40001" || code === "55P03";
}

interface Advice {
  code: string;
  advice: string;
}

function adviceFor(error: unknown, where: string): Advice {
  const code = errorCode(error) ?? "";
  const message = error instanceof Error ? error.message : String(error);
  if (code === "ECONNREFUSED") {
    return {
      code: "CONNECTION_REFUSED",
      advice: `nothing accepts connections at ${where}: check the host and port of the url, ` +
        "and that the server runs",
    };
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return {
      code: "HOST_NOT_FOUND",
      advice: `the host of ${where} is not known: check the host name in the url`,
    };
  }
  if (code === "28P01" || code === "28000") {
    return {
      code: "AUTHENTICATION_FAILED",
      advice: `the server refused the login (${message}): check the user and password in the ` +
        "url (or PGUSER and PGPASSWORD), and the server's pg_hba.conf",
    };
  }
  if (code === "3D000") {
    return {
      code: "DATABASE_NOT_FOUND",
      advice: `${message}: create it, or name an existing database in the url`,
    };
  }
  if (code === "42501") {
    return {
      code: "PERMISSION_DENIED",
      advice: `${message}: grant this role the rights the driver needs (USAGE and CREATE on the ` +
        "schema to set it up; SELECT, INSERT, UPDATE, DELETE on the table to use it), or let " +
        "a role that has them open the store once",
    };
  }
  if (code === "42P01" || code === "42703" || code === "42804" || code === "42P10") {
    return {
      code: "TABLE_CHANGED",
      advice: `${message}: the table was dropped or altered outside stater. Restore it from a ` +
        "backup, or point the driver at a new table (a fresh store)",
    };
  }
  if (isConnectionLoss(error)) {
    return {
      code: "CONNECTION_LOST",
      advice: `the connection to ${where} broke (${message}); check that the server runs and is ` +
        "reachable",
    };
  }
  if (code === "53300") {
    return {
      code: "TOO_MANY_CONNECTIONS",
      advice: `${message}: lower poolSize, or raise the server's max_connections`,
    };
  }
  return { code: code ? `SQLSTATE_${code}` : "DRIVER_ERROR", advice: message };
}

/**
 * `error` as a stater error: stater errors pass through, others become a
 * `DriverError` whose message says what failed (`action`, such as `"read
 * task \"a\""`), where (`where`: the server), and what to do.
 */
export function mapPgError(error: unknown, action: string, where: string): StaterError {
  if (error instanceof StaterError) return error;
  const { code, advice } = adviceFor(error, where);
  return new DriverError(NAME, `The postgres driver could not ${action}: ${advice}`, {
    code,
    cause: error,
  });
}

/** The error for a commit whose connection broke and could not be read back in time. */
export function outcomeUnknown(error: unknown, where: string, ms: number): DriverError {
  return new DriverError(
    NAME,
    `The postgres driver lost its connection to ${where} while committing, and could not reach ` +
      `it again within ${ms} ms to learn whether the commit landed. Nothing is assumed: the ` +
      "engine reads the task again before it goes on; check that the server runs",
    { code: "OUTCOME_UNKNOWN", cause: error },
  );
}
