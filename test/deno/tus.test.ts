/**
 * stater/tus on Deno: a file uploaded by path on the Deno KV driver to a real
 * @tus/server (run by Deno itself, from node_modules), with a restart of the
 * engine in the middle.
 */

import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine } from "stater";
import { denoKvDriver } from "stater/drivers/deno-kv";
import { tusUpload, tusWork } from "stater/tus";
import { startTusServer } from "../tus/_server.ts";

function assertEquals(actual: unknown, expected: unknown, what: string): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

Deno.test({
  name: "uploads a file by path on the Deno KV driver, through a restart, byte for byte",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const server = await startTusServer({ naming: "key" });
    const dir = await mkdtemp(join(tmpdir(), "stater-tus-deno-"));
    try {
      const bytes = crypto.getRandomValues(new Uint8Array(60_000));
      const path = join(dir, "notes.bin");
      await writeFile(path, bytes);
      const store = join(dir, "kv.sqlite");
      const open = () =>
        createEngine({ driver: denoKvDriver({ path: store }), work: { upload: tusWork() } });

      const first = await open();
      const task = await first.create(
        "upload",
        tusUpload(path, { endpoint: server.endpoint, chunkSize: 8192 }),
        { id: "notes" },
      );
      await new Promise<void>((resolve) => {
        const off = task.on("step", () => {
          if (task.state.offset >= 3 * 8192) {
            off();
            resolve();
          }
        });
      });
      await task.pause();
      await first.close();

      const second = await open();
      const resumed = (await second.get("notes"))!;
      await resumed.resume();
      const result = (await resumed.result()) as { url: string; size: number; key: string };
      await second.close();

      assertEquals(result.size, 60_000, "the size");
      const id = new URL(result.url).pathname.split("/").pop()!;
      assertEquals(id, result.key, "the upload's name");
      assertEquals(await server.uploads(), [id], "the uploads on the server");
      const stored = new Uint8Array(await readFile(join(server.dir, id)));
      assertEquals(sha256(stored), sha256(bytes), "the bytes on the server");
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
});
