import { describe, expect, it } from 'vitest'
import type { Role } from '../../core/people'
import { app } from '../../worker/app'
import { ROUTE_RULES, ruleFor } from '../../worker/http/authorize'
import { configureProxmox, createDeployment } from './engine-helpers'
import { call, json, setupAdmin } from './helpers'
import { accountAs } from './people-helpers'

/** Every API route the app registers (method + pattern), from Hono's own route table. */
function registeredRoutes(): { method: string; pattern: string }[] {
  const seen = new Map<string, { method: string; pattern: string }>()
  for (const r of app.routes) {
    if (r.method === 'ALL' || !r.path.startsWith('/api/') || r.path.includes('*')) continue
    seen.set(`${r.method} ${r.path}`, { method: r.method, pattern: r.path })
  }
  return [...seen.values()]
}

const ROLES: Role[] = ['owner', 'admin', 'operator', 'viewer']
const EVERYONE = ROLES
const OPERATORS: Role[] = ['owner', 'admin', 'operator']
const ADMINS: Role[] = ['owner', 'admin']

/**
 * The policy, written out again independently of worker/http/authorize.ts: who may call a route.
 * A route this does not know fails the test, so a new route gets a decision here too.
 */
function mayCall(method: string, pattern: string): Role[] | 'no-account' {
  if (pattern.startsWith('/api/runner/')) return 'no-account'
  if (['/api/health', '/api/setup', '/api/auth/login'].includes(pattern)) return 'no-account'
  if (pattern.startsWith('/api/invites/')) return 'no-account'
  if (pattern.startsWith('/api/auth/') || pattern.startsWith('/api/tokens')) return EVERYONE
  if (/^\/api\/(settings|alerts|audit|runners|orphans|templates|users)(\/|$)/.test(pattern))
    return ADMINS
  if (pattern === '/api/games' || pattern === '/api/capacity') return EVERYONE
  if (pattern.startsWith('/api/deployments')) return method === 'GET' ? EVERYONE : OPERATORS
  throw new Error(`${method} ${pattern}: say in this test who may call it`)
}

describe('the route table', () => {
  it('has an access rule for every registered API route (a new route without one is refused)', () => {
    const routes = registeredRoutes()
    expect(routes.length).toBeGreaterThan(50)
    const missing = routes
      .filter((r) => ruleFor(r.method, r.pattern) === null)
      .map((r) => `${r.method} ${r.pattern}`)
    expect(missing).toEqual([])
  })

  it('names no route that does not exist', () => {
    const registered = new Set(registeredRoutes().map((r) => `${r.method} ${r.pattern}`))
    expect(Object.keys(ROUTE_RULES).filter((k) => !registered.has(k))).toEqual([])
  })

  it('refuses a route that has no rule', () => {
    expect(ruleFor('POST', '/api/something-new')).toBeNull()
    expect(ruleFor('GET', '/api/deployments/:id/console')).toBe('deployment:view')
    expect(ruleFor('POST', '/api/deployments/:id/console')).toBe('deployment:operate')
  })
})

describe('every route × every role', () => {
  it('allows exactly the roles the policy names, and refuses the others with a 403', async () => {
    const owner = await setupAdmin()
    await configureProxmox(owner)
    const deployment = await createDeployment(owner)
    const wrong: string[] = []
    let checked = 0
    for (const { method, pattern } of registeredRoutes()) {
      const allowed = mayCall(method, pattern)
      if (allowed === 'no-account') continue
      const path = pattern
        .replace(/:id(\{[^}]*\})?/, deployment.id)
        .replace(/:[A-Za-z]+(\{[^}]*\})?/g, 'x1')
      const targetsDeployment = pattern.startsWith('/api/deployments/:id')
      for (const role of ROLES) {
        // A fresh session per call: a route may end the session it is called with.
        const { cookie } = await accountAs(role)
        const res = await call(method, path, method === 'GET' ? { cookie } : { cookie, body: {} })
        const body = await res.text()
        const refused = res.status === 403 && body.includes('"forbidden"')
        const unauthenticated = res.status === 401
        const hidden = targetsDeployment && res.status === 404 && body.includes('Deployment not')
        const should = allowed.includes(role)
        checked++
        if (unauthenticated || hidden || refused === should || res.status >= 500)
          wrong.push(`${role} ${method} ${path} → ${res.status} ${body.slice(0, 120)}`)
      }
    }
    expect(wrong).toEqual([])
    expect(checked).toBeGreaterThanOrEqual(200)
  }, 120_000)
})

describe('per-deployment grants', () => {
  it('shows a limited operator only its deployment and lets it operate that one only', async () => {
    const owner = await setupAdmin()
    await configureProxmox(owner)
    const mine = await createDeployment(owner, { name: 'mine' })
    const other = await createDeployment(owner, { name: 'other' })
    const { cookie } = await accountAs('operator', {
      scope: 'granted',
      grants: { [mine.id]: 'operate' },
    })
    const list = await json<{ deployments: { id: string }[] }>(
      await call('GET', '/api/deployments', { cookie }),
    )
    expect(list.deployments.map((d) => d.id)).toEqual([mine.id])
    expect((await call('GET', `/api/deployments/${mine.id}`, { cookie })).status).toBe(200)
    // The other deployment does not exist as far as this account is told.
    const hidden = await call('GET', `/api/deployments/${other.id}`, { cookie })
    expect(hidden.status).toBe(404)
    expect((await call('POST', `/api/deployments/${other.id}/cancel`, { cookie })).status).toBe(404)
    const cancel = await call('POST', `/api/deployments/${mine.id}/cancel`, { cookie })
    expect(cancel.status).toBe(200)
    // Adding servers to the cluster is not for an account limited to its own.
    const create = await call('POST', '/api/deployments', {
      cookie,
      body: { name: 'more', game: 'minecraft', config: { eula: true, memoryMb: 2048 } },
    })
    expect(create.status).toBe(403)
  })

  it('lets a view grant read but not operate, even for an operator', async () => {
    const owner = await setupAdmin()
    await configureProxmox(owner)
    const dep = await createDeployment(owner)
    for (const role of ['operator', 'viewer'] as const) {
      const { cookie } = await accountAs(role, { scope: 'granted', grants: { [dep.id]: 'view' } })
      expect((await call('GET', `/api/deployments/${dep.id}`, { cookie })).status).toBe(200)
      const res = await call('POST', `/api/deployments/${dep.id}/cancel`, { cookie })
      expect(res.status).toBe(403)
      expect(await json(res)).toMatchObject({ error: { code: 'forbidden' } })
    }
  })

  it('gives a viewer of every deployment read access only', async () => {
    const owner = await setupAdmin()
    await configureProxmox(owner)
    const dep = await createDeployment(owner)
    const { cookie } = await accountAs('viewer')
    const list = await json<{ deployments: { id: string }[] }>(
      await call('GET', '/api/deployments', { cookie }),
    )
    expect(list.deployments.map((d) => d.id)).toEqual([dep.id])
    expect((await call('POST', `/api/deployments/${dep.id}/stop`, { cookie })).status).toBe(403)
  })
})
