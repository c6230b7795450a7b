import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'

/**
 * Three test projects, one per runtime seam:
 * - `worker`: the real worker entry and Durable Objects inside workerd, with a real local D1
 *   migrated from `migrations/` (the same files wrangler applies).
 * - `node`: core, runner, Proxmox simulator, Ansible checks — plain Node.
 * - `e2e`: whole processes (wrangler dev, runner, simulator, Chromium) on loopback.
 * - `chaos`: the same, the fault-injection files (a runner SIGKILLed inside each step, with fake
 *   and with real executors; 20 deployments through injected Proxmox faults): over three minutes,
 *   so `npm test` leaves them to `npm run test:chaos`, which CI runs after it.
 */
const CHAOS = [
  'test/e2e/chaos-kill.test.ts',
  'test/e2e/chaos-kill-real.test.ts',
  'test/e2e/engine-sim.test.ts',
]

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest(async () => ({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                APP_ENC_KEY: 'test-only-key-0123456789abcdef0123456789abcdef',
                SETUP_CODE: 'TESTS-SETUP-CODE2-WORKR',
                // Sign-in waits short enough to wait out in a test (the product's: 1 s, 1 min, 15 min).
                LOGIN_BACKOFF_BASE_MS: '300',
                // Every-N-hours schedules in seconds: an hour lasts 3 s.
                SCHEDULE_MINUTE_MS: '50',
                LOGIN_BACKOFF_ACCOUNT_MAX_MS: '1200',
                LOGIN_BACKOFF_ADDRESS_MAX_MS: '2400',
                // Alert retries short enough to watch all of them (the product's: 5 tries, 30 s).
                ALERT_MAX_ATTEMPTS: '2',
                ALERT_RETRY_BASE_MS: '20',
                TEST_MIGRATIONS: await readD1Migrations('./migrations'),
              },
            },
          })),
        ],
        test: {
          name: 'worker',
          include: ['test/worker/**/*.test.ts'],
          setupFiles: ['test/worker/apply-migrations.ts'],
        },
      },
      {
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/worker/**', 'test/e2e/**', 'node_modules/**'],
          environment: 'node',
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          exclude: CHAOS,
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'chaos',
          include: CHAOS,
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
})
