import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // End-to-end tests spawn servers; two cores, so keep the pool small and predictable.
    pool: 'forks',
    maxWorkers: 2,
    // Test files share their worker's module cache: the code keeps no module-level mutable state (AGENTS.md), and
    // re-importing the SDK, zod and the core for every file was about a third of the suite's CPU time.
    isolate: false,
  },
});
