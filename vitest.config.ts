import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // Each test file's temporary files live in a directory of its own, removed after it (test/support/temp-root.ts).
    setupFiles: ['test/support/temp-root.ts'],
    testTimeout: 60_000,
    hookTimeout: 300_000,
    // The netns lab and tshark oracles are heavy; two cores on CI.
    maxWorkers: 2,
    minWorkers: 1,
    // Polled UI and service assertions get time on a loaded 2-core CI machine (a failure still fails).
    expect: { poll: { timeout: 5_000, interval: 50 } },
  },
});
