import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Generous: the integration tests crawl real servers on a busy 2-core machine; each one
    // aims to stay well under a minute.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // Integration tests open real servers and databases; two cores want few workers.
    maxWorkers: 2,
  },
});
