import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          include: ["test/**/*.test.ts"],
          exclude: [
            "test/browser/**",
            "test/tus/browser/**",
            "test/deno/**",
            "test/package/**",
            "**/node_modules/**",
          ],
          environment: "node",
          testTimeout: 30_000,
        },
      },
      {
        // The packed package (npm pack builds it): run on its own, since it rebuilds dist/.
        test: {
          name: "package",
          include: ["test/package/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
        },
      },
    ],
  },
});
