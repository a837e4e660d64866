import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'tests/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'tests/compat/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Cluster, crash and ensemble tests run real processes on a shared 2-core machine: a test
    // that fails is run once more (vitest reports it as flaky) before it counts.
    retry: 1,
  },
});
