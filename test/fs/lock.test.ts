import { type ChildProcess, spawn } from "node:child_process";
import { readFile, stat, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createEngine, StoreLockedError } from "../../src/mod.ts";
import { fsDriver } from "../../drivers/fs/mod.ts";
import { removeDir, tempDir } from "./_subject.ts";

let dir: string;
let child: ChildProcess | undefined;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  child?.kill("SIGKILL");
  child = undefined;
  await removeDir(dir);
});

const lockPath = () => join(dir, "stater.lock");
const work = { noop: (_: null, ctx: { done(r: null): never }) => ctx.done(null) } as never;

async function bootId(): Promise<string> {
  return (await readFile("/proc/sys/kernel/random/boot_id", "utf8")).trim();
}

async function startOf(pid: number): Promise<string> {
  const text = await readFile(`/proc/${pid}/stat`, "utf8");
  return text.slice(text.lastIndexOf(")") + 2).split(" ")[19]!;
}

function sleeper(): Promise<ChildProcess> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
    p.on("spawn", () => resolve(p));
  });
}

async function deadPid(): Promise<number> {
  const p = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => p.on("exit", resolve));
  return p.pid!;
}

async function writeLock(holder: Record<string, unknown>): Promise<void> {
  await writeFile(
    lockPath(),
    JSON.stringify({ host: hostname(), since: 1_700_000_000_000, owner: "other", ...holder }),
  );
}

describe("the store lock", () => {
  it("names its holder while open and is removed on close", async () => {
    const engine = await createEngine({ driver: fsDriver({ dir }), work, owner: "me" });
    const holder = JSON.parse(await readFile(lockPath(), "utf8"));
    expect(holder).toMatchObject({ pid: process.pid, host: hostname(), owner: "me" });
    expect(typeof holder.since).toBe("number");
    await engine.close();
    await expect(stat(lockPath())).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("refuses a second engine with StoreLockedError saying who holds it", async () => {
    const engine = await createEngine({ driver: fsDriver({ dir }), work, owner: "first" });
    const error = await createEngine({ driver: fsDriver({ dir }), work }).catch((e) => e);
    expect(error).toBeInstanceOf(StoreLockedError);
    expect(error.holder).toMatchObject({ pid: process.pid, host: hostname(), owner: "first" });
    expect(error.message).toContain(
      `process ${process.pid} on host "${hostname()}" (owner "first")`,
    );
    expect(error.message).toMatch(/close that engine first/);
    await engine.close();
  });

  it("replaces at once a holder whose process is gone", async () => {
    await writeLock({ pid: await deadPid(), boot: await bootId() });
    const t0 = Date.now();
    const engine = await createEngine({ driver: fsDriver({ dir }), work, owner: "heir" });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(JSON.parse(await readFile(lockPath(), "utf8")).owner).toBe("heir");
    await engine.close();
  });

  it("refuses a live holder on this host, and replaces it once its process id belongs to another process", async () => {
    child = await sleeper();
    const pid = child.pid!;
    await writeLock({ pid, boot: await bootId(), start: await startOf(pid) });
    const error = await createEngine({ driver: fsDriver({ dir }), work }).catch((e) => e);
    expect(error).toBeInstanceOf(StoreLockedError);
    expect(error.holder.pid).toBe(pid);
    await writeLock({ pid, boot: await bootId(), start: "1" });
    const engine = await createEngine({ driver: fsDriver({ dir }), work, owner: "heir" });
    expect(JSON.parse(await readFile(lockPath(), "utf8")).owner).toBe("heir");
    await engine.close();
  });

  it("replaces a holder from before the machine restarted", async () => {
    child = await sleeper();
    await writeLock({ pid: child.pid, boot: "another-boot" });
    const engine = await createEngine({ driver: fsDriver({ dir }), work });
    await engine.close();
  });

  it("never replaces a holder on another host, and says how to clear it", async () => {
    await writeLock({ pid: await deadPid(), host: "elsewhere.example" });
    const error = await createEngine({ driver: fsDriver({ dir }), work }).catch((e) => e);
    expect(error).toBeInstanceOf(StoreLockedError);
    expect(error.message).toContain('host "elsewhere.example"');
    expect(error.message).toContain(`delete ${lockPath()}`);
  });

  it("leaves a lock file that is being written alone, and replaces one left empty long ago", async () => {
    await writeFile(lockPath(), "");
    await expect(createEngine({ driver: fsDriver({ dir }), work })).rejects.toBeInstanceOf(
      StoreLockedError,
    );
    const { utimes } = await import("node:fs/promises");
    await utimes(lockPath(), new Date(0), new Date(0));
    const engine = await createEngine({ driver: fsDriver({ dir }), work });
    await engine.close();
  });

  it("a driver opened again after close takes the lock again", async () => {
    const driver = fsDriver({ dir });
    for (let i = 0; i < 3; i++) {
      const engine = await createEngine({ driver, work });
      await engine.close();
    }
    await expect(stat(lockPath())).rejects.toMatchObject({ code: "ENOENT" });
  });
});
