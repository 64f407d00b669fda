/**
 * The postgres driver assembled: options, opening (the pool, the layout,
 * the listening session) and closing, and the driver members over
 * `_commit.ts`, `_lease.ts`, `_outbox.ts` and `_feed.ts`.
 *
 * @module
 */

import {
  checkStorable,
  type Driver,
  type DriverContext,
  DriverError,
  type ListQuery,
  type TaskRecord,
} from "../../src/driver.ts";
import { commitBatch, type CommitContext } from "./_commit.ts";
import { NAME } from "./_errors.ts";
import { Feed } from "./_feed.ts";
import { Leases } from "./_lease.ts";
import { resolveOptions } from "./_check.ts";
import { Outbox } from "./_outbox.ts";
import { Database, describeUrl, environmentUrl, poolFor } from "./_pg.ts";
import type { PostgresDriverOptions } from "./_options.ts";
import { keyOf, recordOf } from "./_record.ts";
import { Names, prepareStore } from "./_schema.ts";
import { Session } from "./_session.ts";

interface Open {
  db: Database;
  session: Session | undefined;
  leases: Leases;
  outbox: Outbox;
  feed: Feed;
  commit: CommitContext;
}

/** Builds the driver. */
export function createPostgresDriver(options: PostgresDriverOptions): Driver {
  const config = resolveOptions(options);
  const names = new Names(config.schema, config.table);
  let open: Open | undefined;

  function live(): Open {
    if (!open) {
      throw new DriverError(
        NAME,
        `The postgres driver for ${names.table} is not open: hand it to createEngine(), which ` +
          "opens it",
        { code: "NOT_OPEN" },
      );
    }
    return open;
  }

  async function connect(context: DriverContext): Promise<Open> {
    let url = config.url;
    if (!config.pool && url === undefined) url = environmentUrl();
    if (!config.pool && !url) {
      throw new DriverError(
        NAME,
        "The postgres driver needs a server: pass postgresDriver({ url }) or ({ pool }), or set " +
          "DATABASE_URL",
        { code: "NO_SERVER" },
      );
    }
    const pool = config.pool ?? await poolFor(url!, config.poolSize);
    const where = url ? describeUrl(url) : "the server of the given pool";
    const db = new Database(pool, !config.pool, where, config.reconnectForMs);
    let session: Session | undefined;
    try {
      await prepareStore(pool, names, where);
      const sessionKey = () => session?.key() ?? null;
      const outbox = new Outbox(context.owner, async (payloads) => {
        await db.read("tell other engines", {
          text: "SELECT count(pg_notify($1, p)) FROM unnest($2::text[]) AS p",
          values: [names.channel, payloads],
        }).catch(context.report);
      });
      const leases = new Leases(
        db,
        names,
        config.leaseMs,
        config.renewEveryMs,
        config.pollMs,
        sessionKey,
        (keys) => outbox.forRelease(keys),
        async () => {
          await session?.sync();
          await feed.idle();
        },
      );
      const feed = new Feed(
        db,
        names,
        context.owner,
        context.report,
        (keys) => leases.wake(keys),
        config.listen ? undefined : config.pollMs,
      );
      if (config.listen) {
        session = new Session(db, names, {
          hear: (payload) => feed.hear(payload),
          back: () => feed.rescan(),
          report: context.report,
        });
        await session.start();
      }
      const commit: CommitContext = {
        db,
        names,
        owner: context.owner,
        leaseMs: config.leaseMs,
        prepare: config.listen,
        fence: (key) => leases.fence(key),
        lost: (key) => leases.lost(key),
        extended: (key) => leases.extended(key),
        session: sessionKey,
        payloads: (stored, deleted) => outbox.forCommit(stored, deleted),
        restore: (payloads) => outbox.restore(payloads),
      };
      return { db, session, leases, outbox, feed, commit };
    } catch (error) {
      session?.stop();
      await db.end().catch(() => {});
      throw error;
    }
  }

  async function get(id: string): Promise<TaskRecord | undefined> {
    const { db } = live();
    const key = await keyOf(id);
    const { rows } = await db.read(`read task "${id}"`, {
      text: `SELECT body FROM ${names.table} WHERE id = $1`,
      values: [key],
      ...(config.listen ? { name: `stater_get_${names.setupKey.toString(36)}` } : {}),
    });
    if (rows.length === 0) return undefined;
    const record = recordOf(rows[0]!.body, names.table, key);
    if (record.id !== id) return undefined;
    open?.feed.saw(key, record);
    return record;
  }

  async function list(query: ListQuery = {}): Promise<TaskRecord[]> {
    const { db } = live();
    const where: string[] = [];
    const values: unknown[] = [];
    if (query.status) {
      values.push([...query.status]);
      where.push(`status = ANY($${values.length}::text[])`);
    }
    if (query.work !== undefined) {
      values.push(query.work);
      where.push(`work = $${values.length}`);
    }
    const { rows } = await db.read("list tasks", {
      text: `SELECT id, body FROM ${names.table}${
        where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""
      }`,
      values,
    });
    return rows.map((row) => recordOf(row.body, names.table, String(row.id)));
  }

  return {
    name: NAME,
    renewEveryMs: config.renewEveryMs,
    async open(context: DriverContext): Promise<void> {
      if (open) {
        throw new DriverError(
          NAME,
          `The postgres driver for ${names.table} is already open: give each engine its own ` +
            "postgresDriver()",
          { code: "ALREADY_OPEN" },
        );
      }
      open = await connect(context);
    },
    get,
    list,
    async commit(writes) {
      const { outbox, commit } = live();
      // Events sent by themselves and on their way land first.
      await outbox.landed();
      return commitBatch(commit, writes);
    },
    check(value: unknown, at: string): void {
      checkStorable(value, at);
    },
    acquire: (id, acquireOptions) => live().leases.acquire(id, acquireOptions),
    publish: (event) => open?.outbox.publish(event),
    subscribe: (listener) => live().feed.subscribe(listener),
    async close(): Promise<void> {
      const o = open;
      if (!o) return;
      open = undefined;
      o.feed.stop();
      o.leases.stop();
      try {
        await o.outbox.close();
      } finally {
        o.session?.stop();
        await o.db.end();
      }
    },
  };
}
