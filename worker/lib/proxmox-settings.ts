import { eq } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/d1'
import { z } from 'zod'
import type { ProxmoxSettingsView } from '../../core/settings'
import { ProxmoxConnection, ProxmoxSettingsInput } from '../../core/settings'
import { settings } from '../db/schema'
import { decryptSecret, encryptSecret, SECRET_CONTEXTS } from './crypto'
import { requireEncKey } from './enc-key'
import { ApiError } from './errors'

export const PROXMOX_SETTINGS_KEY = 'proxmox'
const SECRET_CONTEXT = SECRET_CONTEXTS.proxmoxTokenSecret

/** The row as stored: every field but the secret, plus the secret sealed with APP_ENC_KEY. */
const StoredProxmoxSettings = ProxmoxSettingsInput.omit({ tokenSecret: true }).extend({
  tokenSecretEnc: z.string().nullable(),
})
type StoredProxmoxSettings = z.infer<typeof StoredProxmoxSettings>

async function readStored(env: Env): Promise<StoredProxmoxSettings | null> {
  const row = await drizzle(env.DB)
    .select()
    .from(settings)
    .where(eq(settings.key, PROXMOX_SETTINGS_KEY))
    .get()
  if (!row) return null
  const parsed = StoredProxmoxSettings.safeParse(JSON.parse(row.valueJson))
  if (!parsed.success)
    throw new Error(`stored proxmox settings are unreadable: ${parsed.error.message}`)
  return parsed.data
}

/** The settings as the API shows them: never the secret, only whether it is set. */
export async function getProxmoxSettingsView(env: Env): Promise<ProxmoxSettingsView | null> {
  const stored = await readStored(env)
  if (!stored) return null
  const { tokenSecretEnc, ...rest } = stored
  return { ...rest, tokenSecretSet: tokenSecretEnc !== null }
}

/**
 * Save the settings. A missing `tokenSecret` keeps the stored one; the first save must give one.
 * Returns the names of the fields that changed, for the audit log (never their values).
 */
export async function saveProxmoxSettings(
  env: Env,
  input: ProxmoxSettingsInput,
  updatedBy: string,
): Promise<string[]> {
  const key = requireEncKey(env)
  const previous = await readStored(env)
  const { tokenSecret, ...fields } = input
  let tokenSecretEnc = previous?.tokenSecretEnc ?? null
  if (tokenSecret !== undefined) {
    tokenSecretEnc = await encryptSecret(key, tokenSecret, SECRET_CONTEXT)
  } else if (tokenSecretEnc === null) {
    throw new ApiError(
      400,
      'invalid_request',
      'Invalid body: tokenSecret: is required the first time',
      {
        details: [{ path: 'tokenSecret', message: 'is required the first time' }],
      },
    )
  }
  const next: StoredProxmoxSettings = { ...fields, tokenSecretEnc }
  const changed = Object.keys(fields).filter(
    (k) =>
      JSON.stringify(previous?.[k as keyof typeof fields]) !==
      JSON.stringify(fields[k as keyof typeof fields]),
  )
  if (tokenSecret !== undefined) changed.push('tokenSecret')
  const valueJson = JSON.stringify(next)
  await drizzle(env.DB)
    .insert(settings)
    .values({ key: PROXMOX_SETTINGS_KEY, valueJson, updatedBy, updatedAt: Date.now() })
    .onConflictDoUpdate({
      target: settings.key,
      set: { valueJson, updatedBy, updatedAt: Date.now() },
    })
  return changed
}

/** The full connection for a runner's job, secret decrypted; null until settings are saved. */
export async function loadProxmoxConnection(env: Env): Promise<ProxmoxConnection | null> {
  const stored = await readStored(env)
  if (!stored || stored.tokenSecretEnc === null) return null
  const { tokenSecretEnc, ...rest } = stored
  const tokenSecret = await decryptSecret(requireEncKey(env), tokenSecretEnc, SECRET_CONTEXT)
  return ProxmoxConnection.parse({ ...rest, tokenSecret })
}
