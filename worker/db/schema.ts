import { sql } from 'drizzle-orm'
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import type { DeploymentStatus } from '../../core/deployment/status'
import type { Access, DeploymentScope, Role } from '../../core/people'

/**
 * The D1 schema, the one source of the tables and their types. `drizzle-kit generate` turns it
 * into `migrations/`, which wrangler applies locally, remotely and in tests. Times are epoch
 * milliseconds.
 */

const now = sql`(cast(unixepoch('subsecond') * 1000 as integer))`

/** Key-value settings; values are JSON. Secrets inside are AES-GCM ciphertexts, never plain. */
export const settings = sqliteTable('settings', {
  key: text('key').primaryKey(),
  valueJson: text('value_json').notNull(),
  updatedAt: integer('updated_at').notNull().default(now),
  updatedBy: text('updated_by'),
})

export const users = sqliteTable('users', {
  id: text('id').primaryKey(),
  /** Stored lower-case; login is case-insensitive on the name. */
  username: text('username').notNull().unique(),
  /** `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>` */
  passwordHash: text('password_hash').notNull(),
  /** core/people.ts. The migration that added roles made the accounts already there owners. */
  role: text('role').$type<Role>().notNull().default('viewer'),
  /** `granted`: only the deployments in `deployment_grants` (operators and viewers). */
  deploymentScope: text('deployment_scope').$type<DeploymentScope>().notNull().default('all'),
  /** Set while the account is disabled: it cannot sign in and its sessions are gone. */
  disabledAt: integer('disabled_at'),
  /** The TOTP secret (base32), sealed; set once enrolment is confirmed with a first code. */
  totpSecretEnc: text('totp_secret_enc'),
  /** A secret being enrolled, sealed, until its first code confirms it. */
  totpPendingEnc: text('totp_pending_enc'),
  /** The last 30-second step a code was accepted for: that code, or an older one, is a replay. */
  totpLastStep: integer('totp_last_step'),
  createdAt: integer('created_at').notNull().default(now),
  updatedAt: integer('updated_at').notNull().default(now),
})

/** Per-deployment access for accounts whose scope is `granted`. Rows go with their user. */
export const deploymentGrants = sqliteTable(
  'deployment_grants',
  {
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    deploymentId: text('deployment_id').notNull(),
    access: text('access').$type<Access>().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.deploymentId] }),
    index('deployment_grants_deployment_idx').on(t.deploymentId),
  ],
)

/**
 * API tokens for scripts: `Authorization: Bearer pgd_…`. Only the SHA-256 is stored; a token acts
 * as its user, narrowed to its scope (read, operate, admin) and, optionally, to some deployments.
 */
export const apiTokens = sqliteTable(
  'api_tokens',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    scope: text('scope').$type<'read' | 'operate' | 'admin'>().notNull(),
    /** A JSON list of deployment ids the token is limited to; null: all its user sees. */
    deploymentIdsJson: text('deployment_ids_json'),
    createdAt: integer('created_at').notNull().default(now),
    expiresAt: integer('expires_at').notNull(),
    lastUsedAt: integer('last_used_at'),
    revokedAt: integer('revoked_at'),
  },
  (t) => [index('api_tokens_user_idx').on(t.userId)],
)

/**
 * One-time links: an invite (creates an account with `role`, scope and grants) or a password
 * reset (for `user_id`). Only the token's SHA-256 is stored; `used_at` makes it single use.
 */
export const accountLinks = sqliteTable(
  'account_links',
  {
    id: text('id').primaryKey(),
    tokenHash: text('token_hash').notNull().unique(),
    kind: text('kind').$type<'invite' | 'reset'>().notNull(),
    role: text('role').$type<Role>(),
    deploymentScope: text('deployment_scope').$type<DeploymentScope>(),
    grantsJson: text('grants_json'),
    userId: text('user_id').references(() => users.id, { onDelete: 'cascade' }),
    createdBy: text('created_by'),
    createdAt: integer('created_at').notNull().default(now),
    expiresAt: integer('expires_at').notNull(),
    usedAt: integer('used_at'),
  },
  (t) => [index('account_links_expires_idx').on(t.expiresAt)],
)

export const sessions = sqliteTable(
  'sessions',
  {
    /** SHA-256 (hex) of the cookie value: a leaked table does not leak live sessions. */
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: integer('created_at').notNull().default(now),
    /** Absolute end, set at sign-in (SESSION_TTL_MS). */
    expiresAt: integer('expires_at').notNull(),
    /** Last request seen (coarsely: http/sessions.ts), for the idle timeout; null: created_at. */
    lastSeenAt: integer('last_seen_at'),
    ip: text('ip'),
    userAgent: text('user_agent'),
    /** 1 after a password that still needs its second factor: only that check is allowed. */
    pendingSecondFactor: integer('pending_second_factor').notNull().default(0),
    /** When this session last proved the second factor (sensitive actions need it recent). */
    secondFactorAt: integer('second_factor_at'),
  },
  (t) => [index('sessions_user_idx').on(t.userId), index('sessions_expires_idx').on(t.expiresAt)],
)

/** Single-use recovery codes for the second factor, as SHA-256 hashes. */
export const recoveryCodes = sqliteTable(
  'recovery_codes',
  {
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    codeHash: text('code_hash').notNull(),
    usedAt: integer('used_at'),
  },
  (t) => [primaryKey({ columns: [t.userId, t.codeHash] })],
)

