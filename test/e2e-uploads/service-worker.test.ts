/** The service-worker variant: the uploads go on with every page closed, and finish. */
import { expect, it } from "vitest";
import * as e2e from "./_harness.ts";

const run = e2e.useDemo({ pace: 512 * 1024 });

it(
  "uploads run in the service worker with every page closed, and finish once a page is back",
  async () => {
    const files = e2e.testFiles(12, "sw");
    const total = e2e.totalOf(files);
    const context = await run.browser.newContext();
    let page = await e2e.openPage(context, run.demo.swPage);
    expect(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toMatch(
      /\/sw\/sw\.js$/,
    );
    const pageRequests: string[] = [];
    page.on("request", (request) => {
      if (request.url().includes("/files")) pageRequests.push(request.method());
    });
    await e2e.pick(page, files);
    await e2e.until(
      async () => run.demo.patched() >= 0.25 * total,
      60_000,
      "a quarter of the bytes",
    );
    await page.close();
    expect(pageRequests, "the page itself sent no upload request").toEqual([]);

    // No page open: the worker goes on.
    const closedAt = run.demo.patched();
    await e2e.until(
      async () => run.demo.patched() >= closedAt + 4 * e2e.CHUNK,
      30_000,
      "bytes, no page open",
    );
    expect(run.demo.patched()).toBeLessThan(total);

    // The browser stops the worker (as it does after some time): the uploads stop with it.
    const blank = await context.newPage();
    const cdp = await context.newCDPSession(blank);
    await cdp.send("ServiceWorker.enable");
    await cdp.send("ServiceWorker.stopAllWorkers");
    await new Promise((resolve) => setTimeout(resolve, 500));
    const stoppedAt = run.demo.patched();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(run.demo.patched(), "nothing sent while the worker is stopped").toBe(stoppedAt);
    expect(stoppedAt).toBeLessThan(total);

    // A page again: the worker starts, and its engine resumes every unfinished upload.
    page = await e2e.openPage(context, run.demo.swPage);
    await e2e.allDone(page, files.length);
    expect(await e2e.mismatches(run.demo.dir, files)).toEqual([]);
    expect(run.demo.patched()).toBeLessThanOrEqual(total + 2 * files.length * e2e.CHUNK);
    await context.close();
  },
  120_000,
);
