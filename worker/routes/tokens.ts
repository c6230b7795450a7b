import { Hono } from 'hono'
import { scopesFor } from '../../core/people'
import { CreateTokenBody } from '../../core/people-api'
import { insertToken, revokeToken, tokensOf, tokenView } from '../db/api-tokens'
import { existingDeploymentIds } from '../db/people'
import type { AppEnv } from '../env'
import { randomToken, sha256Hex } from '../crypto/tokens'
import { TOKEN_PREFIX } from '../http/api-tokens'
import { audit } from '../http/audit'
import { ApiError, notFound } from '../http/errors'
import { validate } from '../http/validate'

/** Your own API tokens: list, create (shown once), revoke. Browser sessions only. */
export const tokensRoutes = new Hono<AppEnv>()
  .get('/', async (c) =>
    c.json({ tokens: (await tokensOf(c.env.DB, c.get('user').id)).map(tokenView) }),
  )
  .post('/', validate('json', CreateTokenBody), async (c) => {
    const body = c.req.valid('json')
    const user = c.get('user')
    if (!scopesFor(user.role).includes(body.scope)) {
      throw new ApiError(
        400,
        'invalid_request',
        `Invalid body: scope: your role (${user.role}) allows ${scopesFor(user.role).join(', ')} only`,
        {
          details: [
            { path: 'scope', message: `must be one of ${scopesFor(user.role).join(', ')}` },
          ],
        },
      )
    }
    if (body.deploymentIds) {
      const found = await existingDeploymentIds(c.env.DB, body.deploymentIds)
      const index = body.deploymentIds.findIndex((id) => !found.has(id))
      if (index >= 0) {
        const path = `deploymentIds.${index}`
        throw new ApiError(400, 'invalid_request', `Invalid body: ${path}: is not a deployment`, {
          details: [{ path, message: 'is not a deployment' }],
        })
      }
    }
    const secret = `${TOKEN_PREFIX}${randomToken(32)}`
    const row = await insertToken(c.env.DB, {
      id: crypto.randomUUID(),
      userId: user.id,
      name: body.name,
      tokenHash: await sha256Hex(secret),
      scope: body.scope,
      deploymentIdsJson: body.deploymentIds ? JSON.stringify(body.deploymentIds) : null,
      expiresAt: Date.now() + body.expiresInDays * 86_400_000,
    })
    await audit(c, 'token.created', {
      target: body.name,
      details: { scope: body.scope, deployments: body.deploymentIds?.length ?? 'all' },
    })
    // The only time the secret leaves the server.
    return c.json({ token: tokenView(row), secret }, 201)
  })
  .delete('/:id', async (c) => {
    const user = c.get('user')
    if (!(await revokeToken(c.env.DB, user.id, c.req.param('id'), Date.now())))
      throw notFound('Token')
    await audit(c, 'token.revoked', { target: c.req.param('id') })
    return c.json({ ok: true })
  })
