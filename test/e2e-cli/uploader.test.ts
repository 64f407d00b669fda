/**
 * `npm run demo:node` and `npm run demo:deno` end to end: real processes, a
 * real @tus/server, kill -9 in the middle of a folder, a rerun to the end.
 */
import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startFaultLayer } from "../tus/_faults.ts";
import { startTusServer } from "../tus/_server.ts";
import { makeFolder, runCli, runToEnd, storedUploads, type TestFile } from "./_cli.ts";

const CHUNK = 16_384;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "stater-cli-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Every file is on the server once, byte for byte. */
async function expectAllUploaded(uploadsDir: string, files: TestFile[]) {
  const uploads = await storedUploads(uploadsDir);
  expect(uploads.map((upload) => upload.filename).sort()).toEqual(
    files.map((file) => file.name).sort(),
  );
  for (const file of files) {
    const upload = uploads.find((u) => u.filename === file.name)!;
    expect({ name: file.name, size: upload.received, sha256: upload.sha256 }).toEqual({
      name: file.name,
      size: file.size,
      sha256: file.sha256,
    });
  }
}

/**
 * A run of `script` over a new folder of `count` files, on the demo's own
 * server; `rerun()` runs it again to its end (exit code 0, on a new port).
 */
async function onItsOwnServer(script: "demo:node" | "demo:deno", count: number, chunk: number) {
  const dir = await scratch();
  const files = await makeFolder(join(dir, "folder"), count, 300_000);
  const uploads = join(dir, "uploads");
  const args = [join(dir, "folder"), "--chunk-size", String(chunk), "--uploads", uploads];
  args.push("--store", join(dir, "store"));
  const run = await runCli(script, args);
  const [first] = await run.lines(/^uploading to the demo's tus server/);
  const rerun = async () => {
    const again = await runToEnd(script, args);
    expect(again.code, again.out + again.err).toBe(0);
    expect(again.out.split("\n")[0], "the rerun's server has a port of its own").not.toBe(first);
    return again.out;
  };
  return { files, uploads, run, rerun };
}

/** An endpoint on 127.0.0.1 where nothing listens (a free port, just closed). */
async function closedPort(): Promise<string> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/files`;
}

const keyOf = (metadata: string | string[] | undefined) => {
  const entry = String(metadata ?? "").split(",").find((pair) => pair.startsWith("key "));
  return entry ? atob(entry.slice(4)) : undefined;
};

describe("the terminal uploader", () => {
  it(
    "demo:node killed with -9 halfway finishes on the rerun: each file once, none sent twice",
    async () => {
      const dir = await scratch();
      const files = await makeFolder(join(dir, "folder"), 20, 400_000);
      const server = await startTusServer({ naming: "key" });
      const layer = await startFaultLayer(server.endpoint);
      cleanups.push(() => server.close(), () => layer.close());
      const args = [
        join(dir, "folder"),
        "--endpoint",
        layer.endpoint,
        "--chunk-size",
        String(CHUNK),
      ];
      const run = await runCli("demo:node", [...args, "--store", join(dir, "store")]);
      // The upload lengths, by upload id (the key, since the server names uploads by it).
      const lengths = new Map<string, number>();
      /** Uploads the server has whole: it answered the PATCH that brought their last byte. */
      const whole = () =>
        layer.requests.filter((seen) =>
          seen.method === "PATCH" && seen.status === 204 &&
          seen.offset! + seen.bytes >= lengths.get(seen.id!)!
        ).map((seen) => seen.id!);
      let atKill: Map<string, number> | undefined;
      let completeAtKill: [string, number][] = [];
      layer.inject((seen) => {
        if (seen.method === "POST") {
          lengths.set(
            keyOf(seen.headers["upload-metadata"])!,
            Number(seen.headers["upload-length"]),
          );
        }
        if (atKill || seen.method !== "PATCH") return false;
        const complete = new Set(whole());
        const halfway = [...layer.received].filter(([id]) => !complete.has(id)).length;
        if (complete.size >= 6 && halfway >= 2) {
          run.child.kill("SIGKILL");
          atKill = new Map(layer.received);
          completeAtKill = [...complete].map((id) => [id, atKill!.get(id)!]);
        }
        return false;
      }, {});
      expect((await run.ended).signal, `it was not killed:\n${run.out()}`).toBe("SIGKILL");
      const finishedBefore = run.out().split("\n").filter((line) => line.startsWith("uploaded "));
      expect(completeAtKill.length).toBeGreaterThanOrEqual(6);
      expect(lengths.size).toBeLessThanOrEqual(files.length);

      const rerun = await runToEnd("demo:node", [...args, "--store", join(dir, "store")]);
      expect(rerun.code, rerun.out + rerun.err).toBe(0);
      expect(rerun.out).toMatch(/done: 20 of 20 files uploaded/);
      const earlier = Number(
        /(\d+) of 20 files were uploaded by an earlier run/.exec(rerun.out)?.[1],
      );
      expect(earlier).toBeGreaterThanOrEqual(finishedBefore.length);
      await expectAllUploaded(server.dir, files);
      // One upload per file: each POST of a file named the same upload (its key).
      expect(new Set(lengths.keys()).size).toBe(files.length);
      expect((await server.uploads()).length).toBe(files.length);
      // What the server had whole before the kill got no byte more.
      for (const [id, got] of completeAtKill) expect(layer.received.get(id)).toBe(got);
      // The rest went on from the server's offset: at most the chunk in flight again.
      for (const [id, length] of lengths) {
        expect(layer.received.get(id) ?? 0).toBeLessThanOrEqual(length + CHUNK);
      }
    },
    60_000,
  );

  it(
    "demo:node on its own server stops cleanly on Ctrl-C, and the rerun on a new port finishes",
    async () => {
      const { files, uploads, run, rerun } = await onItsOwnServer("demo:node", 8, CHUNK / 2);
      await run.lines(/^uploaded /, 3);
      run.child.kill("SIGINT");
      expect((await run.ended).code, run.out() + run.err()).toBe(130);
      expect(run.out()).toMatch(/stopped with \d+ of 8 files uploaded: run the same command again/);

      const out = await rerun();
      expect(out).toMatch(/[3-8] of 8 files were uploaded by an earlier run/);
      expect(out).toContain(`the uploads are in ${uploads}`);
      await expectAllUploaded(uploads, files);
    },
    60_000,
  );

  it(
    "demo:deno killed with -9 finishes on the rerun, its server on a new port, none sent twice",
    async () => {
      const { files, uploads, run, rerun } = await onItsOwnServer("demo:deno", 20, CHUNK);
      await run.lines(/^uploaded /, 6);
      run.child.kill("SIGKILL");
      expect((await run.ended).signal).toBe("SIGKILL");
      const before = await storedUploads(uploads);
      const whole = before.filter((upload) => upload.size > 0 && upload.received === upload.size);
      expect(whole.length).toBeGreaterThanOrEqual(5);
      expect(before.some((upload) => upload.received < upload.size), "one was unfinished").toBe(
        true,
      );
      const times = new Map(
        await Promise.all(
          whole.map(async (u) => [u.id, (await stat(join(uploads, u.id))).mtimeMs] as const),
        ),
      );

      expect(await rerun()).toMatch(/done: 20 of 20 files uploaded/);
      await expectAllUploaded(uploads, files);
      // The uploads the server had whole were not written to again.
      for (const [id, time] of times) expect((await stat(join(uploads, id))).mtimeMs).toBe(time);
    },
    60_000,
  );

  it("refuses bad input with exit code 2 and says what to do", async () => {
    const dir = await scratch();
    await writeFile(join(dir, "a-file.txt"), "hello");
    const empty = join(dir, "empty", "nested");
    await mkdir(empty, { recursive: true });
    const cases: [string[], RegExp][] = [
      [[], /Name the folder to upload/],
      [[join(dir, "nowhere")], /There is no folder .*nowhere: check the path/],
      [[join(dir, "a-file.txt")], /a-file\.txt is a file, not a folder: name the folder/],
      [[join(dir, "empty")], /holds no files \(nor do its subfolders\): put the files/],
      [[dir, "--endpoint", "not a url"], /--endpoint needs the http\(s\) URL of a tus server/],
      [[dir, "--endpoint", "ftp://127.0.0.1/files"], /--endpoint needs the http\(s\) URL/],
      [[dir, "--endpoint", await closedPort()], /Nothing answers at .*: start the tus server/],
      [[dir, "--chunk-size", "0"], /--chunk-size needs a whole number ≥ 1, got "0"/],
      [[dir, "--frobnicate"], /Unknown option --frobnicate/],
    ];
    const store = ["--store", join(dir, "store")];
    const results = await Promise.all(
      cases.map(([args]) => runToEnd("demo:node", [...args, ...store])),
    );
    results.forEach((result, i) => {
      expect({ code: result.code, err: result.err }).toMatchObject({ code: 2 });
      expect(result.err).toMatch(cases[i]![1]);
      expect(result.err).toContain("usage: npm run demo:node -- <folder>");
    });
    const deno = await runToEnd("demo:deno", [join(dir, "nowhere"), ...store]);
    expect(deno.code).toBe(2);
    expect(deno.err).toMatch(/There is no folder .*nowhere/);
  }, 60_000);
});
