import { utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createEngine, StateNotStorableError } from "../../src/mod.ts";
import { memoryDriver } from "../../drivers/memory/mod.ts";
import { addUploads, tusUpload, type TusUploadState, tusWork } from "../../src/tus/mod.ts";
import { failure, later, nth, openEngine, pauseAtPatch, setup, trace, upload } from "./_helpers.ts";

const CHUNK = 16_384;

describe("bad input to stater/tus", () => {
  it("tusUpload refuses a chunk size of 0, a negative or fractional one, with a RangeError", () => {
    for (const chunkSize of [0, -1, 1.5, Number.NaN]) {
      expect(() => tusUpload("/a", { endpoint: "http://127.0.0.1/files", chunkSize }))
        .toThrow(RangeError);
    }
    expect(() => tusUpload("/a", { endpoint: "http://127.0.0.1/files", chunkSize: 0 }))
      .toThrow("tusUpload's chunkSize must be a whole number of bytes > 0, got 0");
  });

  it("tusUpload refuses a source that is not a Blob or a path, a missing endpoint, reserved metadata", () => {
    const endpoint = "http://127.0.0.1/files";
    expect(() => tusUpload(42 as unknown as string, { endpoint })).toThrow(
      "tusUpload(source) needs a Blob, a File or a file path, got number",
    );
    expect(() => tusUpload("/a", {} as { endpoint: string })).toThrow(/needs the tus endpoint/);
    expect(() => tusUpload("/a", { endpoint: "not a url" })).toThrow(TypeError);
    expect(() => tusUpload("/a", { endpoint, metadata: { key: "x" } })).toThrow(
      /"key" is not allowed/,
    );
    expect(() => tusUpload("/a", { endpoint, metadata: { "a b": "x" } })).toThrow(/without spaces/);
    expect(() => tusUpload("/a", { endpoint, key: "no" })).toThrow(/key must be 8 to 128/);
  });

  it("a state without a file fails its task at once with TUS_BAD_STATE, sending nothing", async () => {
    const s = await setup();
    const engine = await openEngine(s.dir);
    const state = { ...tusUpload("/x", { endpoint: s.endpoint }) };
    delete state.source;
    const task = await engine.create("upload", state);
    const error = await failure(task.result());
    expect(error.code).toBe("TUS_BAD_STATE");
    expect(error.message).toMatch(/its state has no file .* tusUpload\(file, \{ endpoint \}\)/);
    expect(s.faults.requests).toEqual([]);
  });

  it("a state with a chunk size of 0 fails its task at once", async () => {
    const s = await setup();
    const { path } = await s.file("a.bin", 1000);
    const engine = await openEngine(s.dir);
    const state: TusUploadState = { ...tusUpload(path, { endpoint: s.endpoint }), chunkSize: 0 };
    const error = await failure((await engine.create("upload", state)).result());
    expect(error.code).toBe("TUS_BAD_STATE");
    expect(error.message).toMatch(/state\.chunkSize is 0/);
  });

  it("a state that is not an object fails at once", async () => {
    const s = await setup();
    const engine = await openEngine(s.dir);
    const task = await engine.create("upload", "photo.jpg" as unknown as TusUploadState);
    expect((await failure(task.result())).code).toBe("TUS_BAD_STATE");
  });

  it("a path that is not there fails at once with TUS_SOURCE_MISSING", async () => {
    const s = await setup();
    const engine = await openEngine(s.dir);
    const task = await engine.create(
      "upload",
      tusUpload(join(s.dir, "gone.bin"), { endpoint: s.endpoint }),
    );
    const error = await failure(task.result());
    expect(error.code).toBe("TUS_SOURCE_MISSING");
    expect(error.message).toMatch(/"gone\.bin" cannot read .*gone\.bin/);
    expect(s.faults.requests).toEqual([]);
  });

  it("a file changed in the middle of its upload fails with TUS_SOURCE_CHANGED", async () => {
    const s = await setup();
    const { path } = await s.file("grows.log", 100_000);
    const engine = await openEngine(s.dir);
    const task = await upload(engine, s.endpoint, path, CHUNK);
    await pauseAtPatch(s.faults, 2, () => task);
    await writeFile(path, new Uint8Array(100_001));
    await task.resume();
    const error = await failure(task.result());
    expect(error.code).toBe("TUS_SOURCE_CHANGED");
    expect(error.message).toMatch(/size went from 100000 to 100001 bytes/);
  });

  it("a file touched (same size) between two runs is refused too", async () => {
    const s = await setup();
    const { path } = await s.file("touched.bin", 100_000);
    const first = await openEngine(s.dir);
    const task = await first.create(
      "upload",
      tusUpload(path, { endpoint: s.endpoint, chunkSize: CHUNK }),
      {
        id: "t",
      },
    );
    await pauseAtPatch(s.faults, 2, () => task);
    await first.close();
    await utimes(path, new Date(), new Date(Date.now() + 5000));
    const second = await openEngine(s.dir);
    await (await second.get("t"))!.resume();
    const error = await failure((await second.get("t"))!.result());
    expect(error.code).toBe("TUS_SOURCE_CHANGED");
  });

  it("a server that claims more bytes than the file has fails the task with TUS_PROTOCOL_ERROR", async () => {
    const s = await setup();
    const { path } = await s.file("lie.bin", 50_000);
    const engine = await openEngine(s.dir);
    s.faults.inject(nth("PATCH", 2), { answer: 500 });
    s.faults.inject({ method: "HEAD" }, {
      rewrite: (headers) => void (headers["upload-offset"] = "60000"),
    });
    const task = await upload(engine, s.endpoint, path, CHUNK);
    const error = await failure(task.result());
    expect(error.code).toBe("TUS_PROTOCOL_ERROR");
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(
      /"lie\.bin" stopped: .*HEAD .* claims an offset of 60000 bytes in a file of 50000/,
    );
  });

  it("a server whose PATCH answer counts bytes that were never sent fails the task", async () => {
    const s = await setup();
    const { path } = await s.file("lie2.bin", 50_000);
    const engine = await openEngine(s.dir);
    s.faults.inject({ method: "PATCH" }, {
      rewrite: (headers) => void (headers["upload-offset"] = String(2 * CHUNK)),
    });
    const task = await upload(engine, s.endpoint, path, CHUNK);
    const error = await failure(task.result());
    expect(error.code).toBe("TUS_PROTOCOL_ERROR");
    expect(error.message).toMatch(/holds 32768 bytes, but 16384 bytes were sent from offset 0/);
    expect(trace(s.faults)).toEqual(["POST - 201", "PATCH 0 204"]);
  });

  it("a HEAD that names another file's length fails the task", async () => {
    const s = await setup();
    const { path } = await s.file("other.bin", 50_000);
    const engine = await openEngine(s.dir);
    s.faults.inject(nth("PATCH", 2), { answer: 500 });
    s.faults.inject({ method: "HEAD" }, {
      rewrite: (headers) => void (headers["upload-length"] = "7"),
    });
    const task = await upload(engine, s.endpoint, path, CHUNK);
    expect((await failure(task.result())).message).toMatch(
      /is 7 bytes long, but the file has 50000/,
    );
  });

  it("a Blob on a driver that cannot store it is refused before anything is stored, saying to pass a path", async () => {
    const engine = await createEngine({ driver: memoryDriver(), work: { upload: tusWork() } });
    later(() => engine.close());
    const file = new File(["hello"], "hello.txt");
    const refused = await addUploads(engine, [file], { endpoint: "http://127.0.0.1:1/files" })
      .catch((e) => e);
    expect(refused).toBeInstanceOf(StateNotStorableError);
    expect(refused.message).toMatch(/cannot store a Blob or File .* pass the file's path/);
    expect(await engine.list()).toEqual([]);
    await expect(engine.create("upload", tusUpload(file, { endpoint: "http://127.0.0.1:1/files" })))
      .rejects.toThrow(StateNotStorableError);
  });
});

describe("addUploads with paths", () => {
  it("gives a file the same task when it is added again, and one task when it is listed twice", async () => {
    const s = await setup();
    const { path } = await s.file("same.bin", 30_000);
    const engine = await openEngine(s.dir);
    const [a, b] = await addUploads(engine, [path, join(s.dir, ".", "same.bin")], {
      endpoint: s.endpoint,
      chunkSize: CHUNK,
    });
    expect(a).toBe(b);
    await a!.result();
    const [again] = await addUploads(engine, [path], { endpoint: s.endpoint });
    expect(again!.id).toBe(a!.id);
    expect(again!.status).toBe("done");
    expect(trace(s.faults).filter((line) => line.startsWith("POST"))).toHaveLength(1);
    expect(a!.id).toMatch(/^upload:30000:\d+:\/.*same\.bin$/);
    expect(a!.state.size).toBe(30_000);
  });

  it("gives a changed file a new task", async () => {
    const s = await setup();
    const { path } = await s.file("edited.txt", 10);
    const engine = await openEngine(s.dir);
    const [first] = await addUploads(engine, [path], { endpoint: s.endpoint, start: false });
    await writeFile(path, "now eleven!");
    const [second] = await addUploads(engine, [path], { endpoint: s.endpoint, start: false });
    expect(second!.id).not.toBe(first!.id);
  });
});
