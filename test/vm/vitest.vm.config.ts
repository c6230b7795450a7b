import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

/**
 * The real-VM tier, kept out of the `node` project (its files are `*.vm-spec.ts`, not
 * `*.test.ts`): minutes long, needs root, qemu, debootstrap and a JDK.
 *   npx vitest run --config test/vm/vitest.vm.config.ts
 */
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/vm/**/*.vm-spec.ts'],
    environment: 'node',
    testTimeout: 20 * 60_000,
    hookTimeout: 45 * 60_000,
    fileParallelism: false,
  },
})
