import { z } from 'zod'
import type { ProxmoxSettingsView } from '../../core/settings'
import { ProxmoxConnection, ProxmoxSettingsInput, proxmoxTokenSubject } from '../../core/settings'
import { readSetting, replaceSetting, writeSetting } from '../db/settings'
import { decryptSecret, encryptSecret, keyId, SECRET_CONTEXTS, sealedWith } from '../crypto/seal'
import { requireEncKeys } from '../crypto/enc-key'
import { ApiError } from '../http/errors'

export const PROXMOX_SETTINGS_KEY = 'proxmox'
const SECRET_CONTEXT = SECRET_CONTEXTS.proxmoxTokenSecret

/** The row as stored: every field but the secret, plus the secret sealed with APP_ENC_KEY. */
const StoredProxmoxSettings = ProxmoxSettingsInput.omit({ tokenSecret: true }).extend({
  tokenSecretEnc: z.string().nullable(),
})
type StoredProxmoxSettings = z.infer<typeof StoredProxmoxSettings>

async function readStored(env: Env): Promise<StoredProxmoxSettings | null> {
  const valueJson = await readSetting(env.DB, PROXMOX_SETTINGS_KEY)
  if (valueJson === null) return null
  const parsed = StoredProxmoxSettings.safeParse(JSON.parse(valueJson))
  if (!parsed.success)
    throw new Error(`stored proxmox settings are unreadable: ${parsed.error.message}`)
  return parsed.data
}

/** The settings as the API shows them: never the secret, only whether it is set. */
/** The Proxmox settings, or a 409 that says to set them up first (a job needs them). */
export async function requireProxmoxSettings(env: Env): Promise<ProxmoxSettingsView> {
  const settings = await getProxmoxSettingsView(env)
  if (!settings?.tokenSecretSet) {
    throw new ApiError(
      409,
      'proxmox_not_configured',
      'Set up the Proxmox connection in Settings first.',
    )
  }
  return settings
}

export async function getProxmoxSettingsView(env: Env): Promise<ProxmoxSettingsView | null> {
  const stored = await readStored(env)
  if (!stored) return null
  const { tokenSecretEnc, ...rest } = stored
  return { ...rest, tokenSecretSet: tokenSecretEnc !== null }
}

/**
 * The fields that say where the token secret is sent and how it is protected on the way. Changing
 * any of them without typing the secret again would let whoever holds a session send the stored
 * secret to a host of their choosing (press Test, read the `Authorization` header).
 */
export const TOKEN_DESTINATION_FIELDS = ['apiUrl', 'tokenId', 'tls'] as const

/**
 * Plain `http://` sends the token in clear; it is accepted only when the deployment drives the
 * local Proxmox simulator (`TARGET_MODE=demo`, set by `npm run demo`; the same var shows the
 * dashboard's simulator banner).
 */
export function plainHttpAllowed(env: Env): boolean {
  return env.TARGET_MODE === 'demo'
}

function refuseField(status: 400 | 422, code: string, path: string, message: string): ApiError {
  return new ApiError(status, code, `Invalid body: ${path}: ${message}`, {
    details: [{ path, message }],
  })
}

/**
 * Save the settings. A missing `tokenSecret` keeps the stored one, unless the token would now go
 * somewhere else or be checked otherwise (TOKEN_DESTINATION_FIELDS); the first save must give one.
 * Returns the names of the fields that changed, for the audit log (never their values).
 */