/**
 * Which deployments a session has a live socket open on, so signing out can close them at once
 * (a socket outlives the request that opened it). Rows go with their session.
 */
export const sessionSockets = sqliteTable(
  'session_sockets',
  {
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    deploymentId: text('deployment_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.deploymentId] })],
)

export const runners = sqliteTable(
  'runners',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    /** SHA-256 (hex) of the long-lived runner key; null until the one-time code is redeemed. */
    keyHash: text('key_hash').unique(),
    /** SHA-256 (hex) of the one-time registration code; cleared once redeemed. */
    codeHash: text('code_hash').unique(),
    codeExpiresAt: integer('code_expires_at'),
    createdAt: integer('created_at').notNull().default(now),
    registeredAt: integer('registered_at'),
    lastSeenAt: integer('last_seen_at'),
    version: text('version'),
    sshPublicKey: text('ssh_public_key'),
    maxJobs: integer('max_jobs'),
    revokedAt: integer('revoked_at'),
  },
  (t) => [index('runners_revoked_idx').on(t.revokedAt)],
)

export const deployments = sqliteTable(
  'deployments',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    game: text('game').notNull(),
    /** What the admin asked for: sizing, network, the game's config. */
    inputsJson: text('inputs_json').notNull(),
    /** What verification saw once ready (version, motd, players…). */
    resultJson: text('result_json'),
    /** The last failure: step, message, detail. */
    errorJson: text('error_json'),
    /** The last live status a runner reported (power, game ping), while ready or stopped. */
    liveJson: text('live_json'),
    vmid: integer('vmid'),
    ip: text('ip'),
    status: text('status').$type<DeploymentStatus>().notNull(),
    runnerId: text('runner_id'),
    createdBy: text('created_by'),
    createdAt: integer('created_at').notNull().default(now),
    updatedAt: integer('updated_at').notNull().default(now),
  },
  (t) => [
    index('deployments_status_idx').on(t.status),
    index('deployments_created_idx').on(t.createdAt),
    // One deployment per address until it is destroyed: a cancelled or failed one may still
    // have a VM holding it.
    uniqueIndex('deployments_live_ip_idx')
      .on(t.ip)
      .where(sql`status <> 'destroyed'`),
  ],
)

/** Append-only; `seq` is per deployment, gap-free, assigned by the DeploymentDO. */
export const deploymentLogs = sqliteTable(
  'deployment_logs',
  {
    deploymentId: text('deployment_id').notNull(),
    seq: integer('seq').notNull(),
    jobId: text('job_id'),
    ts: integer('ts').notNull(),
    step: text('step'),
    stream: text('stream').notNull(),
    text: text('text').notNull(),
  },
  (t) => [primaryKey({ columns: [t.deploymentId, t.seq] })],
)

/** The job queue: queued → leased → done | failed | cancelled. */
export const jobs = sqliteTable(
  'jobs',
  {
    id: text('id').primaryKey(),
    deploymentId: text('deployment_id').notNull(),
    kind: text('kind').notNull(),
    status: text('status').notNull(),
    attempt: integer('attempt').notNull().default(0),
    runnerId: text('runner_id'),
    createdAt: integer('created_at').notNull().default(now),
    updatedAt: integer('updated_at').notNull().default(now),
  },
  (t) => [
    index('jobs_status_idx').on(t.status, t.createdAt),
    index('jobs_deployment_idx').on(t.deploymentId),
    index('jobs_runner_idx').on(t.runnerId, t.status),
  ],
)

export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: integer('at').notNull().default(now),
    userId: text('user_id'),
    /** Who, as a person reads it: a username, `runner:<name>`, or `anonymous`. */
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    target: text('target'),
    ip: text('ip'),
    userAgent: text('user_agent'),
    detailsJson: text('details_json'),
  },
  (t) => [index('audit_action_at_idx').on(t.action, t.at), index('audit_at_idx').on(t.at)],
)

/**
 * Passkeys (WebAuthn credentials). Only public keys are kept: the credential id, the public key
 * (SEC1 uncompressed for ES256, PKCS#1 for RS256, base64url) and the signature counter the
 * authenticator last reported, which must grow (a cloned authenticator gives itself away).
 */
export const passkeys = sqliteTable(
  'passkeys',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The authenticator's credential id, base64url. */
    credentialId: text('credential_id').notNull().unique(),
    /** COSE algorithm: -7 (ES256) or -257 (RS256). */
    algorithm: integer('algorithm').notNull(),
    publicKey: text('public_key').notNull(),
    counter: integer('counter').notNull().default(0),
    name: text('name').notNull(),
    createdAt: integer('created_at').notNull().default(now),
    lastUsedAt: integer('last_used_at'),
  },
  (t) => [index('passkeys_user_idx').on(t.userId)],
)

/**
 * WebAuthn challenges, kept server-side: single use (deleted when spent) and short-lived. `userId`
 * is set for a registration or a second-factor check, null for a passwordless sign-in.
 */
export const webauthnChallenges = sqliteTable(
  'webauthn_challenges',
  {
    /** SHA-256 of the challenge, hex. */
    id: text('id').primaryKey(),
    purpose: text('purpose').$type<'register' | 'login' | 'verify'>().notNull(),
    userId: text('user_id'),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('webauthn_challenges_expires_idx').on(t.expiresAt)],
)
