import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // End-to-end tests spawn servers; two cores, so keep the pool small and predictable.
    pool: 'forks',
    maxWorkers: 2,
    // Files share a worker's module cache: the SDK, zod and the test helpers load once per worker, not once per
    // file (~20 % of the suite's CPU). Every file closes what it opens (servers, apps, timers), so nothing leaks
    // from one file into the next; a file that needs a fresh module state must say so itself.
    isolate: false,
  },
});
