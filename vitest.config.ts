import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['apps/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Socket and service tests open ports and child processes; files run in separate forks.
    pool: 'forks',
    reporters: process.env.VITEST_JSON ? ['default', ['json', { outputFile: process.env.VITEST_JSON }]] : ['default'],
  },
});
