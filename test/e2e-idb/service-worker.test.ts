/** The service-worker demo end to end: the worker runs the task, the page hears its progress. */
import type { Server } from "node:http";
import type { Browser, Page } from "playwright";
import { afterAll, beforeAll, expect, it } from "vitest";
import { serveDemo } from "../../demo/service-worker/serve.ts";
import { launchChromium } from "./_harness.ts";

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
const call = <K extends keyof Demo>(page: Page, method: K, ...args: Parameters<Demo[K]>): Promise<Awaited<ReturnType<Demo[K]>>> =>
  page.evaluate(
    ([m, a]) => ((globalThis as unknown as { demo: Record<string, (...x: unknown[]) => unknown> }).demo[m as string]!)(...(a as unknown[])),
    [method, args] as const,
  ) as never;

it("an engine in a service worker runs a task to done and the page sees its progress", async () => {
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForFunction(() => "demo" in globalThis, undefined, { timeout: 15_000 });
  const inWorker = await page.evaluate(async () => (await navigator.serviceWorker.ready).active?.scriptURL);
  expect(inWorker).toMatch(/\/sw\.js$/);
  await page.evaluate(() => (globalThis as unknown as { demo: Demo }).demo.start("sw-1", 30));
  const until = Date.now() + 15_000;
  while ((await page.evaluate(() => (globalThis as unknown as { demo: Demo }).demo.done())).length === 0) {
    if (Date.now() > until) throw new Error("Timed out waiting for the worker to finish sw-1");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const demo = await page.evaluate(async () => {
    const d = (globalThis as unknown as { demo: Demo }).demo;
    return { done: await d.done(), seen: d.progressSeen() };
  });
  expect(demo.done).toEqual([["sw-1", 30]]);
  expect(demo.seen, "progress from the worker reached the page").toEqual(["sw-1"]);
  await page.close();
}, 60_000);

it("a service worker stopped mid-task resumes it from the last commit on its next event", async () => {
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForFunction(() => "demo" in globalThis, undefined, { timeout: 15_000 });
  await page.evaluate(() => (globalThis as unknown as { demo: Demo }).demo.start("sw-2", 150));
  await new Promise((resolve) => setTimeout(resolve, 800));
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("ServiceWorker.enable");
  await cdp.send("ServiceWorker.stopAllWorkers");
  const stoppedAt = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const step = () => page.evaluate(() => (globalThis as unknown as { demo: Demo }).demo.step("sw-2"));
  const stoppedStep = await step();
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(await step(), "no step while the worker is stopped").toBe(stoppedStep);
  expect(stoppedStep).toBeGreaterThan(0);
  expect(stoppedStep).toBeLessThan(150);
  // Any event wakes the worker again: opening its engine resumes the task.
  await page.evaluate(async () => (await navigator.serviceWorker.ready).active!.postMessage({ type: "wake" }));
  const until = Date.now() + 15_000;
  while (!(await page.evaluate(() => (globalThis as unknown as { demo: Demo }).demo.done())).some(([id]) => id === "sw-2")) {
    if (Date.now() > until) throw new Error("Timed out waiting for the worker to resume sw-2");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(Date.now() - stoppedAt).toBeGreaterThan(300);
  const done = await page.evaluate(() => (globalThis as unknown as { demo: Demo }).demo.done());
  expect(done.find(([id]) => id === "sw-2")).toEqual(["sw-2", 150]);
  await page.close();
}, 60_000);

it("the page pauses a task the service worker runs, and the worker resumes it to the exact result", async () => {
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForFunction(() => "demo" in globalThis, undefined, { timeout: 15_000 });
  await call(page, "start", "sw-3", 200);
  const started = Date.now();
  while ((await call(page, "step", "sw-3")) < 20) {
    if (Date.now() - started > 15_000) throw new Error("Timed out waiting for the worker to step sw-3");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  expect(await call(page, "pause", "sw-3")).toBe("paused");
  const pausedAt = await call(page, "step", "sw-3");
  await new Promise((resolve) => setTimeout(resolve, 400));
  expect(await call(page, "step", "sw-3"), "no step while paused").toBe(pausedAt);
  expect(pausedAt).toBeLessThan(200);
  await call(page, "resume", "sw-3");
  const until = Date.now() + 15_000;
  while (!(await call(page, "done")).some(([id]) => id === "sw-3")) {
    if (Date.now() > until) throw new Error("Timed out waiting for the worker to finish sw-3");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect((await call(page, "done")).find(([id]) => id === "sw-3")).toEqual(["sw-3", 200]);
  await page.close();
}, 60_000);
