import {
  ProxmoxSettingsInput,
  proxmoxTokenSubject,
  type ProxmoxConnection,
} from '../../core/settings'
import { d1Rows } from '../../test/e2e/local-d1'
import { encryptSecret, SECRET_CONTEXTS } from '../../worker/crypto/seal'
import { randomToken, sha256Hex } from '../../worker/crypto/tokens'

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`

/**
 * Writes the Proxmox connection (secret sealed exactly as the API seals it) and one registered
 * runner straight into the local D1 behind a wrangler dev state folder, for `npm run demo`.
 * Returns the runner's key.
 */
export async function seedInstall(options: {
  root: string
  persistTo: string
  encKey: string
  proxmox: ProxmoxConnection
  runnerName: string
}): Promise<{ runnerId: string; key: string }> {
  const { tokenSecret, ...fields } = ProxmoxSettingsInput.parse(options.proxmox)
  const stored = {
    ...fields,
    tokenSecretEnc: await encryptSecret(
      options.encKey,
      tokenSecret ?? '',
      SECRET_CONTEXTS.proxmoxTokenSecret,
      proxmoxTokenSubject(fields),
    ),
  }
  const runnerId = crypto.randomUUID()
  const key = `pgdr_${randomToken(32)}`
  const now = Date.now()
  const sql = [
    `insert or replace into settings (key, value_json, updated_at, updated_by) values ('proxmox', ${sqlString(JSON.stringify(stored))}, ${now}, 'demo')`,
    `insert into runners (id, name, key_hash, registered_at, created_at) values (${sqlString(runnerId)}, ${sqlString(options.runnerName)}, ${sqlString(await sha256Hex(key))}, ${now}, ${now})`,
  ].join('; ')
  await d1Rows(options.root, options.persistTo, sql)
  return { runnerId, key }
}
