import { Hono } from 'hono'
import type { AppEnv } from '../env'
import { audit } from '../http/audit'
import { accessBreakGlass, accessEmail, accessToken } from '../http/cloudflare-access'
import { ApiError, requireOwner } from '../http/errors'
import { validate } from '../http/validate'
import { AccessSettings, readAccessSettings, writeAccessSettings } from '../settings/access'

/** 400 on `enabled`: turning Access on with these settings would shut the owner out. */
function wouldLockOut(message: string): ApiError {
  return new ApiError(400, 'invalid_request', `Invalid body: enabled: ${message}`, {
    details: [{ path: 'enabled', message }],
  })
}

/**
 * Settings → Sign-in → Cloudflare Access (owners decide). Turning it on is refused unless the
 * request doing it passes the new check as the owner's own account: a wrong team domain or
 * audience tag would otherwise refuse every request, this one's sender included.
 */
export const accessSettingsRoutes = new Hono<AppEnv>()
  .get('/', async (c) =>
    c.json({
      access: await readAccessSettings(c.env.DB),
      breakGlass: accessBreakGlass(c.env),
      // The email the current request's Access token names under the saved settings, if any.
      signedInAs: c.get('access')?.email ?? null,
      // Whether this request came through Access at all (before the check is turned on).
      tokenSeen: accessToken(c) !== null,
    }),
  )
  .put('/', validate('json', AccessSettings), async (c) => {
    const user = c.get('user')
    requireOwner(user, 'Only an owner can change how people sign in.')
    const settings = c.req.valid('json')
    if (settings.enabled && !accessBreakGlass(c.env)) {
      if (!accessToken(c)) {
        throw wouldLockOut(
          'this page was not opened through Cloudflare Access (no Access token came with it): put the dashboard behind Access first, then open it through Access and save again',
        )
      }
      let email: string
      try {
        email = await accessEmail(c, settings)
      } catch (err) {
        if (!(err instanceof ApiError)) throw err
        throw wouldLockOut(`with these settings, ${err.message}`)
      }
      if (email !== user.username) {
        throw wouldLockOut(
          `Access signs you in as ${email}, but your account here is ${user.username}: you would be shut out`,
        )
      }
    }
    await writeAccessSettings(c.env.DB, settings, user.username)
    await audit(c, 'settings.access_changed', { details: settings })
    return c.json({ access: settings })
  })
