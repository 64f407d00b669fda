/** The service-worker demo end to end: the worker runs the task, the page hears its progress. */
import type { Server } from "node:http";
import type { Browser, Page } from "playwright";
import { afterAll, beforeAll, expect, it } from "vitest";
import { serveDemo } from "../../demo/service-worker/serve.ts";
import { launchChromium, until } from "./_harness.ts";

let browser: Browser;
let server: Server;
let url: string;

beforeAll(async () => {
  ({ server, url } = await serveDemo(0));
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

type Demo = {
  start(id: string, to: number): void;
  done(): Promise<[string, number][]>;
  progressSeen(): string[];
  step(id: string): Promise<number>;
  pause(id: string): Promise<string | undefined>;
  resume(id: string): void;
};
/** Calls `demo[method](...args)` in the page. */
const call = <K extends keyof Demo>(
  page: Page,
  method: K,
  ...args: Parameters<Demo[K]>
): Promise<Awaited<ReturnType<Demo[K]>>> =>
  page.evaluate(
    ([m, a]) =>
      ((globalThis as unknown as { demo: Record<string, (...x: unknown[]) => unknown> })
        .demo[m as string]!)(...(a as unknown[])),
    [method, args] as const,
  ) as never;

/** A new page on the demo, once its engine and worker are ready. */
async function openDemo(): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForFunction(() => "demo" in globalThis, undefined, { timeout: 15_000 });
  return page;
}

/** Waits until the page lists task `id` as done; returns its result. */
async function doneResult(page: Page, id: string): Promise<unknown> {
  const found = await until(
    async () => (await call(page, "done")).find(([t]) => t === id),
    15_000,
    `the worker to finish ${id}`,
  );
  return found[1];
}

it("an engine in a service worker runs a task to done and the page sees its progress", async () => {
  const page = await openDemo();
  const inWorker = await page.evaluate(async () =>
    (await navigator.serviceWorker.ready).active?.scriptURL
  );
  expect(inWorker).toMatch(/\/sw\.js$/);
  await call(page, "start", "sw-1", 30);
  expect(await doneResult(page, "sw-1")).toBe(30);
  expect(await call(page, "done")).toEqual([["sw-1", 30]]);
  expect(await call(page, "progressSeen"), "progress from the worker reached the page").toEqual([
    "sw-1",
  ]);
  await page.close();
}, 60_000);

it(
  "a service worker stopped mid-task resumes it from the last commit on its next event",
  async () => {
    const page = await openDemo();
    await call(page, "start", "sw-2", 150);
    await new Promise((resolve) => setTimeout(resolve, 800));
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("ServiceWorker.enable");
    await cdp.send("ServiceWorker.stopAllWorkers");
    const stoppedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stoppedStep = await call(page, "step", "sw-2");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await call(page, "step", "sw-2"), "no step while the worker is stopped").toBe(
      stoppedStep,
    );
    expect(stoppedStep).toBeGreaterThan(0);
    expect(stoppedStep).toBeLessThan(150);
    // Any event wakes the worker again: opening its engine resumes the task.
    await page.evaluate(async () =>
      (await navigator.serviceWorker.ready).active!.postMessage({ type: "wake" })
    );
    expect(await doneResult(page, "sw-2")).toBe(150);
    expect(Date.now() - stoppedAt).toBeGreaterThan(300);
    await page.close();
  },
  60_000,
);

it(
  "the page pauses a task the service worker runs, and the worker resumes it to the exact result",
  async () => {
    const page = await openDemo();
    await call(page, "start", "sw-3", 200);
    await until(
      async () => (await call(page, "step", "sw-3")) >= 20,
      15_000,
      "the worker to step sw-3",
    );
    expect(await call(page, "pause", "sw-3")).toBe("paused");
    const pausedAt = await call(page, "step", "sw-3");
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await call(page, "step", "sw-3"), "no step while paused").toBe(pausedAt);
    expect(pausedAt).toBeLessThan(200);
    await call(page, "resume", "sw-3");
    expect(await doneResult(page, "sw-3")).toBe(200);
    await page.close();
  },
  60_000,
);
