import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 60_000,
    hookTimeout: 300_000,
    // The netns lab and tshark oracles are heavy; two cores on CI.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
