import { playwright } from "@vitest/browser-playwright";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import { chromiumPath } from "./test/e2e-idb/_harness.ts";

/**
 * The files share one origin (its databases, locks and quota), so they run
 * one after another; the quota test goes first, because Chromium applies a
 * DevTools quota override only to an origin whose storage it has not used yet.
 */
class QuotaFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    return [
      ...sorted.filter((f) => f.moduleId.endsWith("quota.test.ts")),
      ...sorted.filter((f) => !f.moduleId.endsWith("quota.test.ts")),
    ];
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
          executablePath: chromiumPath(), // throws when Chromium is missing: never a quiet skip
          args: [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
          ],
        },
      }),
      instances: [{ browser: "chromium" }],
    },
  },
});
