import * as z from 'zod'
import { HEARTBEAT_INTERVAL_MS } from '../../../core/protocol'
import { FakeOptions } from '../executors/fake-options'
import { LOG_LEVELS } from '../logger'
import { LOOPBACK_HOST } from './rules'

/**
 * The runner's configuration as zod schemas: the one source of its types (no hand-copied
 * interfaces) and the reference `loadConfig`'s hand-written checks are tested against
 * (test/runner/config.test.ts), value by value. The runner itself does not load these at start: zod
 * alone would be ~15 MB of an idle runner's memory.
 */

/** The dashboard's base URL: https anywhere, http only to this machine (dev and tests). */
export const ServerUrl = z
  .string()
  .trim()
  .url('must be a URL such as https://games.example.com')
  // Runs after a failed .url() too (its issue does not abort): an unparsable value is not ours.
  .refine((u) => {
    const url = URL.parse(u)
    return (
      url === null ||
      url.protocol === 'https:' ||
      (url.protocol === 'http:' && LOOPBACK_HOST.test(url.hostname))
    )
  }, 'must start with https:// (http:// only for localhost)')
  .transform((u) => u.replace(/\/+$/, ''))
export type ServerUrl = z.infer<typeof ServerUrl>

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max)

/** Settings shared by every command. */
const Common = {
  stateDir: z.string().min(1, 'is required (or set STATE_DIRECTORY or HOME)'),
  keyFile: z.string().min(1),
  logLevel: z.enum(LOG_LEVELS).default('info'),
  name: z.string().trim().min(1).max(63),
}

export const RegisterConfig = z.object({
  command: z.literal('register'),
  ...Common,
  server: ServerUrl,
  code: z.string().trim().min(1, 'is required: create a code in the dashboard under Runners'),
})
export type RegisterConfig = z.infer<typeof RegisterConfig>

export const RunConfig = z
  .object({
    command: z.literal('run'),
    ...Common,
    /** Overrides the server saved by `register`, e.g. for containers configured by env only. */
    server: ServerUrl.optional(),
    /** The runner key, when not read from `keyFile` (12-factor: config in the environment). */
    key: z.string().min(16).optional(),
    maxJobs: int(1, 64).default(2),
    heartbeatIntervalMs: int(50, 300_000).default(HEARTBEAT_INTERVAL_MS),
    backoffBaseMs: int(10, 60_000).default(1_000),
    backoffMaxMs: int(10, 600_000).default(30_000),
    drainTimeoutMs: int(0, 3_600_000).default(90_000),
    logFlushMs: int(1, 10_000).default(50),
    logBatchLines: int(1, 5_000).default(2_000),
    executor: z.enum(['real', 'fake']).default('real'),
    /** Real executors: run the game playbook with Ansible, or only simulate it (demo, bench). */
    provisioner: z.enum(['ansible', 'simulated']).default('ansible'),
    /** Simulated provisioner: how long each of its playbook tasks takes (demo, fault tests). */
    simulatedTaskMs: int(0, 600_000).default(0),
    /** How long verify waits for the game to answer as configured (default 5 min). */
    verifyTimeoutMs: int(1_000, 3_600_000).default(300_000),
    /** How long the game publishers' version lists are cached (default 10 min). */
    versionListTtlMs: int(0, 86_400_000).default(600_000),
    /** Folder with provision_<game>.yml and its roles; beside the bundle by default. */
    ansibleDir: z.string().min(1).optional(),
    /** This host's address as the VMs see it: admin ports (RCON) are opened to it alone. */
    address: z
      .string()
      .trim()
      .regex(/^\d{1,3}(\.\d{1,3}){3}$/, 'must be an IPv4 address')
      .optional(),
    /** Mirrors for air-gapped sites and tests; artifacts keep their checksums. */
    minecraftManifestUrl: z.string().url().optional(),
    paperApiUrl: z.string().url().optional(),
    mojangProfilesUrl: z.string().url().optional(),
    artifactUrl: z.string().url().optional(),
    fake: FakeOptions,
  })
  .refine((c) => c.backoffMaxMs >= c.backoffBaseMs, {
    message: 'must not be below RUNNER_BACKOFF_BASE_MS',
    path: ['backoffMaxMs'],
  })
export type RunConfig = z.infer<typeof RunConfig>

/** What `register` saves and `run` reads: the long-lived runner key and where to use it. */
export const Credentials = z.object({
  server: z.string().url(),
  runnerId: z.string().min(1),
  key: z.string().min(16),
})
export type Credentials = z.infer<typeof Credentials>
