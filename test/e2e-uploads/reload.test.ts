/** The uploads demo survives reloads and a closed tab: every file lands once, whole. */
import { expect, it } from "vitest";
import * as e2e from "./_harness.ts";

const run = e2e.useDemo();

it(
  "30 files reach the server byte for byte, once each, through three reloads and a closed tab",
  async () => {
    const files = e2e.testFiles(30, "reload");
    const started = await e2e.begin(run, files, { bytesPerSecond: 2 << 20 });
    const { context, total } = started;
    let page = started.page;
    const sentAt = async (share: number, what: string) =>
      await e2e.until(async () => run.demo.patched() >= share * total, 60_000, what);
    for (const [i, share] of [0.15, 0.3, 0.45].entries()) {
      await sentAt(share, `${share * 100}% of the bytes before reload ${i + 1}`);
      expect((await e2e.summary(page)).done, "still uploading when reloaded").toBeLessThan(30);
      await page.reload();
      await page.waitForSelector("body[data-ready]");
      await e2e.throttle(page, 2 * 1024 * 1024);
    }
    await sentAt(0.6, "60% of the bytes before the tab is closed");
    expect((await e2e.summary(page)).done).toBeLessThan(30);
    await page.close();
    page = await e2e.openPage(context, run.demo.page); // no click: it carries on by itself
    expect((await e2e.summary(page)).files).toBe(30);
    await e2e.allDone(page, 30);
    expect(await e2e.mismatches(run.demo.dir, files)).toEqual([]);
    const interruptions = 4;
    expect(run.demo.patched()).toBeGreaterThanOrEqual(total);
    expect(run.demo.patched()).toBeLessThanOrEqual(
      total + interruptions * files.length * e2e.CHUNK,
    );
    console.log(
      `reload: ${total} bytes in 30 files, ${run.demo.patched() - total} bytes sent again ` +
        `over ${interruptions} interruptions`,
    );
    await context.close();
  },
  120_000,
);
