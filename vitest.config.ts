import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Real-kernel tests build namespaces and run QEMU: keep files in one worker at a time per file.
    fileParallelism: true,
    pool: 'forks',
  },
});
