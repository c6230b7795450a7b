import { decryptSecret, encryptSecret, keyId, SECRET_CONTEXTS, sealedWith } from '../crypto/seal'
import { requireEncKeys } from '../crypto/enc-key'
import { replaceSealedSecrets, sealedSecretCounts, sealedSecretsPage } from '../db/deployments'
import { channelSecretCounts, resealChannels } from '../alerts/channels'
import { proxmoxSecretKey, resealProxmoxSecret } from './proxmox'
import { replaceSealedTotp, sealedTotpSecrets } from '../db/second-factor'

/**
 * Rotating APP_ENC_KEY: the new key goes in APP_ENC_KEY and the old one in APP_ENC_KEY_PREVIOUS
 * (which only opens), then everything sealed is sealed again with the new key (Settings →
 * Encryption, or `POST /api/settings/encryption/reseal`), and the previous key can go. The same
 * run moves values of format v1 (no key id, not bound to their deployment) to format v2.
 */

/** Deployments read per round while sealing again. */
const PAGE = 100

/** How many sealed values use the current key, and how many an older key or format. */
export interface EncryptionStatus {
  keyId: string
  previousKeySet: boolean
  sealed: { current: number; older: number }
}

/** Where the stored secrets stand, for Settings → Encryption. */
export async function encryptionStatus(env: Env): Promise<EncryptionStatus> {
  const keys = requireEncKeys(env)
  const kid = await keyId(keys.current)
  const row = await sealedSecretCounts(env.DB, `v2.${kid}`)
  const proxmox = await proxmoxSecretKey(env)
  const alerts = await channelSecretCounts(env, kid)
  const totp = (await sealedTotpSecrets(env.DB)).flatMap((r) =>
    [r.secretEnc, r.pendingEnc].filter((v): v is string => v !== null),
  )
  const totpCurrent = totp.filter((v) => sealedWith(v) === kid).length
  const current = row.current + (proxmox === kid ? 1 : 0) + alerts.current + totpCurrent
  const total = row.total + (proxmox === null ? 0 : 1) + alerts.total + totp.length
  return {
    keyId: kid,
    previousKeySet: keys.previous !== null,
    sealed: { current, older: total - current },
  }
}

/** What a reseal run did: values sealed again, and the ones that could not be opened. */
export interface ResealResult {
  resealed: number
  failed: { target: string; error: string }[]
}

/**
 * Seal every stored secret that is not under the current key (or still in format v1) again with
 * the current key: the Proxmox token secret, the alert channels' addresses and signing secrets,
 * the accounts' TOTP secrets, and each deployment's game secrets. Each deployment row is updated only if its sealed value did not change
 * meanwhile. Values no key opens are reported, never dropped.
 */
export async function resealAll(env: Env): Promise<ResealResult> {
  const keys = requireEncKeys(env)
  const kid = await keyId(keys.current)
  const result: ResealResult = { resealed: 0, failed: [] }
  try {
    if (await resealProxmoxSecret(env)) result.resealed++
  } catch (err) {
    result.failed.push({
      target: 'proxmox',
      error: err instanceof Error ? err.message : String(err),
    })
  }
  const alerts = await resealChannels(env)
  result.resealed += alerts.resealed
  result.failed.push(...alerts.failed)
  await resealTotpSecrets(env, kid, result)
  let after = ''
  for (let round = 0; round < 100_000; round++) {
    const page = await sealedSecretsPage(env.DB, after, PAGE)
    const updates: { id: string; next: string; previous: string }[] = []
    for (const { id, sealed } of page) {
      if (sealedWith(sealed) === kid) continue
      try {
        const plain = await decryptSecret(keys, sealed, SECRET_CONTEXTS.gameSecrets, id)
        const next = await encryptSecret(keys, plain, SECRET_CONTEXTS.gameSecrets, id)
        updates.push({ id, next, previous: sealed })
      } catch (err) {
        result.failed.push({ target: id, error: err instanceof Error ? err.message : String(err) })
      }
    }
    result.resealed += await replaceSealedSecrets(env.DB, updates)
    const last = page.at(-1)
    if (!last || page.length < PAGE) break
    after = last.id
  }
  return result
}

/** The key rotation's part for TOTP secrets (each bound to its account), into `result`. */
async function resealTotpSecrets(env: Env, kid: string, result: ResealResult): Promise<void> {
  const keys = requireEncKeys(env)
  for (const row of await sealedTotpSecrets(env.DB)) {
    for (const which of ['secret', 'pending'] as const) {
      const sealed = which === 'secret' ? row.secretEnc : row.pendingEnc
      if (sealed === null || sealedWith(sealed) === kid) continue
      try {
        const plain = await decryptSecret(keys, sealed, SECRET_CONTEXTS.totpSecret, row.id)
        const next = await encryptSecret(keys, plain, SECRET_CONTEXTS.totpSecret, row.id)
        // A secret turned off or enrolled again meanwhile is left as it now is.
        if (await replaceSealedTotp(env.DB, row.id, which, sealed, next)) result.resealed++
      } catch (err) {
        result.failed.push({
          target: `totp:${row.id}`,
          error: err instanceof Error ? err.message : String(err),
        })
      }
    }
  }
}
