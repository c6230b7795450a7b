import { passkeyCount } from '../db/passkeys'
import { userByName, type User } from '../db/users'
import type { AppContext, SessionUser } from '../env'
import type { AccessSettings } from '../settings/access'
import { audit } from './audit'
import { accessEmail, accessInForce } from './cloudflare-access'
import { ApiError } from './errors'
import { readSession, startSession } from './sessions'

/** What Cloudflare Access vouched for on this request, when its check is on. */
export interface AccessPass {
  settings: AccessSettings
  /** The email in the request's Access token, lower-cased. */
  email: string
}

/**
 * The Access check for an API request that is neither the runner's nor an API token's: null when
 * Access is off, else the email its token vouches for. Throws (403) when the token is missing or
 * refused, so no route, public ones included, is reached around Access.
 */
export async function accessPass(c: AppContext): Promise<AccessPass | null> {
  const settings = await accessInForce(c)
  if (!settings) return null
  return { settings, email: await accessEmail(c, settings) }
}

/** The active account named by the Access email (account names are compared lower-case). */
async function accessAccount(c: AppContext, pass: AccessPass): Promise<User> {
  const user = await userByName(c.env.DB, pass.email)
  if (!user || user.disabledAt !== null) {
    throw new ApiError(
      403,
      'access_no_account',
      `Cloudflare Access signed you in as ${pass.email}, but no active account here has that name: ask an owner to invite you, and choose ${pass.email} as your account's name.`,
    )
  }
  return user
}

/**
 * Who is calling, under Access: the browser's session counts only when it is the Access email's
 * account. With password sign-in off, Access is the sign-in: a browser without such a session
 * gets one (owing its second factor, if the account has one, as after a password).
 */
export async function sessionUnderAccess(
  c: AppContext,
  pass: AccessPass,
): Promise<SessionUser | null> {
  const user = await accessAccount(c, pass)
  const session = await readSession(c)
  if (session?.id === user.id) return session
  if (pass.settings.passwordSignIn) return null
  const secondFactorRequired =
    user.totpSecretEnc !== null || (await passkeyCount(c.env.DB, user.id)) > 0
  const token = await startSession(c, user.id, { pendingSecondFactor: secondFactorRequired })
  await audit(c, 'auth.login', {
    target: user.username,
    actor: user.username,
    userId: user.id,
    details: { via: 'cloudflare-access', secondFactorRequired },
  })
  return readSession(c, token)
}
