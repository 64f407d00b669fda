import { describe, expect, it, vi } from "vitest";
import { DriverError } from "../../src/mod.ts";
import { denoKvDriver } from "../../drivers/deno-kv/mod.ts";

const context = {
  owner: "me",
  report: (error: unknown) => {
    throw error;
  },
};

describe("deno-kv without Deno KV", () => {
  it("on Node without the @deno/kv package, opening says to install it", async () => {
    vi.doMock("@deno/kv", () => {
      throw new Error("Cannot find package '@deno/kv'");
    });
    try {
      const error = await Promise.resolve().then(() =>
        denoKvDriver({ path: "x.kv" }).open?.(context)
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DriverError);
      expect(error).toMatchObject({ code: "KV_UNAVAILABLE" });
      expect((error as Error).message).toMatch(/npm install @deno\/kv/);
    } finally {
      vi.doUnmock("@deno/kv");
    }
  });

  it("importing the driver and calling the factory touch no Deno KV", async () => {
    const g = globalThis as { Deno?: unknown };
    const before = g.Deno;
    let touched = false;
    Object.defineProperty(globalThis, "Deno", {
      configurable: true,
      get() {
        touched = true;
        return undefined;
      },
    });
    try {
      vi.resetModules();
      const mod: typeof import("../../drivers/deno-kv/mod.ts") = await import(
        "../../drivers/deno-kv/mod.ts"
      );
      mod.denoKvDriver({ path: "x.kv" });
      expect(touched).toBe(false);
    } finally {
      Object.defineProperty(globalThis, "Deno", {
        configurable: true,
        writable: true,
        value: before,
      });
      if (before === undefined) delete g.Deno;
    }
  });
});
