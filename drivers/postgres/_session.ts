/**
 * The driver's listening connection: one connection of the pool, held
 * while the driver is open, that `LISTEN`s on the store's channel and holds
 * a session-level advisory lock whose key the driver writes into the
 * leases it takes. When this process dies, or its connection is cut, the
 * server ends the session and frees the lock, and other engines take its
 * tasks over at once instead of waiting for the leases to expire.
 *
 * When the connection breaks, the session reconnects in the background (it
 * asks for the same lock key again, so that its leases look alive once
 * more), then asks the feed to rescan, since notifications sent meanwhile
 * were lost.
 *
 * @module
 */

import { DriverError, serial } from "../../src/driver.ts";
import { mapPgError, NAME } from "./_errors.ts";
import type { PgClient, PgNotification } from "./_options.ts";
import { type Database, pause } from "./_pg.ts";
import { LOCK_SPACE, type Names, quote } from "./_schema.ts";

/** What the session tells the driver. */
export interface SessionHooks {
  /** A notification on the store's channel. */
  hear(payload: string): void;
  /** The connection came back: notifications may have been missed. */
  back(): void;
  /** Trouble to report. */
  report(error: unknown): void;
}

function randomKey(): number {
  return 1 + Math.floor(Math.random() * 0x7ffffffe);
}

/** The listening connection of one driver. */
export class Session {
  #client: PgClient | undefined;
  #key: number = randomKey();
  #held = false;
  #stopped = false;
  #reconnecting = false;
  readonly #oneAtATime = serial();

  constructor(
    private readonly db: Database,
    private readonly names: Names,
    private readonly hooks: SessionHooks,
  ) {}

  /** The advisory lock key while the session holds it; null while it is down. */
  key(): number | null {
    return this.#held ? this.#key : null;
  }

  /** Connects the first time; throws a mapped error when the server cannot be reached. */
  async start(): Promise<void> {
    try {
      await this.#connect();
    } catch (error) {
      throw mapPgError(error, `listen on ${this.names.table}`, this.db.where);
    }
  }

  async #connect(): Promise<void> {
    const client = await this.db.pool.connect();
    const onNotification = (message: PgNotification) => {
      if (message.channel === this.names.channel && message.payload) {
        this.hooks.hear(message.payload);
      }
    };
    const onBroken = (error?: unknown) => {
      client.removeListener("notification", onNotification);
      if (this.#client !== client) return;
      this.#client = undefined;
      this.#held = false;
      client.release(true);
      if (this.#stopped) return;
      this.hooks.report(
        new DriverError(
          NAME,
          `The postgres driver's listening connection to ${this.db.where} broke (${
            error instanceof Error ? error.message : "closed"
          }); it reconnects, and meanwhile tasks are told of other engines' changes late`,
          { code: "CONNECTION_LOST", cause: error },
        ),
      );
      void this.#reconnect();
    };
    client.on("error", onBroken);
    client.on("end", onBroken);
    client.on("notification", onNotification);
    try {
      await client.query(`LISTEN ${quote(this.names.channel)}`);
      for (let tries = 0;; tries++) {
        const { rows } = await client.query({
          text: "SELECT pg_try_advisory_lock($1, $2) AS ok",
          values: [LOCK_SPACE, this.#key],
        });
        if (rows[0]?.ok === true) break;
        // Another session holds this key: take another (our old leases then just expire).
        if (tries > 20) throw new Error("no free advisory lock key");
        this.#key = randomKey();
      }
    } catch (error) {
      client.removeListener("notification", onNotification);
      client.release(true);
      throw error;
    }
    if (this.#stopped) {
      client.release(true);
      return;
    }
    this.#client = client;
    this.#held = true;
  }

  async #reconnect(): Promise<void> {
    if (this.#reconnecting) return;
    this.#reconnecting = true;
    try {
      for (let delay = 100; !this.#stopped; delay = Math.min(delay * 2, 2000)) {
        await pause(delay, this.db.closed);
        if (this.#stopped) return;
        try {
          await this.#connect();
          if (!this.#stopped) this.hooks.back();
          return;
        } catch {
          // Not back yet: try again.
        }
      }
    } finally {
      this.#reconnecting = false;
    }
  }

  /**
   * Resolves once every notification the server sent before now has been
   * heard: the server delivers them to a listening session before it
   * answers the session's next query.
   */
  sync(): Promise<void> {
    // One query at a time on this connection: each caller's goes after the one before.
    return this.#oneAtATime(async () => {
      await this.#client?.query("SELECT 1").catch(() => {});
    });
  }

  /** Closes the connection: the lock goes with it. */
  stop(): void {
    this.#stopped = true;
    const client = this.#client;
    this.#client = undefined;
    this.#held = false;
    client?.release(true);
  }
}
