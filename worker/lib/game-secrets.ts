import { getGame } from '../../core/games'
import { decryptSecret, encryptSecret, SECRET_CONTEXTS } from '../crypto/seal'
import { requireEncKeys } from '../crypto/enc-key'
import type { StoredInputs } from '../db/deployments'

/**
 * A deployment's secrets at rest: the ones the game generates (an RCON password) and the config
 * fields its module marks sensitive (a join password the admin typed) are sealed together with
 * APP_ENC_KEY in `gameSecretsEnc`, bound to the deployment's id (a sealed value copied to another
 * deployment's row does not open); the stored config keeps every other field. Sensitive fields
 * are kept under `config:<key>` in the sealed object.
 */

const CONFIG_PREFIX = 'config:'
/** What the API shows in place of a sensitive field's value. */
export const HIDDEN_VALUE = '********'

function sensitiveFields(gameId: string): readonly string[] {
  return getGame(gameId)?.sensitiveFields ?? []
}

/** Split the validated config into what is stored in clear and what is sealed. */
export async function sealInputs(
  env: Env,
  deploymentId: string,
  gameId: string,
  config: Record<string, unknown>,
  generated: Record<string, string>,
): Promise<{ publicConfig: Record<string, unknown>; gameSecretsEnc: string | null }> {
  const publicConfig = { ...config }
  const sealed: Record<string, string> = { ...generated }
  for (const key of sensitiveFields(gameId)) {
    const value = publicConfig[key]
    if (value === undefined) continue
    sealed[`${CONFIG_PREFIX}${key}`] = String(value)
    delete publicConfig[key]
  }
  const gameSecretsEnc =
    Object.keys(sealed).length > 0
      ? await encryptSecret(
          requireEncKeys(env),
          JSON.stringify(sealed),
          SECRET_CONTEXTS.gameSecrets,
          deploymentId,
        )
      : null
  return { publicConfig, gameSecretsEnc }
}

/** The whole config again, the generated secrets, and every value to redact from logs. */
export async function openInputs(
  env: Env,
  gameId: string,
  inputs: StoredInputs,
): Promise<{
  gameConfig: Record<string, unknown>
  gameSecrets: Record<string, string>
  redact: string[]
}> {
  const sealed: Record<string, string> = inputs.gameSecretsEnc
    ? (JSON.parse(
        await decryptSecret(
          requireEncKeys(env),
          inputs.gameSecretsEnc,
          SECRET_CONTEXTS.gameSecrets,
          inputs.spec.deploymentId,
        ),
      ) as Record<string, string>)
    : {}
  const gameConfig = { ...inputs.spec.gameConfig }
  const gameSecrets: Record<string, string> = {}
  const redact: string[] = []
  for (const [name, value] of Object.entries(sealed)) {
    if (name.startsWith(CONFIG_PREFIX)) {
      gameConfig[name.slice(CONFIG_PREFIX.length)] = value
      redact.push(value)
    } else gameSecrets[name] = value
  }
  return { gameConfig, gameSecrets, redact }
}

/** The stored config as the API shows it: sensitive fields present, their values hidden. */
export function viewConfig(gameId: string, stored: Record<string, unknown>) {
  const out = { ...stored }
  for (const key of sensitiveFields(gameId)) out[key] = HIDDEN_VALUE
  return out
}
