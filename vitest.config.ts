import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'protocol/**/*.test.ts',
      'firmware/**/*.test.ts',
      'host/**/*.test.ts',
      'hardware/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    // Fuzz and property suites run 100,000+ inputs: give them room on a 2-core CI machine.
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
