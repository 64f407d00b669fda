import { spawn } from "node:child_process";
import { expect, it } from "vitest";
import { goneReason, thisProcess } from "../drivers/_process.ts";

it("this process names its id and host, and on Linux its boot id and start time", async () => {
  const me = await thisProcess();
  expect(me).toMatchObject({ pid: process.pid });
  expect(me!.host).not.toBe("");
  expect(me!.boot).toMatch(/^[0-9a-f-]{36}$/);
  expect(me!.start).toMatch(/^\d+$/);
});

it("a holder is gone when its process exited or its id belongs to another process; else it may be alive", async () => {
  const me = (await thisProcess())!;
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 10)"]);
  const pid = child.pid!;
  await new Promise((resolve) => child.on("exit", resolve));
  expect(await goneReason({ pid, host: me.host }, me)).toBe(`process ${pid} is gone`);
  expect(await goneReason({ pid: 1, host: me.host, start: "0" }, me)).toBe(
    "process 1 is gone (its id now belongs to another process)",
  );
  expect(await goneReason({ pid: me.pid, host: me.host, start: "0" }, me)).toBe(
    `process ${me.pid} is gone (its id was reused)`,
  );
  expect(await goneReason({ pid: 1, host: me.host, boot: "another-boot" }, me)).toBe(
    "this machine restarted since process 1 took it",
  );
  // Alive, or not provably dead: this process, a live one, another host, a holder that named no process.
  expect(await goneReason({ pid: me.pid, host: me.host, start: me.start }, me)).toBeUndefined();
  expect(await goneReason({ pid: 1, host: me.host }, me)).toBeUndefined();
  expect(await goneReason({ pid, host: `not-${me.host}` }, me)).toBeUndefined();
  expect(await goneReason({}, me)).toBeUndefined();
});

it("a process that exited but was not reaped yet (a zombie) counts as gone", async () => {
  const me = (await thisProcess())!;
  // The shell starts a short child, then becomes a `sleep` that never reaps it.
  const parent = spawn("sh", ["-c", "sleep 0 & echo $!; exec sleep 5"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  try {
    const pid = Number(
      await new Promise<string>((resolve) =>
        parent.stdout.once("data", (chunk) => resolve(String(chunk)))
      ),
    );
    let reason: string | undefined;
    for (let i = 0; i < 100 && !reason; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      reason = await goneReason({ pid, host: me.host }, me);
    }
    expect(reason).toBe(`process ${pid} is gone (it exited, its parent has not reaped it yet)`);
  } finally {
    parent.kill("SIGKILL");
  }
});
