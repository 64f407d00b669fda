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
            "test/postgres/**",
            "test/conformance/postgres.test.ts",
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
      {
        // Against a real Postgres: one throwaway cluster for the run (test/postgres/_global.ts).
        test: {
          name: "postgres",
          include: ["test/postgres/**/*.test.ts", "test/conformance/postgres.test.ts"],
          globalSetup: ["test/postgres/_global.ts"],
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
