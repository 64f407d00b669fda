/** The service-worker variant: the uploads go on with every page closed, and finish. */
import type { BrowserContext } from "playwright";
import { expect, it } from "vitest";
import * as e2e from "./_harness.ts";

const run = e2e.useDemo({ pace: 512 * 1024 });
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Stops the context's service workers through DevTools, from a blank page,
 * and checks that no byte reaches the server then; returns that DevTools
 * session and the worker's registration id.
 */
async function stopWorker(context: BrowserContext, total: number) {
  const blank = await context.newPage();
  const cdp = await context.newCDPSession(blank);
  const registrations: string[] = [];
  cdp.on("ServiceWorker.workerRegistrationUpdated", ({ registrations: list }) => {
    for (const r of list) if (r.scopeURL.endsWith("/sw/")) registrations.push(r.registrationId);
  });
  await cdp.send("ServiceWorker.enable");
  await cdp.send("ServiceWorker.stopAllWorkers");
  await wait(500);
  const stoppedAt = run.demo.patched();
  await wait(1000);
  expect(run.demo.patched(), "nothing sent while the worker is stopped").toBe(stoppedAt);
  expect(stoppedAt).toBeLessThan(total);
  return { cdp, registration: registrations.at(-1)! };
}

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
    await stopWorker(context, total);

    // A page again: the worker starts, and its engine resumes every unfinished upload.
    page = await e2e.openPage(context, run.demo.swPage);
    await e2e.allDone(page, files.length);
    expect(await e2e.mismatches(run.demo.dir, files)).toEqual([]);
    expect(run.demo.patched()).toBeLessThanOrEqual(total + 2 * files.length * e2e.CHUNK);
    await context.close();
  },
  120_000,
);

it(
  "a Background Sync event wakes the stopped worker, which finishes the uploads with no page open",
  async () => {
    const files = e2e.testFiles(8, "sync");
    const before = run.demo.patched();
    const { context, page, total } = await e2e.begin(run, files, { url: run.demo.swPage });
    await e2e.until(
      async () => run.demo.patched() - before >= 0.2 * total,
      60_000,
      "a fifth of the bytes",
    );
    await page.close();
    const { cdp, registration } = await stopWorker(context, before + total);
    expect(registration).toBeTruthy();
    await cdp.send("ServiceWorker.dispatchSyncEvent", {
      origin: new URL(run.demo.url).origin,
      registrationId: registration,
      tag: "stater-uploads",
      lastChance: false,
    });
    await e2e.until(
      async () => (await e2e.mismatches(run.demo.dir, files)).length === 0,
      60_000,
      "every file on the server, no page open",
    );
    expect(context.pages().map((p) => p.url())).toEqual(["about:blank"]);
    expect(run.demo.patched() - before).toBeLessThanOrEqual(total + 2 * files.length * e2e.CHUNK);
    await context.close();
  },
  120_000,
);
