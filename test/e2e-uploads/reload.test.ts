/** The uploads demo survives reloads and a closed tab: every file lands once, whole. */
import type { Browser } from "playwright";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  allDone,
  CHUNK,
  type Demo,
  launchChromium,
  mismatches,
  openPage,
  pick,
  startDemo,
  summary,
  testFiles,
  throttle,
  totalOf,
  until,
} from "./_harness.ts";

let browser: Browser;
let demo: Demo;

beforeAll(async () => {
  [browser, demo] = await Promise.all([launchChromium(), startDemo()]);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

it(
  "30 files reach the server byte for byte, once each, through three reloads and a closed tab",
  async () => {
    const files = testFiles(30, "reload");
    const total = totalOf(files);
    const context = await browser.newContext();
    let page = await openPage(context, demo.page);
    await throttle(page, 2 * 1024 * 1024);
    await pick(page, files);
    const sentAt = async (share: number, what: string) =>
      await until(async () => demo.patched() >= share * total, 60_000, what);
    for (const [i, share] of [0.15, 0.3, 0.45].entries()) {
      await sentAt(share, `${share * 100}% of the bytes before reload ${i + 1}`);
      expect((await summary(page)).done, "still uploading when reloaded").toBeLessThan(30);
      await page.reload();
      await page.waitForSelector("body[data-ready]");
      await throttle(page, 2 * 1024 * 1024);
    }
    await sentAt(0.6, "60% of the bytes before the tab is closed");
    expect((await summary(page)).done).toBeLessThan(30);
    await page.close();
    page = await openPage(context, demo.page); // no click: it carries on by itself
    expect((await summary(page)).files).toBe(30);
    await allDone(page, 30);
    expect(await mismatches(demo.dir, files)).toEqual([]);
    const interruptions = 4;
    expect(demo.patched()).toBeGreaterThanOrEqual(total);
    expect(demo.patched()).toBeLessThanOrEqual(total + interruptions * files.length * CHUNK);
    console.log(
      `reload: ${total} bytes in 30 files, ${demo.patched() - total} bytes sent again ` +
        `over ${interruptions} interruptions`,
    );
    await context.close();
  },
  120_000,
);
