import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { AppEnv } from './env'
import { ApiError, onError, onNotFound } from './http/errors'
import { mutable } from './http/response'
import { csrfGuard, jsonOnly, requestId, securityHeaders } from './http/security'
import { authorize } from './http/authorize'
import { accessSettingsRoutes } from './routes/access-settings'
import { alertsRoutes } from './routes/alerts'
import { auditRoutes } from './routes/audit'
import { auth } from './routes/auth'
import { backupsRoutes } from './routes/backups'
import { snapshotsRoutes } from './routes/snapshots'
import { schedulesRoutes } from './routes/schedules'
import { changesRoutes } from './routes/changes'
import { capacityRoutes } from './routes/capacity'
import { consoleRoutes } from './routes/console'
import { deploymentsRoutes, gamesRoutes } from './routes/deployments'
import { health } from './routes/health'
import { invitesRoutes } from './routes/invites'
import { runnerApi } from './routes/runner-api'
import { passkeyLoginRoutes, passkeysRoutes } from './routes/passkeys'
import { secondFactorRoutes } from './routes/second-factor'
import { securityPolicyRoutes } from './routes/security-policy'
import { orphansRoutes } from './routes/orphans'
import { runnersRoutes } from './routes/runners'
import { settingsRoutes } from './routes/settings'
import { setup } from './routes/setup'
import { bakeRoutes } from './routes/bake'
import { templatesRoutes } from './routes/templates'
import { tokensRoutes } from './routes/tokens'
import { usersRoutes } from './routes/users'

/** Largest JSON body any route accepts. */
export const MAX_BODY_BYTES = 256 * 1024

/** The API. Every route under /api; everything else is the dashboard's static assets. */
const api = new Hono<AppEnv>()
  .use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError(
          413,
          'body_too_large',
          `The body is larger than ${MAX_BODY_BYTES} bytes.`,
        )
      },
    }),
  )
  .use(csrfGuard())
  .use(jsonOnly())
  .use(authorize())
  .route('/health', health)
  .route('/setup', setup)
  .route('/auth', auth)
  .route('/auth/totp', secondFactorRoutes)
  .route('/auth/passkeys', passkeysRoutes)
  .route('/auth/passkey-login', passkeyLoginRoutes)
  .route('/invites', invitesRoutes)
  .route('/users', usersRoutes)
  .route('/tokens', tokensRoutes)
  .route('/settings', settingsRoutes)
  .route('/settings/security', securityPolicyRoutes)
  .route('/settings/access', accessSettingsRoutes)
  .route('/alerts', alertsRoutes)
  .route('/audit', auditRoutes)
  .route('/games', gamesRoutes)
  .route('/deployments', deploymentsRoutes)
  .route('/deployments', backupsRoutes)
  .route('/deployments', snapshotsRoutes)
  .route('/deployments', consoleRoutes)
  .route('/deployments', schedulesRoutes)
  .route('/deployments', changesRoutes)
  .route('/capacity', capacityRoutes)
  .route('/runners', runnersRoutes)
  .route('/orphans', orphansRoutes)
  .route('/templates/bake', bakeRoutes)
  .route('/templates', templatesRoutes)
  .route('/runner', runnerApi)
  .notFound(onNotFound)

export const app = new Hono<AppEnv>()
  .use(requestId())
  .use(securityHeaders())
  .route('/api', api)
  .all('/api/*', onNotFound)
  .get('*', async (c) => {
    // Static assets and the SPA fallback; re-wrapped so the security headers can be set on it.
    return mutable(await c.env.ASSETS.fetch(c.req.raw))
  })

app.onError(onError)

export type AppType = typeof app
