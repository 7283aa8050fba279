import { defineConfig } from 'vitest/config';

// Tests whose peers answer in real time (the dormitory floor's meters on a pty, the interpreter
// polling them) run alone, after the rest; the rest share the machine's two cores.
const ALONE = ['tests/metering/dormitory-on-espruino.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 120000,
    hookTimeout: 60000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'shared', include: ['tests/**/*.test.ts'], exclude: ALONE, maxWorkers: 2, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'alone', include: ALONE, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
