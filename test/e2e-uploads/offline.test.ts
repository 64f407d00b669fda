/** The uploads demo offline: uploads wait without failing, and finish once back online. */
import { expect, it } from "vitest";
import * as e2e from "./_harness.ts";

const run = e2e.useDemo();

it("offline mid-upload, the uploads wait without failing and finish once back online", async () => {
  const files = e2e.testFiles(10, "offline");
  const { context, page, total } = await e2e.begin(run, files, { bytesPerSecond: 2 << 20 });
  await e2e.until(async () => run.demo.patched() >= 0.3 * total, 60_000, "30% of the bytes");
  await context.setOffline(true);
  await page.waitForSelector("#offline:not([hidden])", { timeout: 5000 });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const offlineAt = run.demo.patched();
  // Longer than the first retry delays: a failing upload would have burnt some by now.
  await new Promise((resolve) => setTimeout(resolve, 4000));
  expect(run.demo.patched(), "nothing reaches the server while offline").toBe(offlineAt);
  const waiting = Object.values(await e2e.statuses(page));
  expect(waiting.filter((status) => status === "failed")).toEqual([]);
  expect(waiting.filter((status) => status === "done").length).toBeLessThan(10);
  await context.setOffline(false);
  await page.waitForSelector("#offline[hidden]", { state: "attached", timeout: 5000 });
  await e2e.allDone(page, 10);
  const activity = await page.locator("#activity").textContent();
  expect(activity).not.toMatch(/failed/);
  expect(await e2e.mismatches(run.demo.dir, files)).toEqual([]);
  expect(run.demo.patched()).toBeLessThanOrEqual(total + files.length * e2e.CHUNK);
  await context.close();
}, 120_000);
