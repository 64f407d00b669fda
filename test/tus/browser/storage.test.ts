import { cdp } from "vitest/browser";
import { afterEach, expect, it } from "vitest";
import { DriverError } from "../../../src/mod.ts";
import { addUploads, checkStorageRoom, StorageRoomError } from "../../../src/tus/mod.ts";
import { databases } from "../../browser/_util.ts";
import { endpoint, openEngine, randomFile } from "./_page.ts";

const { name, dropAll } = databases("tus-storage");
afterEach(() => dropAll());

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** A File of `size` bytes made of one MiB of bytes over and over (the browser stores it once). */
function hugeFile(name: string, size: number): File {
  const part = randomFile("part", MiB);
  return new File(Array.from({ length: size / MiB }, () => part), name);
}

it("addUploads checks navigator.storage.estimate() first: Files that do not fit are refused with how much room is missing, and nothing is stored", async () => {
  const engine = await openEngine(name());
  try {
    const { usage = 0, quota = 0 } = await navigator.storage.estimate();
    const available = quota - usage;
    const files = [
      hugeFile("disk-image.iso", Math.ceil(available / GiB) * GiB),
      randomFile("a", 10),
    ];
    const needed = files[0]!.size + 10;
    const error = await addUploads(engine, files, { endpoint }).catch((e) => e);
    expect(error).toBeInstanceOf(StorageRoomError);
    expect(error).toMatchObject({ needed, available, missing: needed - available });
    expect(error.message).toMatch(
      /^Storing these files needs [\d.]+ GiB but the site has .* left, so .* are missing: add/,
    );
    expect(await engine.list()).toEqual([]);
    expect(await checkStorageRoom([files[1]!])).toMatchObject({ needed: 10, quota, usage });
  } finally {
    await engine.close();
  }
});

it("under a quota smaller than the estimate says, storing a File fails with QUOTA_EXCEEDED and keeps nothing", async () => {
  // Chromium's estimate() shows at most the usage plus 10 GiB, whatever the real quota: the
  // driver's error is what catches the rest.
  const session = cdp() as unknown as { send(method: string, params: object): Promise<unknown> };
  await session.send("Storage.overrideQuotaForOrigin", {
    origin: location.origin,
    quotaSize: 4 * MiB,
  });
  const engine = await openEngine(name());
  try {
    const error = await addUploads(engine, [randomFile("big.bin", 6 * MiB)], { endpoint }).catch((
      e,
    ) => e);
    expect(error).toBeInstanceOf(DriverError);
    expect(error.code).toBe("QUOTA_EXCEEDED");
    expect(await engine.list()).toEqual([]);
  } finally {
    await session.send("Storage.overrideQuotaForOrigin", { origin: location.origin });
    await engine.close();
  }
});
