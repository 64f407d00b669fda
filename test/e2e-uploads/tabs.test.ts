/** Two tabs on the uploads demo: one runs the uploads, the other shows them; no file twice. */
import type { Page } from "playwright";
import { expect, it } from "vitest";
import * as e2e from "./_harness.ts";

const run = e2e.useDemo();

/** Records which upload URLs each page sends requests to (`PATCH` and `POST`). */
function requestsOf(page: Page): Map<string, number> {
  const seen = new Map<string, number>();
  page.on("request", (request) => {
    if (!request.url().includes("/files") || !["PATCH", "POST"].includes(request.method())) return;
    const url = request.method() === "POST" ? "POST" : request.url();
    seen.set(url, (seen.get(url) ?? 0) + 1);
  });
  return seen;
}

/** Two tabs on the demo, in one context: the first runs the uploads, the second observes. */
async function twoTabs() {
  const context = await run.browser.newContext();
  const first = await e2e.openPage(context, run.demo.page);
  const second = await e2e.openPage(context, run.demo.page);
  expect(await first.getAttribute("body", "data-role")).toBe("run");
  expect(await second.getAttribute("body", "data-role")).toBe("observe");
  return { context, first, second };
}

it(
  "with two tabs open, one uploads every file, the other shows them and passes its files on",
  async () => {
    const { context, first, second } = await twoTabs();
    expect(await second.isVisible("#elsewhere"), "the banner says another tab runs them").toBe(
      true,
    );
    expect(await first.isVisible("#elsewhere")).toBe(false);
    const sentBy = [requestsOf(first), requestsOf(second)];
    await e2e.throttle(first, 4 * 1024 * 1024);
    const files = [...e2e.testFiles(10, "tab-one"), ...e2e.testFiles(8, "tab-two")];
    await e2e.pick(first, files.slice(0, 10));
    await e2e.pick(second, files.slice(10)); // added in the observing tab, uploaded by the other
    await e2e.allDone(second, 18);
    await e2e.allDone(first, 18);
    expect(sentBy[1], "the observing tab sent no upload request").toEqual(new Map());
    expect([...sentBy[0]!.keys()].filter((url) => url !== "POST").length).toBe(18);
    expect(await e2e.mismatches(run.demo.dir, files)).toEqual([]);
    expect(run.demo.patched()).toBe(e2e.totalOf(files));
    await context.close();
  },
  120_000,
);

it(
  "when the tab that runs the uploads closes, the other one takes them over and finishes",
  async () => {
    const { context, first, second } = await twoTabs();
    await e2e.throttle(first, 1024 * 1024);
    await e2e.throttle(second, 4 * 1024 * 1024);
    const files = e2e.testFiles(8, "takeover");
    const before = run.demo.patched();
    await e2e.pick(first, files);
    await e2e.until(
      async () => run.demo.patched() - before >= 0.2 * e2e.totalOf(files),
      60_000,
      "20% sent",
    );
    await first.close();
    await e2e.until(
      async () => (await second.getAttribute("body", "data-role")) === "run",
      15_000,
      "the second tab to take over",
    );
    expect(await second.isVisible("#elsewhere")).toBe(false);
    await e2e.allDone(second, 8);
    expect(await e2e.mismatches(run.demo.dir, files)).toEqual([]);
    await context.close();
  },
  120_000,
);
