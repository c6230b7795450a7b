import { Hono } from 'hono'
import { runnerInstallCommands } from '../../core/runner-install'
import { z } from 'zod'
import { rotateCommands } from '../../core/proxmox-privileges'
import { leasedCounts } from '../db/jobs'
import { insertRunner, listRunners, revokeRunner, runnerExists } from '../db/runners'
import type { AppEnv } from '../env'
import { audit } from '../http/audit'
import { randomCode, sha256Hex } from '../crypto/tokens'
import { ApiError, notFound } from '../http/errors'
import { getProxmoxSettingsView } from '../settings/proxmox'
import { hubStub } from '../do/stubs'
import { validate } from '../http/validate'

/** A registration code is good for this long, once. */
export const REGISTRATION_CODE_TTL_MS = 60 * 60 * 1000

const CreateRunner = z.object({
  name: z
    .string()
    .trim()
    .min(1, 'is required')
    .max(64)
    .regex(/^[\p{L}\p{N} ._-]+$/u, 'may contain letters, digits, spaces, dot, dash and underscore'),
})

/** The admin's view of runners: add (one-time code, shown once), list, revoke. */
export const runnersRoutes = new Hono<AppEnv>()
  .post('/', validate('json', CreateRunner), async (c) => {
    const { name } = c.req.valid('json')
    const id = crypto.randomUUID()
    const code = randomCode(24)
    const expiresAt = Date.now() + REGISTRATION_CODE_TTL_MS
    await insertRunner(c.env.DB, {
      id,
      name,
      codeHash: await sha256Hex(code),
      codeExpiresAt: expiresAt,
    })
    await audit(c, 'runner.created', { target: id, details: { name } })
    const install = runnerInstallCommands(new URL(c.req.url).origin, code, name)
    return c.json(
      { runner: { id, name }, code, expiresAt, command: install.ansible, manual: install.manual },
      201,
    )
  })
  .get('/', async (c) => {
    const [rows, running, live] = await Promise.all([
      listRunners(c.env.DB),
      leasedCounts(c.env.DB),
      hubStub(c.env).status(),
    ])
    return c.json({
      runners: rows.map((r) => {
        const l = live[r.id]
        const state = r.revokedAt
          ? 'revoked'
          : r.registeredAt === null
            ? 'awaiting_registration'
            : l?.online
              ? 'online'
              : 'offline'
        return {
          ...r,
          state,
          online: state === 'online',
          lastSeenAt: Math.max(r.lastSeenAt ?? 0, l?.lastSeenAt ?? 0) || null,
          version: l?.version ?? r.version,
          runningJobs: running.get(r.id) ?? 0,
        }
      }),
    })
  })
  .delete('/:id', async (c) => {
    const id = c.req.param('id')
    const row = await revokeRunner(c.env.DB, id, Date.now())
    if (!row) {
      if (await runnerExists(c.env.DB, id))
        throw new ApiError(409, 'already_revoked', 'This runner is already revoked.')
      throw notFound('Runner')
    }
    await hubStub(c.env).revoke(id)
    await audit(c, 'runner.revoked', { target: id, details: { name: row.name } })
    await hubStub(c.env).dispatch()
    // The revoked runner may have held the Proxmox token in memory (a job, a watch list, a
    // sweep): its key no longer works, but the token does until it is replaced.
    const proxmox = await getProxmoxSettingsView(c.env)
    return c.json({
      ok: true,
      rotateToken: proxmox ? { tokenId: proxmox.tokenId, commands: rotateCommands(proxmox) } : null,
    })
  })
