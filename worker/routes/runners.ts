import { Hono } from 'hono'
import { z } from 'zod'
import { rotateCommands } from '../../core/proxmox-privileges'
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
    await c.env.DB.prepare(
      'insert into runners (id, name, code_hash, code_expires_at) values (?1, ?2, ?3, ?4)',
    )
      .bind(id, name, await sha256Hex(code), expiresAt)
      .run()
    await audit(c, 'runner.created', { target: id, details: { name } })
    const server = new URL(c.req.url).origin
    return c.json(
      {
        runner: { id, name },
        code,
        expiresAt,
        command: `pgd-runner register --server ${server} --code ${code}`,
      },
      201,
    )
  })
  .get('/', async (c) => {
    const [rows, jobs, live] = await Promise.all([
      c.env.DB.prepare(
        `select id, name, created_at as createdAt, registered_at as registeredAt, last_seen_at as lastSeenAt,
           version, max_jobs as maxJobs, revoked_at as revokedAt, code_expires_at as codeExpiresAt
         from runners order by created_at desc`,
      ).all<{
        id: string
        name: string
        createdAt: number
        registeredAt: number | null
        lastSeenAt: number | null
        version: string | null
        maxJobs: number | null
        revokedAt: number | null
        codeExpiresAt: number | null
      }>(),
      c.env.DB.prepare(
        `select runner_id as runnerId, count(*) as n from jobs where status = 'leased' group by runner_id`,
      ).all<{ runnerId: string; n: number }>(),
      hubStub(c.env).status(),
    ])
    const running = new Map(jobs.results.map((j) => [j.runnerId, j.n]))
    return c.json({
      runners: rows.results.map((r) => {
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
    const row = await c.env.DB.prepare(
      `update runners set revoked_at = ?2, key_hash = null, code_hash = null
       where id = ?1 and revoked_at is null returning name`,
    )
      .bind(id, Date.now())
      .first<{ name: string }>()
    if (!row) {
      const exists = await c.env.DB.prepare('select 1 from runners where id = ?1').bind(id).first()
      if (exists) throw new ApiError(409, 'already_revoked', 'This runner is already revoked.')
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
