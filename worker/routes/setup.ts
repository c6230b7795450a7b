import { sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/d1'
import { Hono } from 'hono'
import { SetupBody } from '../../core/auth'
import { users } from '../db/schema'
import type { AppEnv } from '../env'
import { auditEntry } from '../lib/audit'
import { hashPassword } from '../lib/crypto'
import { ApiError } from '../lib/errors'
import { startSession } from '../lib/sessions'
import { validate } from '../lib/validate'

const alreadyDone = () =>
  new ApiError(409, 'setup_done', 'Setup is already done: sign in with the admin account.')

/**
 * First-run setup: creates the first admin, once. The insert itself checks that no user exists
 * (one statement, so two racing setups cannot both win), and after that this answers 409 forever.
 */
export const setup = new Hono<AppEnv>()
  .get('/', async (c) => {
    const row = await drizzle(c.env.DB)
      .select({ n: sql<number>`count(*)` })
      .from(users)
      .get()
    return c.json({ needed: (row?.n ?? 0) === 0 })
  })
  .post('/', validate('json', SetupBody), async (c) => {
    const body = c.req.valid('json')
    const db = drizzle(c.env.DB)
    const existing = await db.select({ id: users.id }).from(users).limit(1).get()
    if (existing) throw alreadyDone()
    const id = crypto.randomUUID()
    const hash = await hashPassword(body.password)
    const result = await c.env.DB.prepare(
      `insert into users (id, username, password_hash)
       select ?1, ?2, ?3 where not exists (select 1 from users)`,
    )
      .bind(id, body.username, hash)
      .run()
    if (result.meta.changes !== 1) throw alreadyDone()
    c.set('user', { id, username: body.username, sessionId: '' })
    await auditEntry(c, 'setup.admin_created', { target: body.username })
    await startSession(c, id)
    return c.json({ user: { id, username: body.username } }, 201)
  })
