import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  addUploads,
  type TusUploadState,
  uploadId,
  type UploadTask,
} from "../../../src/tus/mod.ts";
import { databases, eventually } from "../../browser/_util.ts";
import {
  control,
  deleteKeptFile,
  endpoint,
  idOf,
  keptFile,
  openEngine,
  randomFile,
  sha256,
} from "./_page.ts";

const { name, dropAll } = databases("tus");
beforeEach(() => control("/reset"));
afterEach(() => dropAll());

const KiB = 1024;

describe("stater/tus in Chromium on the IndexedDB driver", () => {
  it("uploads Files kept in IndexedDB, byte for byte, and the finished records keep no Blob", async () => {
    const db = name();
    const engine = await openEngine(db);
    const files = [
      randomFile("a.bin", 300 * KiB),
      randomFile("b.txt", 70 * KiB, "text/plain"),
      randomFile("empty", 0),
    ];
    const progress = new Map<string, number>();
    engine.on("progress", (e) => progress.set(e.task.id, e.done));
    const tasks = await addUploads(engine, files, { endpoint, chunkSize: 64 * KiB });
    const results = await Promise.all(tasks.map((task) => task.result()));
    const server = await control("/state");
    for (const [i, file] of files.entries()) {
      const result = results[i]!;
      expect(result).toMatchObject({ name: file.name, size: file.size, type: file.type });
      const stored = server.uploads.find((upload) => upload.id === idOf(result.url));
      expect(stored, file.name).toEqual({
        id: result.key,
        size: file.size,
        sha256: await sha256(file),
      });
      expect(server.received[stored!.id] ?? 0, file.name).toBe(file.size);
      expect(progress.get(tasks[i]!.id)).toBe(file.size);
    }
    const done = await engine.list({ status: "done" });
    expect(done).toHaveLength(3);
    for (const info of done) {
      const { source, key } = info.state as TusUploadState;
      expect(source).toEqual({ keptIn: "stater-files", key });
      expect(await keptFile(key)).toBeUndefined();
    }
    await engine.close();
  });

  it("keeps a File apart from the task's record while it uploads, so the commits do not copy it", async () => {
    const db = name();
    const engine = await openEngine(db);
    const file = randomFile("kept.bin", 256 * KiB);
    const [task] = await addUploads(engine, [file], { endpoint, chunkSize: 32 * KiB });
    await eventually(() => task!.state.offset >= 2 * 32 * KiB, 20_000, "two chunks");
    const [info] = await engine.list();
    const { source, key } = info!.state as TusUploadState;
    expect(source).toEqual({ keptIn: "stater-files", key });
    expect(await sha256((await keptFile(key))!)).toBe(await sha256(file));
    await task!.result();
    expect(await keptFile(key)).toBeUndefined();
    await engine.close();
  });

  it("with keepFiles: false the File stays in the state, and the finished record drops it", async () => {
    const db = name();
    const engine = await openEngine(db, { work: { keepFiles: false } });
    const file = randomFile("in-state.bin", 100 * KiB);
    const [task] = await addUploads(engine, [file], {
      endpoint,
      chunkSize: 32 * KiB,
      keepFiles: false,
    });
    await eventually(() => task!.state.offset >= 32 * KiB, 20_000, "a chunk");
    expect((await engine.list())[0]!.state).toMatchObject({ source: expect.any(File) });
    const result = await task!.result();
    expect((await engine.list())[0]!.state).not.toHaveProperty("source");
    const server = await control("/state");
    expect(server.uploads.find((u) => u.id === idOf(result.url))?.sha256).toBe(await sha256(file));
    await engine.close();
  });

  it("a new engine over the same database, opened while uploads are in flight, finishes them without sending a byte twice", async () => {
    const db = name();
    const files = Array.from({ length: 4 }, (_, i) => randomFile(`photo-${i}.jpg`, 512 * KiB));
    const first = await openEngine(db, { concurrency: 2 });
    const tasks = await addUploads(first, files, { endpoint, chunkSize: 32 * KiB });
    await eventually(
      () => tasks.filter((task) => task.state.offset >= 4 * 32 * KiB).length >= 2,
      20_000,
      "two uploads to get under way",
    );
    // Closing at once aborts the chunks in flight, as a reload would.
    await first.close({ timeoutMs: 0 });
    const second = await openEngine(db, { concurrency: 2 });
    const resumed = await Promise.all(
      tasks.map((task) => second.get(task.id) as Promise<UploadTask | undefined>),
    );
    const results = await Promise.all(resumed.map((task) => task!.result()));
    const server = await control("/state");
    for (const [i, file] of files.entries()) {
      const id = idOf(results[i]!.url);
      expect(server.uploads.find((upload) => upload.id === id)?.sha256).toBe(await sha256(file));
      // At most the chunk in flight is sent again, when the server dropped what it got of it.
      expect(server.received[id], file.name).toBeGreaterThanOrEqual(file.size);
      expect(server.received[id], file.name).toBeLessThanOrEqual(file.size + 32 * KiB);
    }
    // The new engine asked for the offsets of the uploads under way; no PATCH missed the server's.
    const heads = server.requests.filter((request) => request.method === "HEAD");
    expect(heads.length).toBeGreaterThanOrEqual(2);
    expect(server.requests.filter((request) => request.status === 409)).toEqual([]);
    await second.close();
  });

  it("a File whose kept copy is gone fails its task; adding it again keeps it again and the upload runs", async () => {
    const db = name();
    const engine = await openEngine(db);
    const file = randomFile("lost.bin", 50 * KiB);
    const [task] = await addUploads(engine, [file], { endpoint, start: false });
    await deleteKeptFile(task!.state.key);
    await task!.start();
    const error = await task!.result().catch((e) => e.cause);
    expect(error).toMatchObject({ code: "TUS_SOURCE_MISSING" });
    expect(error.message).toMatch(/the file kept for it in IndexedDB \("stater-files"\) is gone/);
    const [again] = await addUploads(engine, [file], { endpoint });
    expect(again).toBe(task);
    const result = await task!.result();
    const server = await control("/state");
    expect(server.uploads.find((u) => u.id === idOf(result.url))?.sha256).toBe(await sha256(file));
    await engine.close();
  });

  it("adding the same Files again returns their tasks: nothing is uploaded twice", async () => {
    const db = name();
    const engine = await openEngine(db);
    const files = [randomFile("same.bin", 20 * KiB), randomFile("other.bin", 10 * KiB)];
    const first = await addUploads(engine, files, { endpoint });
    await Promise.all(first.map((task) => task.result()));
    const copies = files.map((file) =>
      new File([file], file.name, { lastModified: file.lastModified })
    );
    const again = await addUploads(engine, [...copies, copies[0]!], { endpoint });
    expect(again.map((task) => task.id)).toEqual([...first, first[0]!].map((task) => task.id));
    expect(again[0]!.id).toBe(uploadId(files[0]!));
    const server = await control("/state");
    expect(server.requests.filter((request) => request.method === "POST")).toHaveLength(2);
    await engine.close();
  });

  it("cancel() of an upload in flight sends DELETE, and the server lets go of it", async () => {
    const db = name();
    const engine = await openEngine(db);
    const [task] = await addUploads(engine, [randomFile("cancel.bin", 1024 * KiB)], {
      endpoint,
      chunkSize: 16 * KiB,
    });
    await eventually(() => task!.state.offset >= 2 * 16 * KiB, 20_000, "the upload to start");
    await task!.cancel();
    const server = await control("/state");
    expect(server.requests.at(-1)).toMatchObject({ method: "DELETE", status: 204 });
    expect(await keptFile(task!.state.key)).toBeUndefined();
    expect(server.uploads.map((upload) => upload.id)).not.toContain(idOf(task!.state.url!));
    await engine.close();
  });

  it("two hundred Files on one page: each becomes a task, all of them finish", async () => {
    const db = name();
    const engine = await openEngine(db, { concurrency: 6 });
    const files = Array.from({ length: 200 }, (_, i) => randomFile(`f${i}.bin`, 2 * KiB + i));
    const started = performance.now();
    const tasks = await addUploads(engine, files, { endpoint });
    const created = performance.now() - started;
    await Promise.all(tasks.map((task) => task.result()));
    expect(new Set(tasks.map((task) => task.id)).size).toBe(200);
    expect(created).toBeLessThan(20_000);
    const server = await control("/state");
    expect(Object.keys(server.received)).toHaveLength(200);
    await engine.close();
  });
});
