import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "infra/**/*.test.ts",
      "lib/**/*.test.ts",
      "jobs/**/*.test.ts",
      "verify/**/*.test.ts",
      "bench/**/*.test.ts",
      "dev/**/*.test.ts",
      "setup/**/*.test.ts",
    ],
    // Pulumi's mocks are process-global: keep each test file in its own worker.
    isolate: true,
    testTimeout: 20000,
  },
});
