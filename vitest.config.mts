import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    // Pulumi's mocks are process-global: keep each test file in its own worker.
    isolate: true,
    testTimeout: 20000,
  },
});
