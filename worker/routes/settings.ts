import * as z from 'zod'
import { Hono } from 'hono'
import { CleanupPolicy, ProxmoxSettingsInput } from '../../core/settings'
import type { AppEnv } from '../env'
import { audit } from '../http/audit'
import { ScheduleList } from '../../core/schedules'
import { getDefaultSchedules, saveDefaultSchedules } from '../lib/default-schedules'
import { getCleanupPolicy, saveCleanupPolicy } from '../lib/cleanup'
import { ApiError } from '../http/errors'
import {
  getProxmoxSettingsView,
  loadProxmoxConnection,
  plainHttpAllowed,
  saveProxmoxSettings,
} from '../settings/proxmox'
import { encryptionStatus, resealAll } from '../settings/encryption'
import { hubStub } from '../do/stubs'
import { validate } from '../http/validate'

const DefaultSchedulesBody = z.object({ schedules: ScheduleList })

export const settingsRoutes = new Hono<AppEnv>()
  .get('/proxmox', async (c) => c.json({ proxmox: await getProxmoxSettingsView(c.env) }))
  .put('/proxmox', validate('json', ProxmoxSettingsInput), async (c) => {
    const user = c.get('user')
    const changed = await saveProxmoxSettings(c.env, c.req.valid('json'), user.username)
    // A save that changed nothing is not an event worth a line in the audit log.
    if (changed.length > 0) {
      await audit(c, 'settings.proxmox_updated', { target: 'proxmox', details: { changed } })
    }
    return c.json({ proxmox: await getProxmoxSettingsView(c.env) })
  })
  /** "Test connection": runs on a runner, since the worker cannot reach a private Proxmox. */
  .post('/proxmox/test', async (c) => {
    // A connection saved before plain http was refused must not send the token in clear either.
    const saved = await getProxmoxSettingsView(c.env)
    if (saved?.apiUrl.startsWith('http://') && !plainHttpAllowed(c.env)) {
      throw new ApiError(
        409,
        'insecure_api_url',
        'The saved API URL uses plain http://, which would send the API token unencrypted: save an https:// URL (and the token secret) in Settings first.',
      )
    }
    const proxmox = await loadProxmoxConnection(c.env)
    if (!proxmox) {
      throw new ApiError(409, 'proxmox_not_configured', 'Save the Proxmox connection first.')
    }
    const result = await hubStub(c.env).testConnection(proxmox)
    if (!result) {
      throw new ApiError(
        409,
        'no_runner_online',
        'No runner is online to test from: register one (Runners → Add runner) and start it.',
      )
    }
    await audit(c, 'settings.proxmox_tested', {
      target: 'proxmox',
      details: { runner: result.name, ok: result.checks.every((k) => k.ok) },
    })
    return c.json(result)
  })
  .get('/cleanup', async (c) => c.json({ cleanup: await getCleanupPolicy(c.env.DB) }))
  .put('/cleanup', validate('json', CleanupPolicy), async (c) => {
    const policy = c.req.valid('json')
    const before = await getCleanupPolicy(c.env.DB)
    await saveCleanupPolicy(c.env.DB, policy, c.get('user').username)
    if (before.onFailure !== policy.onFailure || before.orphans !== policy.orphans) {
      await audit(c, 'settings.cleanup_updated', { target: 'cleanup', details: policy })
    }
    return c.json({ cleanup: await getCleanupPolicy(c.env.DB) })
  })
  /** The schedules every new deployment starts with. */
  .get('/schedules', async (c) =>
    c.json({ schedules: await getDefaultSchedules(c.env.DB), now: Date.now() }),
  )
  .put('/schedules', validate('json', DefaultSchedulesBody), async (c) => {
    const { schedules } = c.req.valid('json')
    await saveDefaultSchedules(c.env.DB, schedules, c.get('user').username)
    await audit(c, 'settings.schedules_updated', {
      target: 'schedules',
      details: { schedules: schedules.map((s) => ({ action: s.action, when: s.when })) },
    })
    return c.json({ schedules: await getDefaultSchedules(c.env.DB), now: Date.now() })
  })
  /** Which key the stored secrets are sealed with (never the keys themselves). */
  .get('/encryption', async (c) => c.json({ encryption: await encryptionStatus(c.env) }))
  /** After a key rotation: seal every stored secret again with the current APP_ENC_KEY. */
  .post('/encryption/reseal', async (c) => {
    const result = await resealAll(c.env)
    await audit(c, 'settings.secrets_resealed', {
      target: 'encryption',
      details: { resealed: result.resealed, failed: result.failed.map((f) => f.target) },
    })
    return c.json({ ...result, encryption: await encryptionStatus(c.env) })
  })
