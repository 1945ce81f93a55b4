import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // End-to-end tests spawn servers; two cores, so keep the pool small and predictable.
    pool: 'forks',
    maxWorkers: 2,
  },
});
