import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type DemoServer, startDemoServer } from "../../demo/tus-server.ts";

const tus = { "Tus-Resumable": "1.0.0" };
let server: DemoServer | undefined;
let dir: string | undefined;

afterEach(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  server = dir = undefined;
});

describe("the demos' tus server", () => {
  it("takes a whole tus upload on 127.0.0.1 and lands it in its folder, named by the key", async () => {
    dir = await mkdtemp(join(tmpdir(), "stater-demo-server-"));
    server = await startDemoServer({ dir });
    expect(new URL(server.url).hostname).toBe("127.0.0.1");
    expect(server.endpoint).toBe(`${server.url}files`);
    const key = "0123456789abcdef0123456789abcdef";
    const created = await fetch(server.endpoint, {
      method: "POST",
      headers: { ...tus, "Upload-Length": "5", "Upload-Metadata": `key ${btoa(key)}` },
    });
    expect(created.status).toBe(201);
    const location = new URL(created.headers.get("location")!, server.url).href;
    expect(location).toBe(`${server.endpoint}/${key}`);
    const patched = await fetch(location, {
      method: "PATCH",
      headers: {
        ...tus,
        "Upload-Offset": "0",
        "Content-Type": "application/offset+octet-stream",
      },
      body: "hello",
    });
    expect(patched.status).toBe(204);
    const head = await fetch(location, { method: "HEAD", headers: tus });
    expect(head.headers.get("upload-offset")).toBe("5");
    expect(await readFile(join(dir, key), "utf8")).toBe("hello");
  });

  it("serves the pages it is given and answers 404 for the rest", async () => {
    dir = await mkdtemp(join(tmpdir(), "stater-demo-server-"));
    server = await startDemoServer({
      dir,
      pages: (req, res) => req.url === "/" && (res.writeHead(200).end("page"), true),
    });
    expect(await (await fetch(server.url)).text()).toBe("page");
    expect((await fetch(`${server.url}nothing`)).status).toBe(404);
  });

  it("tells onBody of every byte of a request body it receives", async () => {
    dir = await mkdtemp(join(tmpdir(), "stater-demo-server-"));
    const heard: [string, string, number][] = [];
    server = await startDemoServer({
      dir,
      onBody: (req, bytes) => heard.push([req.method!, req.url!, bytes]),
    });
    const key = "fedcba9876543210fedcba9876543210";
    const created = await fetch(server.endpoint, {
      method: "POST",
      headers: { ...tus, "Upload-Length": "300000", "Upload-Metadata": `key ${btoa(key)}` },
    });
    expect(created.status).toBe(201);
    const patched = await fetch(`${server.endpoint}/${key}`, {
      method: "PATCH",
      headers: {
        ...tus,
        "Upload-Offset": "0",
        "Content-Type": "application/offset+octet-stream",
      },
      body: new Uint8Array(300_000).fill(7),
    });
    expect(patched.status).toBe(204);
    const patches = heard.filter(([method]) => method === "PATCH");
    expect(patches.every(([, url]) => url === `/files/${key}`)).toBe(true);
    expect(patches.reduce((sum, [, , bytes]) => sum + bytes, 0)).toBe(300_000);
    expect((await readFile(join(dir, key))).length).toBe(300_000);
  });

  it("fails to start on a port already taken, with the system's error", async () => {
    dir = await mkdtemp(join(tmpdir(), "stater-demo-server-"));
    server = await startDemoServer({ dir });
    const port = Number(new URL(server.url).port);
    await expect(startDemoServer({ dir, port })).rejects.toThrow(/EADDRINUSE/);
  });
});
