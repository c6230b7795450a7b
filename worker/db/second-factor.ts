import { and, eq, isNull, lt, or, sql } from 'drizzle-orm'
import { orm } from './client'
import { recoveryCodes, sessions, users } from './schema'

/** The second-factor columns of an account. */
export async function totpOf(db: D1Database, userId: string) {
  const row = await orm(db)
    .select({
      secretEnc: users.totpSecretEnc,
      pendingEnc: users.totpPendingEnc,
      lastStep: users.totpLastStep,
    })
    .from(users)
    .where(eq(users.id, userId))
    .get()
  return row ?? null
}

/** Keep a secret being enrolled until its first code confirms it. */
export async function setPendingTotp(db: D1Database, userId: string, sealed: string) {
  await orm(db).update(users).set({ totpPendingEnc: sealed }).where(eq(users.id, userId))
}

/**
 * Record `step` as used, only if it is newer than the last one used: of two requests with the
 * same code exactly one gets `true` (the replay check and the write are one statement).
 */
export async function claimTotpStep(db: D1Database, userId: string, step: number) {
  const result = await orm(db)
    .update(users)
    .set({ totpLastStep: step })
    .where(and(eq(users.id, userId), or(isNull(users.totpLastStep), lt(users.totpLastStep, step))))
    .run()
  return result.meta.changes === 1
}

/** Turn the enrolled secret on with its recovery codes (hashes), replacing any earlier ones. */
export async function enableTotp(
  db: D1Database,
  userId: string,
  secretEnc: string,
  step: number,
  codeHashes: readonly string[],
) {
  const d = orm(db)
  await d.batch([
    d
      .update(users)
      .set({ totpSecretEnc: secretEnc, totpPendingEnc: null, totpLastStep: step })
      .where(eq(users.id, userId)),
    d.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)),
    d.insert(recoveryCodes).values(codeHashes.map((codeHash) => ({ userId, codeHash }))),
  ])
}

/** Turn the second factor off for an account (its recovery codes go too). */
export async function disableTotp(db: D1Database, userId: string) {
  const d = orm(db)
  await d.batch([
    d
      .update(users)
      .set({ totpSecretEnc: null, totpPendingEnc: null, totpLastStep: null })
      .where(eq(users.id, userId)),
    d.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)),
  ])
}

/** Spend a recovery code: true once, for an unused code of this account. */
export async function useRecoveryCode(db: D1Database, userId: string, codeHash: string) {
  const result = await orm(db)
    .update(recoveryCodes)
    .set({ usedAt: Date.now() })
    .where(
      and(
        eq(recoveryCodes.userId, userId),
        eq(recoveryCodes.codeHash, codeHash),
        isNull(recoveryCodes.usedAt),
      ),
    )
    .run()
  return result.meta.changes === 1
}

/** How many recovery codes an account has left. */
export async function recoveryCodesLeft(db: D1Database, userId: string): Promise<number> {
  const row = await orm(db)
    .select({ n: sql<number>`count(*)` })
    .from(recoveryCodes)
    .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)))
    .get()
  return row?.n ?? 0
}

/** Mark a session as having just proved the second factor (and no longer waiting for it). */
export async function markSecondFactor(db: D1Database, sessionId: string, at: number) {
  await orm(db)
    .update(sessions)
    .set({ pendingSecondFactor: 0, secondFactorAt: at })
    .where(eq(sessions.id, sessionId))
}

/** Every sealed TOTP secret (confirmed or being enrolled), for the key rotation's reseal. */
export async function sealedTotpSecrets(db: D1Database) {
  return orm(db)
    .select({ id: users.id, secretEnc: users.totpSecretEnc, pendingEnc: users.totpPendingEnc })
    .from(users)
    .where(or(sql`${users.totpSecretEnc} is not null`, sql`${users.totpPendingEnc} is not null`))
    .all()
}

/**
 * Replace one account's sealed TOTP secret (`secret` or `pending`) with the same secret sealed
 * again, only if it did not change meanwhile (turned off or re-enrolled): true if replaced.
 */
export async function replaceSealedTotp(
  db: D1Database,
  userId: string,
  which: 'secret' | 'pending',
  previous: string,
  next: string,
): Promise<boolean> {
  const column = which === 'secret' ? users.totpSecretEnc : users.totpPendingEnc
  const result = await orm(db)
    .update(users)
    .set(which === 'secret' ? { totpSecretEnc: next } : { totpPendingEnc: next })
    .where(and(eq(users.id, userId), eq(column, previous)))
    .run()
  return result.meta.changes === 1
}
