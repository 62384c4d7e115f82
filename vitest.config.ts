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
    // Builds the native Ed25519 (firmware/native) once, before the test files run in parallel.
    globalSetup: ['firmware/native/vitest.global-setup.ts'],
  },
});
