import { Hono } from 'hono'
import { atLeast, mayManage, type Grant, type Role } from '../../core/people'
import { InviteBody, UpdateUserBody } from '../../core/people-api'
import {
  activeOwnerCount,
  deleteLink,
  deletePerson,
  existingDeploymentIds,
  insertLink,
  listPeople,
  pendingInvites,
  personById,
  updatePerson,
  type AccountLink,
  type Person,
} from '../db/people'
import type { AppContext, AppEnv } from '../env'
import { randomToken, sha256Hex } from '../crypto/tokens'
import { audit } from '../http/audit'
import { ApiError, notFound } from '../http/errors'
import { endSessionsOf } from '../http/sessions'
import { validate } from '../http/validate'

/** A reset link lives this long: shorter than an invite, it unlocks an existing account. */
export const RESET_LINK_MS = 24 * 60 * 60 * 1000

function cannotManage(actor: Role, target: Role): ApiError {
  return new ApiError(
    403,
    'forbidden',
    `Your role (${actor}) cannot manage an account with the role ${target}: only an owner manages owners.`,
    { details: { role: actor, needs: 'owner' } },
  )
}

function lastOwner(): ApiError {
  return new ApiError(
    409,
    'last_owner',
    'This is the last owner who can sign in: make another account owner first.',
  )
}

function notYourself(): ApiError {
  return new ApiError(
    409,
    'own_account',
    'You cannot change the role of, disable or remove your own account: ask another admin or owner.',
  )
}

/** 400 naming the first grant whose deployment does not exist. */
async function checkGrants(c: AppContext, grants: readonly Grant[]): Promise<void> {
  const found = await existingDeploymentIds(
    c.env.DB,
    grants.map((g) => g.deploymentId),
  )
  const index = grants.findIndex((g) => !found.has(g.deploymentId))
  if (index >= 0) {
    const path = `grants.${index}.deploymentId`
    throw new ApiError(
      400,
      'invalid_request',
      `Invalid body: ${path}: no deployment ${grants[index]?.deploymentId}`,
      { details: [{ path, message: 'is not a deployment' }] },
    )
  }
}

/** The account `id`, which the caller must be allowed to manage and must not be themselves. */
async function manageable(c: AppContext, id: string): Promise<Person> {
  const target = await personById(c.env.DB, id)
  if (!target) throw notFound('Account')
  const actor = c.get('user')
  if (!mayManage(actor.role, target.role)) throw cannotManage(actor.role, target.role)
  if (target.id === actor.id) throw notYourself()
  return target
}

function inviteView(link: AccountLink) {
  return {
    id: link.id,
    role: link.role,
    deploymentScope: link.deploymentScope,
    grants: link.grantsJson ? (JSON.parse(link.grantsJson) as Grant[]) : [],
    createdBy: link.createdBy,
    createdAt: link.createdAt,
    expiresAt: link.expiresAt,
  }
}

/** A fresh link token: the caller shows it once; only its hash is stored. */
async function newLinkToken(): Promise<{ token: string; tokenHash: string }> {
  const token = randomToken(32)
  return { token, tokenHash: await sha256Hex(token) }
}

export const usersRoutes = new Hono<AppEnv>()
  .get('/', async (c) => c.json({ users: await listPeople(c.env.DB) }))
  .get('/invites', async (c) =>
    c.json({ invites: (await pendingInvites(c.env.DB, Date.now())).map(inviteView) }),
  )
  .post('/invites', validate('json', InviteBody), async (c) => {
    const body = c.req.valid('json')
    const actor = c.get('user')
    if (!mayManage(actor.role, body.role)) throw cannotManage(actor.role, body.role)
    const scope = atLeast(body.role, 'admin') ? 'all' : body.deploymentScope
    const grants = scope === 'granted' ? body.grants : []
    await checkGrants(c, grants)
    const { token, tokenHash } = await newLinkToken()
    const id = crypto.randomUUID()
    const expiresAt = Date.now() + body.expiresInHours * 3_600_000
    await insertLink(c.env.DB, {
      id,
      tokenHash,
      kind: 'invite',
      role: body.role,
      deploymentScope: scope,
      grantsJson: JSON.stringify(grants),
      createdBy: actor.username,
      expiresAt,
    })
    await audit(c, 'user.invited', {
      target: id,
      details: { role: body.role, deploymentScope: scope, grants: grants.length },
    })
    // The token travels in the fragment: browsers never send it to a server or a log.
    return c.json(
      { invite: { id, role: body.role, expiresAt }, token, path: `/join#${token}` },
      201,
    )
  })
  .delete('/invites/:id', async (c) => {
    if (!(await deleteLink(c.env.DB, c.req.param('id')))) throw notFound('Invite')
    await audit(c, 'user.invite_withdrawn', { target: c.req.param('id') })
    return c.json({ ok: true })
  })
  .patch('/:id', validate('json', UpdateUserBody), async (c) => {
    const body = c.req.valid('json')
    const target = await manageable(c, c.req.param('id'))
    const actor = c.get('user')
    const role = body.role ?? target.role
    if (!mayManage(actor.role, role)) throw cannotManage(actor.role, role)
    const losesOwner = target.role === 'owner' && (role !== 'owner' || body.disabled === true)
    if (
      losesOwner &&
      target.disabledAt === null &&
      (await activeOwnerCount(c.env.DB, target.id)) < 1
    )
      throw lastOwner()
    if (body.grants) await checkGrants(c, body.grants)
    const disabledAt =
      body.disabled === undefined
        ? undefined
        : body.disabled
          ? (target.disabledAt ?? Date.now())
          : null
    await updatePerson(
      c.env.DB,
      target.id,
      { role: body.role, deploymentScope: body.deploymentScope, disabledAt },
      { grants: body.grants, endSessions: false },
    )
    // What an account may do is read at each request, but a live socket was checked when it
    // opened: any change ends the account's sessions so nothing outlives the old rights.
    await endSessionsOf(c, target.id, null)
    await audit(c, body.disabled === true ? 'user.disabled' : 'user.changed', {
      target: target.username,
      details: { ...body, grants: body.grants?.length },
    })
    return c.json({ user: await personById(c.env.DB, target.id) })
  })
  .delete('/:id', async (c) => {
    const target = await manageable(c, c.req.param('id'))
    if (target.role === 'owner' && (await activeOwnerCount(c.env.DB, target.id)) < 1)
      throw lastOwner()
    await endSessionsOf(c, target.id, null)
    await deletePerson(c.env.DB, target.id)
    await audit(c, 'user.removed', { target: target.username })
    return c.json({ ok: true })
  })
  .post('/:id/reset', async (c) => {
    const target = await manageable(c, c.req.param('id'))
    const { token, tokenHash } = await newLinkToken()
    const expiresAt = Date.now() + RESET_LINK_MS
    await insertLink(c.env.DB, {
      id: crypto.randomUUID(),
      tokenHash,
      kind: 'reset',
      userId: target.id,
      createdBy: c.get('user').username,
      expiresAt,
    })
    // Whoever may have the old password is out now, not once the link is used.
    await endSessionsOf(c, target.id, null)
    await audit(c, 'user.password_reset_started', { target: target.username })
    return c.json({ expiresAt, token, path: `/join#${token}` }, 201)
  })
