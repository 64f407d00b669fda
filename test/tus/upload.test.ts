import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createEngine } from "../../src/mod.ts";
import { denoKvDriver } from "../../drivers/deno-kv/mod.ts";
import { DEFAULT_CHUNK_SIZE, tusUpload, tusWork } from "../../src/tus/mod.ts";
import { later, openEngine, setup, trace, upload } from "./_helpers.ts";
import { idOf, sha256 } from "./_server.ts";

const CHUNK = 16_384;

describe("tusWork on the fs driver", () => {
  it("uploads a file by path: POST, then one PATCH per chunk, and the server holds the same bytes", async () => {
    const s = await setup();
    const { path, bytes } = await s.file("photo.jpg", 100_000);
    const engine = await openEngine(s.dir);
    const state = tusUpload(path, {
      endpoint: s.endpoint,
      chunkSize: CHUNK,
      type: "image/jpeg",
      metadata: { album: "Été 2024" },
    });
    const task = await engine.create("upload", state, { id: "photo" });
    const result = await task.result();
    expect(trace(s.faults)).toEqual([
      "POST - 201",
      ...Array.from({ length: 7 }, (_, i) => `PATCH ${i * CHUNK} 204`),
    ]);
    expect(result).toEqual({
      url: task.state.url,
      name: "photo.jpg",
      type: "image/jpeg",
      size: 100_000,
      key: state.key,
      path,
    });
    expect(sha256(await s.server.bytes(result.url))).toBe(sha256(bytes));
    expect(s.faults.received.get(idOf(result.url))).toBe(100_000);
    const info = await s.server.info(result.url);
    expect(info.size).toBe(100_000);
    expect(info.metadata).toEqual({
      filename: "photo.jpg",
      filetype: "image/jpeg",
      key: state.key,
      album: "Été 2024",
    });
  });

  it("commits the upload URL before the first PATCH and the offset after every chunk", async () => {
    const s = await setup();
    const { path } = await s.file("a.bin", 50_000);
    const engine = await openEngine(s.dir);
    const task = await upload(engine, s.endpoint, path, CHUNK);
    // What the task had committed when each PATCH reached the server (task.state moves on commits).
    const committed: { sent: number | undefined; url: string | undefined; offset: number }[] = [];
    s.faults.inject((r) => {
      if (r.method === "PATCH") {
        committed.push({ sent: r.offset, url: task.state.url, offset: task.state.offset });
      }
      return false;
    }, {});
    const result = await task.result();
    expect(committed).toEqual([0, CHUNK, 2 * CHUNK, 3 * CHUNK].map((offset) => ({
      sent: offset,
      url: result.url,
      offset,
    })));
  });

  it("reports progress in bytes, and the finished record keeps no file bytes", async () => {
    const s = await setup();
    const { path } = await s.file("b.bin", 40_000);
    const engine = await openEngine(s.dir);
    const progress: [number, number | undefined][] = [];
    engine.on("progress", (e) => progress.push([e.done, e.total]));
    const task = await upload(engine, s.endpoint, path, CHUNK, { id: "b" });
    await task.result();
    expect(progress).toEqual([
      [0, 40_000],
      [CHUNK, 40_000],
      [2 * CHUNK, 40_000],
      [40_000, 40_000],
    ]);
    const [info] = await engine.list({ status: "done" });
    expect(info!.progress).toEqual({ done: 40_000, total: 40_000 });
    expect(info!.result).toMatchObject({ size: 40_000, path, url: expect.any(String) });
    // A path source finishes with its last chunk: the record keeps the path, never file bytes.
    expect(info!.state).toMatchObject({ source: path, size: 40_000 });
    expect(JSON.stringify(info!.state).length).toBeLessThan(1000);
    expect(info!.step).toBe(4);
  });

  it("uses 4 MiB chunks unless told otherwise", async () => {
    const s = await setup();
    const { path, bytes } = await s.file("big.bin", DEFAULT_CHUNK_SIZE + 10);
    const engine = await openEngine(s.dir);
    const task = await engine.create("upload", tusUpload(path, { endpoint: s.endpoint }));
    const result = await task.result();
    expect(DEFAULT_CHUNK_SIZE).toBe(4 * 1024 * 1024);
    expect(trace(s.faults)).toEqual([
      "POST - 201",
      "PATCH 0 204",
      `PATCH ${DEFAULT_CHUNK_SIZE} 204`,
    ]);
    expect(sha256(await s.server.bytes(result.url))).toBe(sha256(bytes));
  });

  it("uploads an empty file with one POST", async () => {
    const s = await setup();
    const { path } = await s.file("empty.txt", 0);
    const engine = await openEngine(s.dir);
    const task = await engine.create("upload", tusUpload(path, { endpoint: s.endpoint }));
    const result = await task.result();
    expect(result.size).toBe(0);
    expect(trace(s.faults)).toEqual(["POST - 201"]);
    expect((await s.server.bytes(result.url)).length).toBe(0);
  });

  it("sends the headers of the work options with every request, never storing them", async () => {
    const s = await setup();
    const { path } = await s.file("c.bin", 20_000);
    const engine = await openEngine(s.dir, {
      work: { headers: (state) => ({ Authorization: `Bearer for-${state.name}` }) },
    });
    const task = await upload(engine, s.endpoint, path, CHUNK);
    await task.result();
    expect(
      s.faults.requests.map((r) => [r.method, r.headers.authorization, r.headers["tus-resumable"]]),
    )
      .toEqual([
        ["POST", "Bearer for-c.bin", "1.0.0"],
        ["PATCH", "Bearer for-c.bin", "1.0.0"],
        ["PATCH", "Bearer for-c.bin", "1.0.0"],
      ]);
    const [info] = await engine.list();
    expect(JSON.stringify(info!.state)).not.toMatch(/Bearer/);
  });
});

describe("tusWork on the Deno KV driver (through @deno/kv on Node)", () => {
  it("uploads a file by path", async () => {
    const s = await setup();
    const { path, bytes } = await s.file("kv.bin", 30_000);
    const engine = await createEngine({
      driver: denoKvDriver({ path: join(s.dir, "kv.sqlite") }),
      work: { upload: tusWork() },
    });
    later(() => engine.close());
    const task = await upload(engine, s.endpoint, path, CHUNK);
    const result = await task.result();
    expect(sha256(await s.server.bytes(result.url))).toBe(sha256(bytes));
  });
});
