import { Hono } from 'hono'
import { SetupBody } from '../../core/auth'
import { anyUser, insertFirstUser } from '../db/users'
import type { AppEnv } from '../env'
import { auditEntry } from '../http/audit'
import { hashPassword } from '../crypto/passwords'
import { ApiError } from '../http/errors'
import { startSession } from '../http/sessions'
import { ensureSetupCode, forgetSetupCode, setupCodeMatches } from '../settings/setup-code'
import { beginAttempt } from '../http/throttle'
import { validate } from '../http/validate'

const alreadyDone = () =>
  new ApiError(409, 'setup_done', 'Setup is already done: sign in with the admin account.')

const wrongCode = () =>
  new ApiError(
    403,
    'invalid_setup_code',
    'Wrong setup code: use the one printed where the dashboard was started (npm start, npm run demo), ' +
      "the SETUP_CODE secret set at deploy, or, without one, the code in the worker's log.",
    { details: [{ path: 'setupCode', message: 'is not the setup code of this dashboard' }] },
  )

/**
 * First-run setup: creates the first admin, once, for whoever knows the setup code
 * (settings/setup-code.ts). The insert itself checks that no user exists (one statement, so two racing
 * setups cannot both win), and after that this answers 409 forever.
 */
export const setup = new Hono<AppEnv>()
  .get('/', async (c) => {
    const needed = !(await anyUser(c.env.DB))
    // While setup is needed a code exists (made and logged now if need be), and the wizard says
    // where to find it.
    return c.json({ needed, codeSource: needed ? await ensureSetupCode(c.env) : null })
  })
  .post('/', validate('json', SetupBody), async (c) => {
    const body = c.req.valid('json')
    if (await anyUser(c.env.DB)) throw alreadyDone()
    // Wrong codes count against the address like wrong passwords: guessing gets slower and slower.
    const attempt = await beginAttempt(c)
    let matches: boolean
    try {
      matches = await setupCodeMatches(c.env, body.setupCode)
    } catch (err) {
      await attempt.abandoned()
      throw err
    }
    if (!matches) {
      await attempt.failed()
      await auditEntry(c, 'setup.code_refused', { target: body.username, actor: 'anonymous' })
      throw wrongCode()
    }
    await attempt.succeeded()
    const id = crypto.randomUUID()
    const hash = await hashPassword(body.password)
    const created = await insertFirstUser(c.env.DB, {
      id,
      username: body.username,
      passwordHash: hash,
    })
    if (!created) throw alreadyDone()
    await forgetSetupCode(c.env)
    c.set('user', {
      id,
      username: body.username,
      role: 'owner',
      deploymentScope: 'all',
      grants: {},
      sessionId: '',
      sessionExpiresAt: 0,
    })
    await auditEntry(c, 'setup.admin_created', { target: body.username })
    await startSession(c, id)
    return c.json({ user: { id, username: body.username } }, 201)
  })
