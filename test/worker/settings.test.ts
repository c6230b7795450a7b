import { describe, expect, it } from 'vitest'
import { app } from '../../worker/app'
import { call, env, json, setupAdmin } from './helpers'

const SECRET = '5e1c7a2b-9d4f-4e8a-b1c3-0f2e6d7a8b9c'

const proxmox = {
  apiUrl: 'https://pve.lan:8006/',
  node: 'pve1',
  tokenId: 'deployer@pve!pgd',
  tokenSecret: SECRET,
  tls: { mode: 'fingerprint', fingerprint: 'ab:'.repeat(31) + 'ab' },
  templateVmid: 9000,
  storage: 'local-lvm',
  bridge: 'vmbr0',
  vlan: 20,
  gateway: '192.168.20.1',
  dnsServers: ['192.168.20.1', '1.1.1.1'],
  searchDomain: 'lan',
  ipPool: { cidr: '192.168.20.0/24', rangeStart: '192.168.20.100', rangeEnd: '192.168.20.150' },
  ciUser: 'debian',
}

describe('Proxmox settings', () => {
  it('starts empty', async () => {
    const cookie = await setupAdmin()
    expect(await json(await call('GET', '/api/settings/proxmox', { cookie }))).toEqual({
      proxmox: null,
    })
  })

  it('round-trips every field, normalised, without ever returning the secret', async () => {
    const cookie = await setupAdmin()
    const put = await call('PUT', '/api/settings/proxmox', { cookie, body: proxmox })
    expect(put.status).toBe(200)
    const putText = await put.text()
    expect(putText).not.toContain(SECRET)
    const get = await call('GET', '/api/settings/proxmox', { cookie })
    const getText = await get.text()
    expect(getText).not.toContain(SECRET)
    const { tokenSecret: _secret, ...rest } = proxmox
    expect(JSON.parse(getText)).toEqual({
      proxmox: {
        ...rest,
        apiUrl: 'https://pve.lan:8006',
        tls: { mode: 'fingerprint', fingerprint: 'AB:'.repeat(31) + 'AB' },
        sshPort: 22,
        pool: '',
        // Not given: backups go to `local`, the storage every Proxmox node has.
        backupStorage: 'local',
        tokenSecretSet: true,
      },
    })
  })

  it('keeps the resource pool the VMs go into, and names a bad pool name', async () => {
    const cookie = await setupAdmin()
    const bad = await call('PUT', '/api/settings/proxmox', {
      cookie,
      body: { ...proxmox, pool: 'games pool' },
    })
    expect(bad.status).toBe(400)
    expect(await json(bad)).toMatchObject({
      error: { details: [{ path: 'pool', message: expect.stringContaining('pool name') }] },
    })
    await call('PUT', '/api/settings/proxmox', { cookie, body: { ...proxmox, pool: 'pgd' } })
    const got = await json<{ proxmox: { pool: string } }>(
      await call('GET', '/api/settings/proxmox', { cookie }),
    )
    expect(got.proxmox.pool).toBe('pgd')
    const { loadProxmoxConnection } = await import('../../worker/settings/proxmox')
    expect((await loadProxmoxConnection(env))?.pool).toBe('pgd')
  })

  it('stores the token secret AES-GCM encrypted at rest, never in plain text', async () => {
    const cookie = await setupAdmin()
    await call('PUT', '/api/settings/proxmox', { cookie, body: proxmox })
    const row = await env.DB.prepare(
      `select value_json from settings where key = 'proxmox'`,
    ).first<{
      value_json: string
    }>()
    expect(row?.value_json).toBeDefined()
    expect(row?.value_json).not.toContain(SECRET)
    const stored = JSON.parse(row?.value_json ?? '{}') as { tokenSecretEnc?: string }
    expect(stored.tokenSecretEnc).toMatch(/^v2\.[0-9a-f]{16}\.[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+$/)
  })

  it('decrypts the secret for a runner job with the right key only', async () => {
    const cookie = await setupAdmin()
    await call('PUT', '/api/settings/proxmox', { cookie, body: proxmox })
    const { loadProxmoxConnection } = await import('../../worker/settings/proxmox')
    expect((await loadProxmoxConnection(env))?.tokenSecret).toBe(SECRET)
    await expect(
      loadProxmoxConnection({ ...env, APP_ENC_KEY: 'another-key-of-sufficient-length-1234567890' }),
    ).rejects.toThrow()
  })

  it('keeps the stored secret when an update omits it', async () => {
    const cookie = await setupAdmin()
    await call('PUT', '/api/settings/proxmox', { cookie, body: proxmox })
    const { tokenSecret: _s, ...withoutSecret } = proxmox
    const res = await call('PUT', '/api/settings/proxmox', {
      cookie,
      body: { ...withoutSecret, node: 'pve2' },
    })
    expect(res.status).toBe(200)
    expect(await json(res)).toMatchObject({ proxmox: { node: 'pve2', tokenSecretSet: true } })
    const { loadProxmoxConnection } = await import('../../worker/settings/proxmox')
    expect((await loadProxmoxConnection(env))?.tokenSecret).toBe(SECRET)
  })

  it('requires the secret the first time', async () => {
    const cookie = await setupAdmin()
    const { tokenSecret: _s, ...withoutSecret } = proxmox
    const res = await call('PUT', '/api/settings/proxmox', { cookie, body: withoutSecret })
    expect(res.status).toBe(400)
    expect(await json(res)).toMatchObject({ error: { details: [{ path: 'tokenSecret' }] } })
  })

  it('writes an audit row naming the changed fields, not their values', async () => {
    const cookie = await setupAdmin()
    await call('PUT', '/api/settings/proxmox', { cookie, body: proxmox })
    const row = await env.DB.prepare(
      `select actor, details_json from audit_log where action = 'settings.proxmox_updated'`,
    ).first<{ actor: string; details_json: string }>()
    expect(row?.actor).toBe('admin')
    expect(row?.details_json).not.toContain(SECRET)
    expect(JSON.parse(row?.details_json ?? '{}')).toMatchObject({
      changed: expect.arrayContaining(['node', 'tokenSecret', 'ipPool']),
    })
  })

  it('writes no audit row for a save that changed nothing', async () => {
    const cookie = await setupAdmin()
    await call('PUT', '/api/settings/proxmox', { cookie, body: proxmox })
    const { tokenSecret: _s, ...same } = proxmox
    expect((await call('PUT', '/api/settings/proxmox', { cookie, body: same })).status).toBe(200)
    const policy = { onFailure: 'destroy', orphans: 'report' }
    await call('PUT', '/api/settings/cleanup', { cookie, body: policy })
    await call('PUT', '/api/settings/cleanup', { cookie, body: policy })
    const counts = await env.DB.prepare(
      `select action, count(*) as n from audit_log where action like 'settings.%' group by action`,
    ).all<{ action: string; n: number }>()
    expect(Object.fromEntries(counts.results.map((r) => [r.action, r.n]))).toEqual({
      'settings.proxmox_updated': 1,
      'settings.cleanup_updated': 1,
    })
  })

  it.each([
    ['apiUrl', { apiUrl: 'not a url' }],
    ['tokenId', { tokenId: 'root' }],
    ['tls.fingerprint', { tls: { mode: 'fingerprint', fingerprint: 'AB:CD' } }],
    ['tls.mode', { tls: { mode: 'trust-me' } }],
    ['templateVmid', { templateVmid: 'abc' }],
    ['vlan', { vlan: 5000 }],
    ['gateway', { gateway: '300.1.1.1' }],
    ['dnsServers', { dnsServers: [] }],
    ['ipPool.rangeEnd', { ipPool: { ...proxmox.ipPool, rangeEnd: '192.168.20.10' } }],
    ['ipPool.rangeStart', { ipPool: { ...proxmox.ipPool, rangeStart: '10.0.0.1' } }],
    ['ciUser', { ciUser: 'Root User' }],
  ])('refuses a bad %s with 400 naming it', async (field, patch) => {
    const cookie = await setupAdmin()
    const res = await call('PUT', '/api/settings/proxmox', {
      cookie,
      body: { ...proxmox, ...patch },
    })
    expect(res.status).toBe(400)
    const body = await json<{ error: { message: string; details: { path: string }[] } }>(res)
    expect(body.error.details.map((d) => d.path)).toContain(field)
    expect(body.error.message).toContain(field)
  })

  it('answers a clear 503, not a silent plain-text save, when APP_ENC_KEY is missing or short', async () => {
    const cookie = await setupAdmin()
    for (const key of [undefined, 'short']) {
      const res = await app.request(
        'http://dash.test/api/settings/proxmox',
        {
          method: 'PUT',
          headers: { cookie, 'content-type': 'application/json', origin: 'http://dash.test' },
          body: JSON.stringify(proxmox),
        },
        { ...env, APP_ENC_KEY: key },
      )
      expect(res.status).toBe(503)
      const body = await json<{ error: { code: string; message: string } }>(res)
      expect(body.error.code).toBe('server_misconfigured')
      expect(body.error.message).toContain('APP_ENC_KEY')
    }
    const n = await env.DB.prepare('select count(*) as n from settings').first<{ n: number }>()
    expect(n?.n).toBe(0)
  })
})

describe('where the stored token secret may be sent', () => {
  const { tokenSecret: _s, ...withoutSecret } = proxmox
  const saved = async () => {
    const { loadProxmoxConnection } = await import('../../worker/settings/proxmox')
    return loadProxmoxConnection(env)
  }

  it.each([
    ['the API URL', 'apiUrl', { apiUrl: 'https://attacker.example:8006' }],
    ['the token id', 'tokenId', { tokenId: 'someone@pve!other' }],
    ['the TLS mode', 'tls', { tls: { mode: 'insecure' } }],
    [
      'the pinned fingerprint',
      'tls',
      { tls: { mode: 'fingerprint', fingerprint: 'CD:'.repeat(31) + 'CD' } },
    ],
    [
      'the CA',
      'tls',
      {
        tls: {
          mode: 'ca',
          caPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
        },
      },
    ],
  ])(
    'asks for the secret again when %s changes, and keeps the saved connection',
    async (_what, field, patch) => {
      const cookie = await setupAdmin()
      await call('PUT', '/api/settings/proxmox', { cookie, body: proxmox })
      const res = await call('PUT', '/api/settings/proxmox', {
        cookie,
        body: { ...withoutSecret, ...patch },
      })
      expect(res.status).toBe(422)
      const body = await json<{
        error: { code: string; message: string; details: { path: string; message: string }[] }
      }>(res)
      expect(body.error.code).toBe('token_secret_required')
      expect(body.error.message).toContain('tokenSecret')
      expect(body.error.details).toEqual([
        { path: 'tokenSecret', message: expect.stringContaining(`${field} changed`) },
      ])
      const kept = await saved()
      expect(kept).toMatchObject({
        apiUrl: 'https://pve.lan:8006',
        tokenId: proxmox.tokenId,
        tls: { mode: 'fingerprint' },
      })
    },
  )

  it('accepts the new destination together with the secret typed again', async () => {
    const cookie = await setupAdmin()
    await call('PUT', '/api/settings/proxmox', { cookie, body: proxmox })
    const res = await call('PUT', '/api/settings/proxmox', {
      cookie,
      body: { ...proxmox, apiUrl: 'https://pve2.lan:8006', tokenSecret: 'a-new-secret' },
    })
    expect(res.status).toBe(200)
    expect(await saved()).toMatchObject({
      apiUrl: 'https://pve2.lan:8006',
      tokenSecret: 'a-new-secret',
    })
  })

  it('refuses a plain http:// API URL outside the demo, naming the field', async () => {
    const cookie = await setupAdmin()
    const res = await call('PUT', '/api/settings/proxmox', {
      cookie,
      body: { ...proxmox, apiUrl: 'http://pve.lan:8006' },
    })
    expect(res.status).toBe(400)
    const body = await json<{ error: { message: string; details: { path: string }[] } }>(res)
    expect(body.error.details.map((d) => d.path)).toEqual(['apiUrl'])
    expect(body.error.message).toMatch(/apiUrl: must start with https:\/\//)
    expect(await saved()).toBeNull()
  })

  it('accepts plain http:// when the dashboard drives the simulator (TARGET_MODE=demo)', async () => {
    const cookie = await setupAdmin()
    const res = await app.request(
      'http://dash.test/api/settings/proxmox',
      {
        method: 'PUT',
        headers: { cookie, 'content-type': 'application/json', origin: 'http://dash.test' },
        body: JSON.stringify({ ...proxmox, apiUrl: 'http://127.0.0.1:8006' }),
      },
      { ...env, TARGET_MODE: 'demo' },
    )
    expect(res.status).toBe(200)
  })

  it('will not test a connection saved earlier with plain http:// outside the demo', async () => {
    const cookie = await setupAdmin()
    await call('PUT', '/api/settings/proxmox', { cookie, body: proxmox })
    // As an install from before plain http was refused would have it.
    await env.DB.prepare(
      `update settings set value_json = json_set(value_json, '$.apiUrl', 'http://pve.lan:8006')
       where key = 'proxmox'`,
    ).run()
    const res = await call('POST', '/api/settings/proxmox/test', { cookie })
    expect(res.status).toBe(409)
    expect(await json(res)).toMatchObject({ error: { code: 'insecure_api_url' } })
  })
})