export async function saveProxmoxSettings(
  env: Env,
  input: ProxmoxSettingsInput,
  updatedBy: string,
): Promise<string[]> {
  const keys = requireEncKeys(env)
  const { tokenSecret, ...fields } = input
  if (fields.apiUrl.startsWith('http://') && !plainHttpAllowed(env)) {
    throw refuseField(
      400,
      'invalid_request',
      'apiUrl',
      'must start with https:// (plain http:// would send the API token unencrypted; it is accepted only by the demo against the Proxmox simulator)',
    )
  }
  const previous = await readStored(env)
  const changed = Object.keys(fields).filter(
    (k) =>
      JSON.stringify(previous?.[k as keyof typeof fields]) !==
      JSON.stringify(fields[k as keyof typeof fields]),
  )
  let tokenSecretEnc = previous?.tokenSecretEnc ?? null
  if (tokenSecret !== undefined) {
    tokenSecretEnc = await encryptSecret(
      keys,
      tokenSecret,
      SECRET_CONTEXT,
      proxmoxTokenSubject(fields),
    )
  } else if (tokenSecretEnc === null) {
    throw refuseField(400, 'invalid_request', 'tokenSecret', 'is required the first time')
  } else {
    const moved = TOKEN_DESTINATION_FIELDS.filter((f) => changed.includes(f))
    if (moved.length > 0) {
      throw refuseField(
        422,
        'token_secret_required',
        'tokenSecret',
        `is required again because ${moved.join(', ')} changed: the stored secret is only sent where it was entered for`,
      )
    }
  }
  const next: StoredProxmoxSettings = { ...fields, tokenSecretEnc }
  if (tokenSecret !== undefined) changed.push('tokenSecret')
  await writeSetting(env.DB, PROXMOX_SETTINGS_KEY, JSON.stringify(next), updatedBy)
  return changed
}

/** The full connection for a runner's job, secret decrypted; null until settings are saved. */
export async function loadProxmoxConnection(env: Env): Promise<ProxmoxConnection | null> {
  const stored = await readStored(env)
  if (!stored || stored.tokenSecretEnc === null) return null
  const { tokenSecretEnc, ...rest } = stored
  let tokenSecret: string
  try {
    tokenSecret = await decryptSecret(
      requireEncKeys(env),
      tokenSecretEnc,
      SECRET_CONTEXT,
      proxmoxTokenSubject(rest),
    )
  } catch (err) {
    throw new ApiError(
      409,
      'token_secret_unreadable',
      'The stored Proxmox token secret cannot be opened (APP_ENC_KEY changed without ' +
        'APP_ENC_KEY_PREVIOUS, or the saved connection was altered outside the dashboard): ' +
        `enter the token secret again in Settings. (${err instanceof Error ? err.message : String(err)})`,
    )
  }
  return ProxmoxConnection.parse({ ...rest, tokenSecret })
}

/**
 * Seal the token secret again with the current key (after a rotation, or from format v1).
 * Returns whether it changed anything; throws if the secret cannot be opened.
 */
export async function resealProxmoxSecret(env: Env): Promise<boolean> {
  const connection = await loadProxmoxConnection(env)
  const stored = await readStored(env)
  if (!connection || !stored?.tokenSecretEnc) return false
  const keys = requireEncKeys(env)
  if (sealedWith(stored.tokenSecretEnc) === (await keyId(keys.current))) return false
  const next: StoredProxmoxSettings = {
    ...stored,
    tokenSecretEnc: await encryptSecret(
      keys,
      connection.tokenSecret,
      SECRET_CONTEXT,
      proxmoxTokenSubject(stored),
    ),
  }
  await replaceSetting(env.DB, PROXMOX_SETTINGS_KEY, JSON.stringify(next))
  return true
}

/** Which key sealed the stored token secret (crypto/seal.ts `sealedWith`), or null if none. */
export async function proxmoxSecretKey(env: Env): Promise<string | null> {
  const stored = await readStored(env)
  return stored?.tokenSecretEnc ? sealedWith(stored.tokenSecretEnc) : null
}

/**
 * A template job built `templateVmid`: deployments clone it from now on. Only that field
 * changes; the rest of the connection (and the sealed secret, bound to the API URL, token id and
 * TLS check) stays as it is. False when no connection is saved.
 */
export async function selectTemplateVmid(
  env: Env,
  templateVmid: number,
  updatedBy: string,
): Promise<boolean> {
  const stored = await readStored(env)
  if (!stored) return false
  if (stored.templateVmid === templateVmid) return true
  await writeSetting(
    env.DB,
    PROXMOX_SETTINGS_KEY,
    JSON.stringify({ ...stored, templateVmid }),
    updatedBy,
  )
  return true
}
