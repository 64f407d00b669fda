import { describe, expect, it } from "vitest";
import {
  checkStorageRoom,
  namingByUploadKey,
  requestPersistence,
  StorageRoomError,
  tusUpload,
  tusWork,
  uploadId,
} from "../../src/tus/mod.ts";
import { formatBytes } from "../../src/tus/_util.ts";

const MiB = 1024 * 1024;

describe("uploadId", () => {
  it("is made of size, time and path, so the same file gets the same id", () => {
    const file = new File(["hello"], "hello.txt", { lastModified: 1_700_000_000_000 });
    const again = new File(["hello"], "hello.txt", { lastModified: 1_700_000_000_000 });
    expect(uploadId(file)).toBe("upload:5:1700000000000:hello.txt");
    expect(uploadId(again)).toBe(uploadId(file));
    expect(uploadId(file, { folder: "trip/", prefix: "batch-2" })).toBe(
      "batch-2:5:1700000000000:trip/hello.txt",
    );
    expect(uploadId({ name: "/data/a:b.bin", size: 10 })).toBe("upload:10::/data/a:b.bin");
  });

  it("tells a changed file apart", () => {
    const before = new File(["hello"], "a.txt", { lastModified: 1 });
    expect(uploadId(new File(["hello"], "a.txt", { lastModified: 2 }))).not.toBe(uploadId(before));
    expect(uploadId(new File(["hello!"], "a.txt", { lastModified: 1 }))).not.toBe(uploadId(before));
  });

  it("refuses a nameless Blob with a TypeError that says what to pass", () => {
    expect(() => uploadId(new Blob(["x"]) as File)).toThrow(
      /a plain Blob has none, so pass \{ name, size \}/,
    );
  });
});

describe("namingByUploadKey", () => {
  it("names an upload by the key in its metadata, and at random without a usable one", () => {
    expect(namingByUploadKey(undefined, { key: "0123456789abcdef0123456789abcdef" })).toBe(
      "0123456789abcdef0123456789abcdef",
    );
    for (const metadata of [undefined, {}, { key: "../../etc/passwd" }, { key: null }]) {
      expect(namingByUploadKey(undefined, metadata)).toMatch(/^[0-9a-f]{32}$/);
    }
    expect(namingByUploadKey(undefined, {})).not.toBe(namingByUploadKey(undefined, {}));
  });
});

describe("checkStorageRoom", () => {
  const storage = (usage: number, quota: number) => ({
    estimate: () => Promise.resolve({ usage, quota }),
  });

  it("resolves with the figures when the files fit", async () => {
    expect(await checkStorageRoom([new Blob(["abc"])], { storage: storage(10, 100) })).toEqual({
      needed: 3,
      available: 90,
      usage: 10,
      quota: 100,
    });
  });

  it("throws a StorageRoomError that says how much room is missing", async () => {
    const error = await checkStorageRoom(300 * MiB, { storage: storage(900 * MiB, 1024 * MiB) })
      .catch((e) => e);
    expect(error).toBeInstanceOf(StorageRoomError);
    expect(error.code).toBe("STORAGE_ROOM");
    expect(error.missing).toBe(176 * MiB);
    expect(error.message).toMatch(
      /needs 300 MiB but the site has 124 MiB left, so 176 MiB are missing: add fewer files/,
    );
  });

  it("resolves with undefined where there is no estimate (here, on Node)", async () => {
    expect(await checkStorageRoom(5)).toBeUndefined();
    expect(await requestPersistence()).toBe(false);
  });

  it("refuses what is not bytes or Blobs", async () => {
    await expect(checkStorageRoom("a lot" as unknown as number)).rejects.toThrow(TypeError);
    await expect(checkStorageRoom(-1)).rejects.toThrow(RangeError);
  });
});

describe("the rest of the surface", () => {
  it("formats byte counts for messages", () => {
    expect([0, 1023, 1536, 5 * MiB, 3 * 1024 * MiB].map(formatBytes)).toEqual([
      "0 bytes",
      "1023 bytes",
      "1.5 KiB",
      "5 MiB",
      "3 GiB",
    ]);
  });

  it("tusUpload takes a File's name, type, size and time, and draws a fresh key each time", () => {
    const file = new File(["hello"], "hello.txt", { type: "text/plain", lastModified: 7 });
    const a = tusUpload(file, { endpoint: "http://127.0.0.1/files" });
    const b = tusUpload(file, { endpoint: new URL("http://127.0.0.1/files") });
    expect(a).toMatchObject({
      endpoint: "http://127.0.0.1/files",
      source: file,
      name: "hello.txt",
      type: "text/plain",
      size: 5,
      lastModified: 7,
      offset: 0,
      metadata: {},
    });
    expect(a.key).toMatch(/^[0-9a-f]{32}$/);
    expect(b.key).not.toBe(a.key);
    expect(tusUpload("/srv/in/report.pdf", { endpoint: "http://h/f" })).toMatchObject({
      name: "report.pdf",
      type: "",
      source: "/srv/in/report.pdf",
    });
  });

  it("tusWork refuses bad options with TypeError or RangeError", () => {
    expect(() => tusWork({ lockedTimeoutMs: -1 })).toThrow(RangeError);
    expect(() => tusWork({ headers: "x" as unknown as Record<string, string> })).toThrow(TypeError);
    expect(typeof tusWork().cleanup).toBe("function");
  });
});
