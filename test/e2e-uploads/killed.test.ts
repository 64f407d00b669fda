/**
 * The uploads demo after Chromium itself is killed (SIGKILL) mid-upload: the
 * browser started again on the same profile opens the page, and every file
 * carries on by itself and lands once, byte for byte.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium } from "playwright";
import { afterAll, expect, it } from "vitest";
import { chromiumPath } from "../e2e-idb/_harness.ts";
import * as e2e from "./_harness.ts";

const run = e2e.useDemo({ launch: false }); // this test starts Chromium itself
let profile: string | undefined;
afterAll(async () => {
  // The killed browser's helper processes may still be writing there for a moment.
  if (profile) await rm(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 300 });
});

/** Chromium on `profile`, as its own process, with Playwright connected over DevTools. */
async function startChromium(dir: string): Promise<{ browser: Browser; child: ChildProcess }> {
  const child = spawn(chromiumPath(), [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    `--user-data-dir=${dir}`,
    "--remote-debugging-port=0",
    "about:blank",
  ], { stdio: ["ignore", "ignore", "pipe"] });
  const endpoint = await new Promise<string>((resolve, reject) => {
    let seen = "";
    child.stderr!.on("data", (chunk) => {
      seen += chunk;
      const found = /DevTools listening on (ws:\/\/\S+)/.exec(seen);
      if (found) resolve(found[1]!);
    });
    child.once("exit", (code) => reject(new Error(`Chromium exited (${code}): ${seen}`)));
  });
  return { browser: await chromium.connectOverCDP(endpoint), child };
}

it("after Chromium is killed mid-upload, the next visit finishes every file", async () => {
  profile = await mkdtemp(join(tmpdir(), "stater-e2e-profile-"));
  const files = e2e.testFiles(12, "killed");
  const total = e2e.totalOf(files);
  const first = await startChromium(profile);
  let page = await e2e.openPage(first.browser.contexts()[0]!, run.demo.page);
  await e2e.throttle(page, 2 << 20);
  await e2e.pick(page, files);
  await e2e.until(async () => run.demo.patched() >= 0.35 * total, 60_000, "35% of the bytes");
  const exited = new Promise((resolve) => first.child.once("exit", resolve));
  first.child.kill("SIGKILL");
  await exited;
  const killedAt = run.demo.patched();
  expect(killedAt).toBeLessThan(total);

  const second = await startChromium(profile);
  try {
    page = await e2e.openPage(second.browser.contexts()[0]!, run.demo.page);
    expect((await e2e.summary(page)).files).toBe(12);
    await e2e.allDone(page, 12);
    expect(await e2e.mismatches(run.demo.dir, files)).toEqual([]);
    expect(run.demo.patched()).toBeLessThanOrEqual(total + files.length * e2e.CHUNK);
  } finally {
    const gone = second.child.exitCode !== null
      ? Promise.resolve()
      : new Promise((resolve) => second.child.once("exit", resolve));
    await second.browser.close();
    second.child.kill();
    await gone;
  }
}, 120_000);
