import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { playwright } from "@vitest/browser-playwright";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** Debian's chromium, found on PATH; the browser tests fail loudly without it. */
function chromium(): string {
  let found = "";
  try {
    found = execFileSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).trim();
  } catch { /* not on PATH */ }
  if (!found && existsSync("/usr/bin/chromium")) found = "/usr/bin/chromium";
  if (!found) {
    throw new Error("The browser tests need Chromium: install Debian's chromium package (apt-get install chromium) so that `chromium` is on PATH");
  }
  return found;
}

/**
 * The files share one origin (its databases, locks and quota), so they run
 * one after another; the quota test goes first, because Chromium applies a
 * DevTools quota override only to an origin whose storage it has not used yet.
 */
class QuotaFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    return [...sorted.filter((f) => f.moduleId.endsWith("quota.test.ts")), ...sorted.filter((f) => !f.moduleId.endsWith("quota.test.ts"))];
  }
}

export default defineConfig({
  test: {
    name: "browser",
    include: ["test/browser/**/*.test.ts"],
    testTimeout: 30_000,
    fileParallelism: false,
    sequence: { sequencer: QuotaFirst },
    browser: {
      enabled: true,
      headless: true,
      screenshotFailures: false,
      provider: playwright({
        launchOptions: {
          executablePath: chromium(),
          args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        },
      }),
      instances: [{ browser: "chromium" }],
    },
  },
});
