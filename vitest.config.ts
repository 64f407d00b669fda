import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          include: ["test/**/*.test.ts"],
          exclude: ["test/browser/**", "test/tus/browser/**", "test/deno/**", "**/node_modules/**"],
          environment: "node",
          testTimeout: 30_000,
        },
      },
    ],
  },
});
