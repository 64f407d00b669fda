import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createEngine } from "../../src/mod.ts";
import { decode, type TaskRecord } from "../../src/driver.ts";
import { postgresDriver } from "../../drivers/postgres/mod.ts";
import { count, richState } from "../deno-kv/_fixture.ts";
import { url, useDatabase } from "./_db.ts";

const script = fileURLToPath(new URL("./_interop.deno.ts", import.meta.url));
const root = fileURLToPath(new URL("../../", import.meta.url));
const db = useDatabase();

/** Runs the Deno side; resolves with the JSON line it printed. */
function deno(mode: string, id: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(
      `${root}/node_modules/.bin/deno`,
      ["run", "--allow-all", script, mode, url(), db.schema, id],
      { cwd: root, timeout: 60_000 },
      (error, stdout, stderr) => {
        const line = stdout.trim().split("\n").pop();
        if (error || !line) reject(new Error(`deno ${mode} failed: ${error?.message}\n${stderr}`));
        else resolve(JSON.parse(line));
      },
    );
  });
}

describe("postgres across Deno and Node", () => {
  it("a record written by Deno reads back whole on Node", async () => {
    expect(await deno("write", "from-deno")).toEqual([{ ok: true }]);
    const driver = await db.open("node");
    const record = await driver.get("from-deno");
    expect(record?.status).toBe("paused");
    expect(record?.state).toEqual(richState());
  });

  it("a record written by Node reads back whole on Deno", async () => {
    const driver = await db.open("node");
    const record: TaskRecord = {
      id: "from-node",
      work: "w",
      status: "done",
      state: richState(),
      result: [1n],
      step: 4,
      rev: 1,
      createdAt: 1,
      updatedAt: 2,
    };
    expect(await driver.commit([{ type: "put", record, expectRev: 0 }])).toEqual([{ ok: true }]);
    const out = await deno("read", "from-node");
    expect(decode(out.text as string)).toEqual(record);
  });

  it("a task a Node engine left running is resumed and finished by a Deno engine", async () => {
    const engine = await createEngine({
      driver: postgresDriver({ url: url(), schema: db.schema }),
      work: { count },
    });
    const task = await engine.create("count", { n: 0, to: 40 }, { id: "shared" });
    while (task.step < 5) await new Promise((resolve) => setTimeout(resolve, 5));
    await engine.close();
    expect(task.status).toBe("running");
    expect(await deno("finish", "shared")).toEqual({ result: 40, step: 41 });
  });
});
