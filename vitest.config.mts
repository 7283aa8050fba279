import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 120000,
    hookTimeout: 60000,
    pool: 'forks',
    // Two at a time on a 2-core machine (the default leaves one core idle): the longest files
    // run the interpreter or socat in real time and mostly wait.
    maxWorkers: 2,
  },
});
