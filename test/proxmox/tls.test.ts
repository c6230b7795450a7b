import https from 'node:https'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ProxmoxTls } from '../../core/settings'
import { ProxmoxClient } from '../../runner/src/proxmox/client'
import { ProxmoxTlsError } from '../../runner/src/proxmox/errors'
import { PveSimulator } from '../pve-sim/index'
import { generateCertificates } from '../pve-sim/tls'
import { FAST, connectionFor } from './helpers'

/** Certificate pinning (docs/proxmox-api.md#tls): a self-signed cluster CA made for the test. */
describe('TLS verification of the Proxmox API', () => {
  const sim = new PveSimulator()
  let otherCa = ''
  beforeAll(async () => {
    await sim.start()
    otherCa = generateCertificates('elsewhere').caPem
  })
  afterAll(async () => {
    await sim.stop()
  })

  async function versionWith(tls: ProxmoxTls, log: string[] = []): Promise<unknown> {
    const client = new ProxmoxClient(
      { ...connectionFor(sim), tls },
      { ...FAST, maxRetries: 0, log: (l) => log.push(l) },
    )
    try {
      return await client.call('GET', '/version')
    } finally {
      client.close()
    }
  }

  it('connects when the certificate matches the pinned fingerprint', async () => {
    await expect(
      versionWith({ mode: 'fingerprint', fingerprint: sim.fingerprint }),
    ).resolves.toMatchObject({ version: '9.1.3' })
  })

  it('refuses a certificate with another fingerprint before sending the token', async () => {
    const before = sim.requests.length
    const wrong = sim.fingerprint.replace(/^../, sim.fingerprint.startsWith('00') ? '11' : '00')
    const err = await versionWith({ mode: 'fingerprint', fingerprint: wrong }).catch(
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(ProxmoxTlsError)
    expect((err as Error).message).toContain('does not match the pinned fingerprint')
    expect(sim.requests.length).toBe(before)
  })

  it('connects when the server certificate is signed by the configured cluster CA', async () => {
    await expect(versionWith({ mode: 'ca', caPem: sim.caPem })).resolves.toMatchObject({
      version: '9.1.3',
    })
  })

  it('refuses a server certificate signed by another CA', async () => {
    const before = sim.requests.length
    await expect(versionWith({ mode: 'ca', caPem: otherCa })).rejects.toBeInstanceOf(
      ProxmoxTlsError,
    )
    expect(sim.requests.length).toBe(before)
  })

  it('connects without verification only in insecure mode, and says so in the log', async () => {
    const log: string[] = []
    await expect(versionWith({ mode: 'insecure' }, log)).resolves.toMatchObject({
      version: '9.1.3',
    })
    expect(log.join('\n')).toMatch(
      /WARNING: TLS verification of https:\/\/127\.0\.0\.1:\d+ is DISABLED/,
    )
  })

  it('leaves verification on for every other HTTPS client in the process', async () => {
    await versionWith({ mode: 'insecure' })
    expect(process.env.NODE_TLS_REJECT_UNAUTHORIZED).toBeUndefined()
    const err = await new Promise<Error>((resolve) => {
      https
        .get(`${sim.url}/api2/json/version`, () => resolve(new Error('connected')))
        .on('error', resolve)
    })
    expect(err.message).toMatch(/self.signed|unable to verify|certificate/i)
  })
})
