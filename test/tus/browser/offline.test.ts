import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { addUploads, waitingForNetwork } from "../../../src/tus/mod.ts";
import { databases, eventually } from "../../browser/_util.ts";
import { control, endpoint, idOf, openEngine, randomFile, sha256 } from "./_page.ts";

const { name, dropAll } = databases("tus-offline");
const KiB = 1024;

/** The page's network as the page sees it: `navigator.onLine` and the `online` event. */
function setOnline(online: boolean): void {
  Object.defineProperty(navigator, "onLine", { configurable: true, get: () => online });
  globalThis.dispatchEvent(new Event(online ? "online" : "offline"));
}

beforeEach(() => control("/reset"));
afterEach(async () => {
  setOnline(true);
  delete (navigator as { onLine?: boolean }).onLine;
  await dropAll();
});

describe("stater/tus offline", () => {
  it("waits while offline without using up retries, and goes on by itself at the online event", async () => {
    const engine = await openEngine(name(), { maxAttempts: 1 });
    setOnline(false);
    const file = randomFile("offline.bin", 100 * KiB);
    const [task] = await addUploads(engine, [file], { endpoint, chunkSize: 32 * KiB });
    await eventually(() => waitingForNetwork() === 1, 5000, "the upload to wait for the network");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await control("/state")).requests).toEqual([]);
    expect(task!.status).toBe("running");
    setOnline(true);
    const result = await task!.result();
    const server = await control("/state");
    expect(server.uploads.find((u) => u.id === idOf(result.url))?.sha256).toBe(await sha256(file));
    expect(waitingForNetwork()).toBe(0);
    await engine.close();
  });

  it("a request that fails because the page went offline waits for the network, then asks for the offset", async () => {
    const engine = await openEngine(name(), { maxAttempts: 1 });
    const file = randomFile("dropped.bin", 200 * KiB);
    const [task] = await addUploads(engine, [file], { endpoint, chunkSize: 32 * KiB });
    await eventually(() => task!.state.offset >= 32 * KiB, 10_000, "the first chunk");
    await control("/inject", { method: "PATCH", hold: true });
    await eventually(async () => (await control("/state")).held > 0, 10_000, "a PATCH in flight");
    setOnline(false);
    await eventually(
      async () => {
        await control("/release");
        return waitingForNetwork() === 1;
      },
      10_000,
      "the upload to wait for the network",
    );
    setOnline(true);
    const result = await task!.result();
    const server = await control("/state");
    const requests = server.requests.filter((request) => request.method !== "OPTIONS");
    const broken = requests.map((request) => request.status).lastIndexOf(undefined);
    expect(requests[broken]!.method).toBe("PATCH");
    expect(requests[broken + 1]!.method).toBe("HEAD");
    expect(server.uploads.find((u) => u.id === idOf(result.url))?.sha256).toBe(await sha256(file));
    await engine.close();
  });

  it("pause({ immediate }) ends the wait for the network at once", async () => {
    const engine = await openEngine(name());
    setOnline(false);
    const [task] = await addUploads(engine, [randomFile("paused.bin", 10 * KiB)], { endpoint });
    await eventually(() => waitingForNetwork() === 1, 5000, "the upload to wait for the network");
    await task!.pause({ immediate: true });
    expect(task!.status).toBe("paused");
    expect(waitingForNetwork()).toBe(0);
    await engine.close();
  });
});
