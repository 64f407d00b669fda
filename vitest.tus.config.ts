import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import browserTests from "./vitest.browser.config.ts";

/**
 * The Chromium tests of stater/tus, against a real tus server started on Node
 * (test/tus/browser/_setup.ts). A run of their own gives them a fresh browser
 * profile, so that the storage test can set a DevTools quota on an origin
 * whose storage is unused yet; it goes first for the same reason.
 */
class StorageFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const first = (f: TestSpecification) => f.moduleId.endsWith("storage.test.ts");
    return [...sorted.filter(first), ...sorted.filter((f) => !first(f))];
  }
}

export default defineConfig({
  test: {
    name: "tus-browser",
    include: ["test/tus/browser/**/*.test.ts"],
    globalSetup: ["test/tus/browser/_setup.ts"],
    testTimeout: 60_000,
    fileParallelism: false,
    sequence: { sequencer: StorageFirst },
    // The same Chromium, launched the same way, as the other browser tests.
    browser: browserTests.test!.browser,
  },
});
