import { defineConfig } from 'vitest/config';

// The compatibility lab (pnpm test:compat, via tests/compat/run.sh): suites that need other
// runtimes (Python, Go, Java, kcat, ZooKeeper, real Apache Kafka). Each suite starts JVMs and
// client processes, so at most two files run at once on the 2-core machines.
export default defineConfig({
  test: {
    include: ['tests/compat/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'tests/compat/.cache/**'],
    pool: 'forks',
    // Real third-party clients, JVMs and multi-process ensembles on a shared 2-core machine:
    // a test that fails is run once more (vitest reports it as flaky) before it counts.
    retry: 1,
    maxWorkers: 2,
    fileParallelism: true,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    teardownTimeout: 60_000,
  },
});
