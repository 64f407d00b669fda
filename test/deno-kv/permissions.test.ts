/**
 * Deno's permissions and the takeover of a dead engine's leases: what each
 * set of flags gets, what the driver says when a flag is missing, and that
 * it never asks for a permission (Deno runs in a terminal here, where a
 * prompt would show and wait).
 */
import { describe, expect, it } from "vitest";
import type { TaskRecord } from "../../src/driver.ts";
import { useStore } from "./_store.ts";
import { deno, denoInTerminal } from "./_deno.ts";

const store = useStore();
const BASE = ["--unstable-kv", "--allow-read", "--allow-write"];

/** A running task "t" whose lease a Deno process took for `leaseMs` and died holding. */
async function deadHolder(leaseMs: number): Promise<void> {
  const driver = await store.open("node");
  const record: TaskRecord = {
    id: "t",
    work: "count",
    status: "running",
    state: { n: 0, to: 5 },
    step: 0,
    rev: 1,
    createdAt: 1,
    updatedAt: 1,
  };
  expect(await driver.commit([{ type: "put", record, expectRev: 0 }])).toEqual([{ ok: true }]);
  await driver.close?.();
  expect(await deno(["hold", store.path, "t", String(leaseMs)])).toEqual({ held: true });
}

interface Takeover {
  result: number;
  errors: { code?: string; message: string }[];
  tookMs: number;
}

async function takeover(flags: string[]): Promise<Takeover> {
  const { json } = await denoInTerminal(["takeover", store.path, "t"], flags);
  return json as unknown as Takeover;
}

describe("defect 14: deno-kv on Deno with fewer permissions", () => {
  it(
    "without --allow-sys and --allow-run, it says once that a dead engine's task waits for its lease to expire, and which flags avoid it, and asks for nothing",
    async () => {
      await deadHolder(6000);
      const out = await takeover(BASE);
      expect(out.result, "taken over once the lease expired").toBe(5);
      expect(out.errors).toHaveLength(1);
      expect(out.errors[0]!.code).toBe("TAKEOVER_AT_EXPIRY");
      expect(out.errors[0]!.message).toContain(
        "this Deno process runs without --allow-sys=hostname and --allow-run",
      );
      expect(out.errors[0]!.message).toMatch(
        /taken over only when their leases expire \(this one in [1-6] s; leases last leaseMs, 1000 ms here\)\. Run every Deno process that shares the store with --allow-sys=hostname --allow-run to take over at once/,
      );
    },
    60_000,
  );

  it(
    "with --allow-sys=hostname alone, it names --allow-run as the flag that is missing",
    async () => {
      await deadHolder(6000);
      const out = await takeover([...BASE, "--allow-sys=hostname"]);
      expect(out.result).toBe(5);
      expect(out.errors.map((e) => e.code)).toEqual(["TAKEOVER_AT_EXPIRY"]);
      expect(out.errors[0]!.message).toContain("this Deno process runs without --allow-run,");
    },
    60_000,
  );

  it(
    "with --allow-sys=hostname --allow-run, it takes over a dead engine's task at once and says nothing",
    async () => {
      await deadHolder(30_000);
      const out = await takeover([...BASE, "--allow-sys=hostname", "--allow-run"]);
      expect(out.result).toBe(5);
      expect(out.errors).toEqual([]);
      expect(out.tookMs, "did not wait out the 30 s lease").toBeLessThan(15_000);
    },
    60_000,
  );
});
