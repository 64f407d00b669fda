import { describe, expect, it } from "vitest";
import { tusUpload } from "../../src/tus/mod.ts";
import { nth, openEngine, pauseAtPatch, setup, trace, untilServerHas, upload } from "./_helpers.ts";
import { idOf, sha256 } from "./_server.ts";

const CHUNK = 16_384;
const SIZE = 100_000;

async function headStatus(endpoint: string, url: string): Promise<number> {
  const response = await fetch(`${endpoint}/${idOf(url)}`, {
    method: "HEAD",
    headers: { "Tus-Resumable": "1.0.0" },
  });
  return response.status;
}

describe("pausing, canceling and removing uploads", () => {
  it("pause({ immediate }) aborts the chunk in flight; resume() goes on from what the server kept, no byte lost or sent twice", async () => {
    const s = await setup();
    const { path, bytes } = await s.file("pause.bin", SIZE);
    const engine = await openEngine(s.dir);
    const task = await upload(engine, s.endpoint, path, CHUNK);
    const paused = new Promise<void>((resolve, reject) => {
      s.faults.inject(nth("PATCH", 3), {
        holdAfterBytes: 6000,
        // Paused once the server has written the bytes of the chunk that got through.
        onHold: () =>
          void untilServerHas(s.server, task.state.url!, 2 * CHUNK + 6000)
            .then(() => task.pause({ immediate: true }))
            .then(resolve, reject),
      });
    });
    await paused;
    expect(task.status).toBe("paused");
    expect(task.state.offset).toBe(2 * CHUNK);
    await task.resume();
    const result = await task.result();
    expect(trace(s.faults).slice(3, 6)).toEqual([
      `PATCH ${2 * CHUNK} broken`,
      "HEAD - 200",
      `PATCH ${2 * CHUNK + 6000} 204`,
    ]);
    expect(s.faults.received.get(idOf(result.url))).toBe(SIZE);
    expect(sha256(await s.server.bytes(result.url))).toBe(sha256(bytes));
  });

  it("a plain pause lets the chunk finish; resume() sends the next one without asking again", async () => {
    const s = await setup();
    const { path, bytes } = await s.file("plain.bin", SIZE);
    const engine = await openEngine(s.dir);
    const task = await upload(engine, s.endpoint, path, CHUNK);
    await pauseAtPatch(s.faults, 2, () => task);
    expect(task.state.offset).toBe(2 * CHUNK);
    await task.resume();
    const result = await task.result();
    expect(trace(s.faults).filter((line) => line.startsWith("HEAD"))).toEqual([]);
    expect(sha256(await s.server.bytes(result.url))).toBe(sha256(bytes));
  });

  it("cancel() sends the tus DELETE, and the upload is gone from the server", async () => {
    const s = await setup();
    const { path } = await s.file("cancel.bin", SIZE);
    const engine = await openEngine(s.dir);
    const task = await upload(engine, s.endpoint, path, CHUNK);
    const canceled = new Promise<void>((resolve, reject) => {
      s.faults.inject(nth("PATCH", 2), {
        holdAfterBytes: 1000,
        onHold: () => void task.cancel().then(resolve, reject),
      });
    });
    await canceled;
    const url = task.state.url!;
    expect(task.status).toBe("canceled");
    expect(trace(s.faults).at(-1)).toBe("DELETE - 204");
    expect(await headStatus(s.server.endpoint, url)).toBe(404);
    expect(await s.server.uploads()).toEqual([]);
  });

  it("remove() of a paused upload deletes it on the server; remove() of a finished one does not", async () => {
    const s = await setup();
    const { path } = await s.file("remove.bin", SIZE);
    const engine = await openEngine(s.dir);
    const paused = await upload(engine, s.endpoint, path, CHUNK);
    await pauseAtPatch(s.faults, 1, () => paused);
    const url = paused.state.url!;
    await paused.remove();
    expect(await headStatus(s.server.endpoint, url)).toBe(404);

    const done = await engine.create("upload", tusUpload(path, { endpoint: s.endpoint }));
    const result = await done.result();
    await done.remove();
    expect(await headStatus(s.server.endpoint, result.url)).toBe(200);
    expect(trace(s.faults).filter((line) => line.startsWith("DELETE"))).toEqual(["DELETE - 204"]);
  });

  it("cancel() of a task that never reached the server sends nothing", async () => {
    const s = await setup();
    const { path } = await s.file("never.bin", SIZE);
    const engine = await openEngine(s.dir);
    const task = await engine.create("upload", tusUpload(path, { endpoint: s.endpoint }), {
      start: false,
    });
    await task.cancel();
    expect(task.status).toBe("canceled");
    expect(s.faults.requests).toEqual([]);
  });
});
