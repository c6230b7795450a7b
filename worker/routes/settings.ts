import { Hono } from 'hono'
import { ProxmoxSettingsInput } from '../../core/settings'
import type { AppEnv } from '../env'
import { audit } from '../lib/audit'
import { getProxmoxSettingsView, saveProxmoxSettings } from '../lib/proxmox-settings'
import { validate } from '../lib/validate'

export const settingsRoutes = new Hono<AppEnv>()
  .get('/proxmox', async (c) => c.json({ proxmox: await getProxmoxSettingsView(c.env) }))
  .put('/proxmox', validate('json', ProxmoxSettingsInput), async (c) => {
    const user = c.get('user')
    const changed = await saveProxmoxSettings(c.env, c.req.valid('json'), user.username)
    await audit(c, 'settings.proxmox_updated', { target: 'proxmox', details: { changed } })
    return c.json({ proxmox: await getProxmoxSettingsView(c.env) })
  })
