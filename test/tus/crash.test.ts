import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { TusUploadResult } from "../../src/tus/mod.ts";
import { nth, type Setup, setup, trace, untilServerHas } from "./_helpers.ts";
import { idOf, sha256 } from "./_server.ts";

const CHILD = fileURLToPath(new URL("./_child.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CHUNK = 32_768;
const SIZE = 300_000;

/** A run of the child over the test's store; `kill()` sends SIGKILL and waits for its end. */
function runChild(s: Setup, path: string) {
  const child: ChildProcess = spawn(process.execPath, [
    "--import",
    "tsx",
    CHILD,
    join(s.dir, "store"),
    s.endpoint,
    path,
    String(CHUNK),
    "upload-1",
  ], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (chunk) => (out += chunk));
  child.stderr!.on("data", (chunk) => (err += chunk));
  const ended = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal }))
  );
  return {
    async kill() {
      child.kill("SIGKILL");
      expect((await ended).signal).toBe("SIGKILL");
    },
    async result(): Promise<TusUploadResult> {
      const { code } = await ended;
      if (code !== 0) throw new Error(`the child exited with ${code}: ${err}`);
      return JSON.parse(out.trim().split("\n").pop()!);
    },
    ended,
  };
}

describe("uploads through a kill -9", () => {
  it("a child killed after the server took a chunk, before it committed it: the rerun asks (HEAD) and sends none of it again", async () => {
    const s = await setup();
    const { path, bytes } = await s.file("photo.raw", SIZE);
    const first = runChild(s, path);
    s.faults.inject(nth("PATCH", 3), {
      onAnswer: () => first.kill(),
    });
    await first.ended;
    const before = s.faults.requests.length;
    const result = await runChild(s, path).result();
    expect(trace(s.faults).slice(before, before + 2)).toEqual([
      "HEAD - 200",
      `PATCH ${3 * CHUNK} 204`,
    ]);
    expect(s.faults.received.get(idOf(result.url))).toBe(SIZE);
    expect(sha256(await s.server.bytes(result.url))).toBe(sha256(bytes));
  });

  it("a child killed in the middle of a chunk: the rerun goes on from the bytes the server kept", async () => {
    const s = await setup();
    const { path, bytes } = await s.file("video.raw", SIZE);
    const first = runChild(s, path);
    let url = "";
    const fourth = nth("PATCH", 4);
    s.faults.inject((r) => {
      if (r.method === "PATCH" && !url) url = `${s.endpoint}/${r.id}`;
      return fourth(r);
    }, {
      holdAfterBytes: 10_000,
      onHold: () => void untilServerHas(s.server, url, 3 * CHUNK + 10_000).then(() => first.kill()),
    });
    await first.ended;
    const before = s.faults.requests.length;
    const result = await runChild(s, path).result();
    expect(trace(s.faults).slice(before, before + 2)).toEqual([
      "HEAD - 200",
      `PATCH ${3 * CHUNK + 10_000} 204`,
    ]);
    expect(s.faults.received.get(idOf(result.url))).toBe(SIZE);
    expect(sha256(await s.server.bytes(result.url))).toBe(sha256(bytes));
  });

  it("a child killed when the server answered its POST: with uploads named by key, the rerun gets the same upload, and there is one", async () => {
    const s = await setup({ naming: "key" });
    const { path, bytes } = await s.file("doc.pdf", SIZE);
    const first = runChild(s, path);
    s.faults.inject({ method: "POST" }, { onAnswer: () => first.kill() });
    await first.ended;
    expect((await s.server.uploads()).length).toBe(1);
    const result = await runChild(s, path).result();
    // The first child died before it could commit the URL, so the second one sent the POST again.
    expect(s.faults.requests.slice(0, 3).map((r) => `${r.method} ${r.offset ?? "-"}`)).toEqual([
      "POST -",
      "POST -",
      "PATCH 0",
    ]);
    expect(await s.server.uploads()).toEqual([idOf(result.url)]);
    expect(idOf(result.url)).toBe(result.key);
    expect(s.faults.received.get(idOf(result.url))).toBe(SIZE);
    expect(sha256(await s.server.bytes(result.url))).toBe(sha256(bytes));
  });

  it("the same kill with a server that names uploads at random: one empty upload is left behind, no byte is sent twice", async () => {
    const s = await setup();
    const { path, bytes } = await s.file("doc.pdf", SIZE);
    const first = runChild(s, path);
    s.faults.inject({ method: "POST" }, { onAnswer: () => first.kill() });
    await first.ended;
    const [orphan] = await s.server.uploads();
    const result = await runChild(s, path).result();
    expect((await s.server.uploads()).sort()).toEqual([orphan, idOf(result.url)].sort());
    expect((await s.server.bytes(orphan!)).length).toBe(0);
    expect(s.faults.received.get(orphan!)).toBeUndefined();
    expect(s.faults.received.get(idOf(result.url))).toBe(SIZE);
    expect(sha256(await s.server.bytes(result.url))).toBe(sha256(bytes));
  });
});
