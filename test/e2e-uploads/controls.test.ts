/** The uploads demo's buttons: pause all, reload, resume all; cancel deletes the upload. */
import { expect, it } from "vitest";
import * as e2e from "./_harness.ts";

const run = e2e.useDemo();

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it(
  "pause all stops every upload across a reload, resume all finishes them, cancel deletes one",
  async () => {
    const files = e2e.testFiles(10, "controls", 4 * 1024 * 1024);
    const { context, page, total } = await e2e.begin(run, files, { bytesPerSecond: 2 << 20 });
    await e2e.until(async () => run.demo.patched() >= 0.2 * total, 60_000, "20% of the bytes");
    await page.click("#pause-all");
    await e2e.until(
      async () =>
        Object.values(await e2e.statuses(page)).every((s) => s === "paused" || s === "done"),
      15_000,
      "every upload paused",
    );
    await wait(300);
    const pausedAt = run.demo.patched();
    await wait(1500);
    expect(run.demo.patched(), "nothing sent while paused").toBe(pausedAt);

    await page.reload();
    await page.waitForSelector("body[data-ready]");
    const afterReload = await e2e.statuses(page);
    expect(Object.keys(afterReload).length).toBe(10);
    expect(Object.values(afterReload).filter((s) => s === "paused").length).toBeGreaterThan(0);
    expect(Object.values(afterReload).every((s) => s === "paused" || s === "done")).toBe(true);
    await wait(1500);
    expect(run.demo.patched(), "a reload does not resume paused uploads").toBe(pausedAt);

    // The upload to cancel: one the server has part of.
    const partial = [...(await e2e.landed(run.demo.dir))].find(([, [upload]]) =>
      upload!.offset > 0 && upload!.offset < upload!.size
    );
    expect(partial, "an upload half done").toBeDefined();
    const [canceled] = partial!;
    await e2e.throttle(page, 2 * 1024 * 1024);
    await page.click("#resume-all");
    const row = page.locator(".row", { hasText: canceled });
    await row.locator("button[data-action=cancel]").click();
    await e2e.until(
      async () => (await e2e.statuses(page))[canceled] === "canceled",
      15_000,
      `${canceled} canceled`,
    );
    await e2e.until(
      async () => !(await e2e.landed(run.demo.dir)).has(canceled),
      15_000,
      `the upload of ${canceled} deleted on the server`,
    );
    await page.reload(); // a canceled upload stays canceled
    await page.waitForSelector("body[data-ready]");
    await e2e.until(
      async () => {
        const all = Object.values(await e2e.statuses(page));
        return all.filter((s) => s === "done").length === 9 && all.length === 10;
      },
      90_000,
      "the other 9 done",
    );
    expect(await e2e.mismatches(run.demo.dir, files.filter((f) => f.name !== canceled))).toEqual(
      [],
    );
    expect((await e2e.landed(run.demo.dir)).has(canceled)).toBe(false);
    await context.close();
  },
  120_000,
);

it(
  "the 300 test files start uploading, and cancel all deletes every upload that had bytes",
  async () => {
    const context = await run.browser.newContext();
    const page = await e2e.openPage(context, run.demo.page);
    await e2e.throttle(page, 8 << 20);
    const before = await e2e.landed(run.demo.dir);
    await page.click("#synthetic");
    await e2e.until(async () => (await e2e.summary(page)).files === 300, 30_000, "300 rows");
    await e2e.until(
      async () => (await page.textContent("#activity"))?.includes("added 300 files"),
      60_000,
      "the 300 files kept and started",
    );
    // Some uploads under way on the server, none of them finished.
    await e2e.until(
      async () => {
        const now = await e2e.landed(run.demo.dir);
        return [...now].some(([name, [u]]) =>
          !before.has(name) && u!.offset > 0 && u!.offset < u!.size
        );
      },
      30_000,
      "an upload half done",
    );
    await page.click("#cancel-all");
    await e2e.until(
      async () => {
        const all = Object.values(await e2e.statuses(page));
        return all.length === 300 && all.every((s) => s === "canceled" || s === "done");
      },
      60_000,
      "every test file canceled or done",
    );
    // Every upload canceled with bytes on the server is deleted there. One canceled while its
    // POST was in flight never learnt its URL: the server keeps it empty (0 bytes) until it
    // expires, as stater/tus's README says.
    const withBytes = async () =>
      [...(await e2e.landed(run.demo.dir))].filter(([, [u]]) =>
        u!.offset > 0 && u!.offset < u!.size
      );
    try {
      await e2e.until(async () => (await withBytes()).length === 0, 30_000, "no upload half done");
    } catch (error) {
      const left = (await withBytes()).map(([name, [u]]) => `${name} ${u!.offset}/${u!.size}`);
      throw new Error(`${(error as Error).message}: ${left.join(", ")}`);
    }
    const empty = [...(await e2e.landed(run.demo.dir))].filter(([, [u]]) => u!.offset === 0);
    expect(empty.length, "empty uploads left by cancels during their POST").toBeLessThanOrEqual(4);
    expect(Object.values(await e2e.statuses(page)).filter((s) => s === "canceled").length)
      .toBeGreaterThan(250);
    await context.close();
  },
  120_000,
);
