import { describe, expect, it } from "vitest";
import { tusUpload, type UploadTask } from "../../src/tus/mod.ts";
import {
  failure,
  nth,
  openEngine,
  patchDirectly,
  pauseAtPatch,
  setup,
  trace,
  untilServerHas,
  upload,
} from "./_helpers.ts";
import { idOf, sha256 } from "./_server.ts";

const CHUNK = 16_384;
const SIZE = 100_000;

describe("tusWork and the server's answers", () => {
  it("409: asks the server for its offset (HEAD) and goes on from there", async () => {
    const s = await setup();
    const { path, bytes } = await s.file("conflict.bin", SIZE);
    const engine = await openEngine(s.dir);
    const task = await upload(engine, s.endpoint, path, CHUNK, { id: "u" });
    await pauseAtPatch(s.faults, 2, () => task);
    const url = task.state.url!;
    // Another client sends the next chunk meanwhile: this task's offset is now behind the server's.
    expect(await patchDirectly(s.server, url, bytes, 2 * CHUNK, CHUNK)).toBe(204);
    await task.resume();
    const result = await task.result();
    expect(trace(s.faults).slice(3, 6)).toEqual([
      `PATCH ${2 * CHUNK} 409`,
      "HEAD - 200",
      `PATCH ${3 * CHUNK} 204`,
    ]);
    expect(s.faults.requests[3]!.faulted).toBe(false); // the real server's 409
    expect(sha256(await s.server.bytes(result.url))).toBe(sha256(bytes));
  });

  it("423: waits and asks again, without using up the engine's retries", async () => {
    const s = await setup();
    const { path, bytes } = await s.file("locked.bin", SIZE);
    const engine = await openEngine(s.dir, { retry: { maxAttempts: 1 } });
    s.faults.inject({ method: "PATCH" }, { answer: 423 }, 2);
    const task = await upload(engine, s.endpoint, path, CHUNK);
    const result = await task.result();
    expect(trace(s.faults).slice(0, 4)).toEqual([
      "POST - 201",
      "PATCH 0 423",
      "PATCH 0 423",
      "PATCH 0 204",
    ]);
    expect(sha256(await s.server.bytes(result.url))).toBe(sha256(bytes));
  });

  it("404: an upload deleted on the server is created again, under the same key", async () => {
    const s = await setup({ naming: "key" });
    const { path, bytes } = await s.file("deleted.bin", SIZE);
    const engine = await openEngine(s.dir);
    const state = tusUpload(path, { endpoint: s.endpoint, chunkSize: CHUNK });
    const task = await engine.create("upload", state, { id: "u" });
    await pauseAtPatch(s.faults, 2, () => task);
    const url = task.state.url!;
    expect(idOf(url)).toBe(state.key);
    const deleted = await fetch(`${s.server.endpoint}/${idOf(url)}`, {
      method: "DELETE",
      headers: { "Tus-Resumable": "1.0.0" },
    });
    expect(deleted.status).toBe(204);
    await task.resume();
    const result = await task.result();
    expect(trace(s.faults).slice(3, 6)).toEqual([
      `PATCH ${2 * CHUNK} 404`,
      "POST - 201",
      "PATCH 0 204",
    ]);
    expect(result.url).toBe(url);
    expect(await s.server.uploads()).toEqual([state.key]);
    expect(sha256(await s.server.bytes(result.url))).toBe(sha256(bytes));
  });

  it("410: an expired upload is created again and finishes", async () => {
    const s = await setup({ expirationMs: 1500 });
    const { path, bytes } = await s.file("expired.bin", SIZE);
    const engine = await openEngine(s.dir);
    const task = await upload(engine, s.endpoint, path, CHUNK);
    await pauseAtPatch(s.faults, 2, () => task);
    const first = task.state.url!;
    await new Promise((resolve) => setTimeout(resolve, 1700));
    await task.resume();
    const result = await task.result();
    expect(trace(s.faults).slice(3, 5)).toEqual([`PATCH ${2 * CHUNK} 410`, "POST - 201"]);
    expect(result.url).not.toBe(first);
    expect(sha256(await s.server.bytes(result.url))).toBe(sha256(bytes));
  });

  it("413 from the real server: the task fails at once with a TusError naming the file and the answer", async () => {
    const s = await setup({ maxSize: 50_000 });
    const { path } = await s.file("too-big.bin", SIZE);
    const engine = await openEngine(s.dir, { retry: { maxAttempts: 5, initialDelayMs: 1 } });
    const task = await engine.create("upload", tusUpload(path, { endpoint: s.endpoint }));
    const error = await failure(task.result());
    expect(error.code).toBe("TUS_REFUSED");
    expect(error.status).toBe(413);
    expect(error.retryable).toBe(false);
    expect(error.file).toBe("too-big.bin");
    expect(error.message).toMatch(/"too-big\.bin".*POST .* 413.*Maximum size exceeded/);
    expect(trace(s.faults)).toEqual(["POST - 413"]);
    expect(task.status).toBe("failed");
  });

  it("a 403 to a PATCH fails the task at once, and its state keeps the URL and offset", async () => {
    const s = await setup();
    const { path } = await s.file("forbidden.bin", SIZE);
    const engine = await openEngine(s.dir);
    s.faults.inject(nth("PATCH", 3), {
      answer: 403,
      body: "No more",
    });
    const task = await upload(engine, s.endpoint, path, CHUNK);
    const error = await failure(task.result());
    expect(error.status).toBe(403);
    expect(error.message).toMatch(
      /"forbidden\.bin" failed: the server answered PATCH .* 403.*"No more"/,
    );
    expect(trace(s.faults).filter((line) => line.startsWith("PATCH"))).toHaveLength(3);
    expect(task.state.offset).toBe(2 * CHUNK);
    expect(task.state.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/files\//);
  });

  it("5xx: the engine retries the step, which asks for the offset first", async () => {
    const s = await setup();
    const { path, bytes } = await s.file("flaky.bin", SIZE);
    const engine = await openEngine(s.dir);
    s.faults.inject(nth("PATCH", 2), { answer: 503 });
    const task = await upload(engine, s.endpoint, path, CHUNK);
    const result = await task.result();
    expect(trace(s.faults).slice(2, 5)).toEqual([
      `PATCH ${CHUNK} 503`,
      "HEAD - 200",
      `PATCH ${CHUNK} 204`,
    ]);
    expect(sha256(await s.server.bytes(result.url))).toBe(sha256(bytes));
  });

  it("5xx that lasts: the task fails after the engine's attempts, with a retryable TusError", async () => {
    const s = await setup();
    const { path } = await s.file("down.bin", SIZE);
    const engine = await openEngine(s.dir, { retry: { maxAttempts: 3, initialDelayMs: 1 } });
    s.faults.inject({ method: "POST" }, { answer: 502 }, 10);
    const task = await engine.create("upload", tusUpload(path, { endpoint: s.endpoint }));
    const error = await failure(task.result());
    expect(error.code).toBe("TUS_SERVER_ERROR");
    expect(error.retryable).toBe(true);
    expect(trace(s.faults)).toEqual(["POST - 502", "POST - 502", "POST - 502"]);
  });

  it("a connection dropped in the middle of a chunk: the retry goes on from the bytes the server kept, none sent twice", async () => {
    const s = await setup();
    const { path, bytes } = await s.file("dropped.bin", SIZE);
    const engine = await openEngine(s.dir);
    const box: { task?: UploadTask } = {};
    s.faults.inject(nth("PATCH", 2), {
      dropAfterBytes: 5000,
      beforeDrop: () => untilServerHas(s.server, box.task!.state.url!, CHUNK + 5000),
    });
    const task = box.task = await upload(engine, s.endpoint, path, CHUNK);
    const result = await task.result();
    expect(trace(s.faults).slice(2, 5)).toEqual([
      `PATCH ${CHUNK} broken`,
      "HEAD - 200",
      `PATCH ${CHUNK + 5000} 204`,
    ]);
    expect(s.faults.received.get(idOf(result.url))).toBe(SIZE);
    expect(sha256(await s.server.bytes(result.url))).toBe(sha256(bytes));
  });

  it("an answer lost on the way back (the server has the chunk): the retry does not send it again", async () => {
    const s = await setup();
    const { path, bytes } = await s.file("lost.bin", SIZE);
    const engine = await openEngine(s.dir);
    s.faults.inject(nth("PATCH", 3), { dropAnswer: true });
    const task = await upload(engine, s.endpoint, path, CHUNK);
    const result = await task.result();
    expect(trace(s.faults).slice(3, 6)).toEqual([
      `PATCH ${2 * CHUNK} broken`,
      "HEAD - 200",
      `PATCH ${3 * CHUNK} 204`,
    ]);
    expect(s.faults.received.get(idOf(result.url))).toBe(SIZE);
    expect(sha256(await s.server.bytes(result.url))).toBe(sha256(bytes));
  });
});
