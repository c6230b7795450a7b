import type { D1Migration } from 'cloudflare:test'

declare global {
  namespace Cloudflare {
    interface Env {
      /** The SQL files of migrations/, read by vitest.config.ts, applied by apply-migrations.ts. */
      TEST_MIGRATIONS: D1Migration[]
    }
  }
}
