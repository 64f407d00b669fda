import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { formatBytes, formatSeconds, ProgressDisplay } from "../../demo/cli/_progress.ts";

/** An output that records what is written. */
function output(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, out: { isTTY, columns: 100, write: (text: string) => writes.push(text) } };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("the uploader's progress display", () => {
  it("formats bytes and seconds for people", () => {
    expect([0, 1023, 1536, 5 * 2 ** 20, 3 * 2 ** 30].map(formatBytes)).toEqual([
      "0 B",
      "1023 B",
      "1.5 KiB",
      "5.0 MiB",
      "3.0 GiB",
    ]);
    expect([2.34, 42, 75, 3600, Infinity].map(formatSeconds)).toEqual([
      "2.3s",
      "42s",
      "1m15s",
      "60m00s",
      "?",
    ]);
  });

  it("writes plain lines off a terminal: one a file, a status line a second", () => {
    const { writes, out } = output(false);
    const display = new ProgressDisplay(out);
    display.add("a", "a.bin", 1000, 0, false);
    display.add("b", "sub/b.bin", 1000, 0, false);
    for (let done = 100; done <= 500; done += 100) display.update("a", done);
    vi.advanceTimersByTime(0);
    expect(writes).toEqual(["progress  25% 0/2 files, 500 B of 2.0 KiB, 0 B/s, ? left\n"]);
    display.update("a", 1000);
    display.finished("a");
    vi.advanceTimersByTime(999);
    expect(writes.slice(1)).toEqual(["uploaded a.bin (1000 B)\n"]);
    vi.advanceTimersByTime(1);
    expect(writes.slice(2)).toEqual([
      "progress  50% 1/2 files, 1000 B of 2.0 KiB, 500 B/s, 2.0s left\n",
    ]);
    expect(writes.join("")).not.toContain("\x1b");
  });

  it("draws bars on a terminal, redrawn in place at most ten times a second", () => {
    const { writes, out } = output(true);
    const display = new ProgressDisplay(out);
    display.add("a", "a.bin", 4000, 0, false);
    display.add("b", "b.bin", 4000, 4000, true);
    display.update("a", 1000);
    display.update("a", 2000);
    vi.advanceTimersByTime(100);
    expect(writes).toHaveLength(1);
    const [total, file] = writes[0]!.split("\n");
    expect(total).toMatch(/^\[#{18}-{6}\] {2}75% 1\/2 files, 5\.9 KiB of 7\.8 KiB/);
    expect(file).toBe("  [######------]  50% a.bin  2.0 KiB of 3.9 KiB");
    display.update("a", 3000);
    vi.advanceTimersByTime(100);
    // Up two lines, clear to the end of the screen, draw again.
    expect(writes[1]).toBe("\x1b[2F\x1b[0J");
    expect(writes[2]).toContain("  [#########---]  75% a.bin");
    display.finished("a");
    expect(writes.slice(3, 5)).toEqual(["\x1b[2F\x1b[0J", "uploaded a.bin (3.9 KiB)\n"]);
    expect(writes[5]).toMatch(/^\[#{24}\] 100% 2\/2 files/);
    display.stop();
  });
});
