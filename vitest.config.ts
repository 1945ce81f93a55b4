import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * The files that take longest (property runs, ~20 spawned servers sent signals, secrets canaries through every
 * output path), in that order. Two workers finish together only if these start first; without a duration cache
 * (a clean clone, CI) vitest would run the largest files first, and a slow small file could run last on one worker
 * while the other sat idle.
 */
const SLOWEST_FIRST = [
  'test/security/tool-args.test.ts',
  'test/security/secrets.test.ts',
  'test/security/passport-fuzz.test.ts',
  'test/security/load.test.ts',
  'test/e2e/lifecycle.test.ts',
  'test/e2e/cli.test.ts',
  'test/e2e/inspector.test.ts',
  'test/security/registry.test.ts',
  'test/security/protocol.test.ts',
  'test/e2e/trust.test.ts',
  'test/e2e/bundle.test.ts',
];

class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = SLOWEST_FIRST.indexOf(relative(f.project.config.root, f.moduleId).replaceAll('\\', '/'));
      return i < 0 ? SLOWEST_FIRST.length : i;
    };
    return sorted
      .map((f, i) => ({ f, i }))
      .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
      .map(({ f }) => f);
  }
}

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
    sequence: { sequencer: SlowestFirst },
  },
});
