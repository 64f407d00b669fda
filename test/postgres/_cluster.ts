/**
 * A throwaway Postgres cluster for the tests and benchmarks: `initdb` in a
 * temporary folder, served on 127.0.0.1 at a free port with `fsync` and
 * `synchronous_commit` on, run as the `postgres` user when this process is
 * root (Postgres refuses to run as root), stopped and removed afterwards.
 * Works on Node and on Deno (`--allow-run --allow-read --allow-write
 * --allow-env --allow-net`). A machine without Postgres gets an error that
 * says what to install; nothing is skipped.
 *
 * Local connections are trusted, except for the role `stater_pw`, which
 * must log in with a SCRAM password: the tests of a wrong password use it.
 *
 * @module
 */

import { execFile, spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { appendFile, chmod, chown, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

/** The role that must log in with a password (`PASSWORD_ROLE_SECRET`). */
export const PASSWORD_ROLE = "stater_pw";
/** The password of {@linkcode PASSWORD_ROLE}. */
export const PASSWORD_ROLE_SECRET = "right-password";

/** The command that installs Postgres on Debian, shown when it is missing. */
export const INSTALL_HINT = "apt-get install -y postgresql (Debian), or set PG_BIN to the folder " +
  "holding initdb and pg_ctl";

/** A running throwaway cluster. */
export interface Cluster {
  /** A superuser URL, such as `postgres://postgres@127.0.0.1:5433/postgres`. */
  readonly url: string;
  /** The port it listens on, on 127.0.0.1. */
  readonly port: number;
  /** The server's log file. */
  readonly log: string;
  /** `pg_ctl restart -m fast`: every session is cut, the server comes back on the same port. */
  restart(): Promise<void>;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

/** The folder holding `initdb` and `pg_ctl`. */
export function postgresBin(): string {
  const given = process.env.PG_BIN;
  if (given) {
    if (existsSync(join(given, "pg_ctl"))) return given;
    throw new Error(`PG_BIN=${given} holds no pg_ctl: point it at Postgres's bin folder`);
  }
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "pg_ctl")))
      .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length > 0) return join(root, versions[0]!, "bin");
  for (const dir of (process.env.PATH ?? "").split(":")) {
    if (dir && existsSync(join(dir, "pg_ctl")) && existsSync(join(dir, "initdb"))) return dir;
  }
  throw new Error(`The Postgres tests need a Postgres server to start: ${INSTALL_HINT}`);
}

function run(command: string, args: string[]): Promise<string> {
  const [file, argv] = isRoot()
    ? ["runuser", ["-u", "postgres", "--", command, ...args]]
    : [command, args];
  return new Promise((resolve, reject) => {
    execFile(file, argv, { encoding: "utf8" }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`${command} ${args.join(" ")} failed: ${stderr || stdout || error}`));
      } else resolve(stdout);
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(address)
      );
    });
  });
}

/**
 * Stops the cluster should this process die without stopping it (a crash,
 * a kill): a detached shell waits for this process to end, then stops the
 * server at `data` and removes `dir` (nothing is left when they are gone).
 */
function watchdog(pg_ctl: string, data: string, dir: string): void {
  const stop = isRoot()
    ? `runuser -u postgres -- ${pg_ctl} -D ${data} -m immediate stop`
    : `${pg_ctl} -D ${data} -m immediate stop`;
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; ` +
    `[ -d ${data} ] && ${stop} >/dev/null 2>&1; rm -rf ${dir}`;
  const child = spawn("sh", ["-c", script], { detached: true, stdio: "ignore" });
  child.unref();
}

/** Starts a cluster; `settings` go to postgresql.conf. */
export async function startCluster(settings: Record<string, string> = {}): Promise<Cluster> {
  const bin = postgresBin();
  const dir = await mkdtemp(join(tmpdir(), "stater-pg-"));
  const data = join(dir, "data");
  const log = join(dir, "server.log");
  if (isRoot()) {
    const ids = (await readFile("/etc/passwd", "utf8")).split("\n")
      .find((line) => line.startsWith("postgres:"))?.split(":");
    if (!ids) throw new Error(`No postgres user on this machine: ${INSTALL_HINT}`);
    await chown(dir, Number(ids[2]), Number(ids[3]));
  }
  await chmod(dir, 0o700);
  const pg_ctl = join(bin, "pg_ctl");
  try {
    await run(join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync"]);
    // Our line first: pg_hba.conf is read top to bottom, and initdb trusts the rest.
    const hba = await readFile(join(data, "pg_hba.conf"), "utf8");
    await writeFile(
      join(data, "pg_hba.conf"),
      `host all ${PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256\n${hba}`,
    );
    let port = 0;
    for (let attempt = 1;; attempt++) {
      port = await freePort();
      const conf = {
        listen_addresses: "'127.0.0.1'",
        port: String(port),
        unix_socket_directories: `'${dir}'`,
        fsync: "on",
        synchronous_commit: "on",
        max_connections: "200",
        ...settings,
      };
      await appendFile(
        join(data, "postgresql.conf"),
        `\n${Object.entries(conf).map(([k, v]) => `${k} = ${v}`).join("\n")}\n`,
      );
      try {
        await run(pg_ctl, ["-D", data, "-l", log, "-w", "-t", "60", "start"]);
        break;
      } catch (error) {
        // Another program took the port between our look and the server's bind.
        if (attempt >= 5) throw error;
      }
    }
    watchdog(pg_ctl, data, dir);
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    return {
      url,
      port,
      log,
      restart: async () => {
        await run(pg_ctl, ["-D", data, "-l", log, "-w", "-t", "60", "-m", "fast", "restart"]);
      },
      stop: async () => {
        try {
          await run(pg_ctl, ["-D", data, "-w", "-t", "60", "-m", "fast", "stop"]);
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    await run(pg_ctl, ["-D", data, "-m", "immediate", "stop"]).catch(() => {});
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
