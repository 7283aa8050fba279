import { defineConfig } from 'vitest/config';

// Every test file shares the machine's two cores. (The dormitory floor's meters on a pty, polled
// by the interpreter, ran alone after the rest until 2026-12-05: the floor's session, SMS and soak
// tests, of the same kind, run shared and hold their gates; the run was then over 15 minutes.)

export default defineConfig({
  test: {
    testTimeout: 120000,
    hookTimeout: 60000,
    pool: 'forks',
    projects: [{ extends: true, test: { name: 'shared', include: ['tests/**/*.test.ts'], maxWorkers: 2 } }],
  },
});
