import { randomUUID } from 'node:crypto'
import http from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import type { ProxmoxConnection } from '../../core/settings'
import { BannerBackend } from './backend'
import { SimCluster } from './cluster'
import {
  DEFAULT_FAULTS,
  DEFAULT_TIMING,
  type PveSimOptions,
  type SimFaults,
  type SimTiming,
} from './options'
import { createRequestHandler, type SimRequest } from './server'
import { generateCertificates, type SimCertificates } from './tls'

export { BannerBackend } from './backend'
export { QemuBackend } from './qemu-backend'
export type { QemuBackendOptions } from './qemu-backend'
export type { GuestBehaviour, SimGuest, VmBackend, ShutdownResult } from './backend'
/**
 * A node's two usual storages: `local` (a folder: ISO images, templates, backups, imports) and
 * `local-lvm` (thin LVM: the VMs' disks), the latter `sizeGiB` big when given.
 */
export function defaultStorages(sizeGiB?: number): PveSimOptions['storages'] {
  return [
    {
      storage: 'local',
      type: 'dir',
      content: 'iso,vztmpl,backup,import',
      shared: 0,
      active: 1,
      enabled: 1,
    },
    {
      storage: 'local-lvm',
      type: 'lvmthin',
      content: 'images,rootdir',
      shared: 0,
      active: 1,
      enabled: 1,
      ...(sizeGiB === undefined ? {} : { sizeGiB }),
    },
  ]
}

export { INSTANT_TASKS } from './options'
export type { PveSimOptions, SimFaults, SimTiming, SimToken, SimTaskFault } from './options'
export type { SimRequest } from './server'

const CERT_CACHE = new Map<string, SimCertificates>()

/** Options as callers give them: everything optional, timing and faults merged key by key. */
export type PveSimInput = Partial<Omit<PveSimOptions, 'timing' | 'faults'>> & {
  timing?: Partial<SimTiming>
  faults?: Partial<SimFaults>
}

/**
 * A local Proxmox VE API for tests and the demo: one node, a cloud-init template, token auth,
 * schema validation of every request, tasks, locks, races and fault injection.
 * Listens on loopback only.
 */
export class PveSimulator {
  readonly options: PveSimOptions
  readonly cluster: SimCluster
  /** Every request received, with its validation result. */
  readonly requests: SimRequest[] = []
  /** TCP connections accepted (keep-alive shows as fewer connections than requests). */
  connections = 0
  private server: http.Server | null = null
  private certs: SimCertificates | null = null

  constructor(input: PveSimInput = {}) {
    const tokenId = 'deployer@pve!pgd'
    this.options = {
      node: 'pve1',
      https: true,
      host: '127.0.0.1',
      port: 0,
      tokens: [{ tokenId, secret: randomUUID(), privileges: 'all' }],
      templates: [{ vmid: 9000, name: 'debian12-ci', diskSize: '3584M', template: true }],
      pools: [{ poolid: 'pgd', comment: 'Proxmox Game Deployer' }],
      storages: defaultStorages(),
      nodeMemoryMiB: 131_072,
      bridges: ['vmbr0'],
      backend: null,
      guestSshPort: 22,
      legacyErrorBody: false,
      authFailDelayMs: 0,
      version: '9.1.3',
      nextIdAsNumber: false,
      seed: 1,
      log: () => {},
      ...input,
      timing: { ...DEFAULT_TIMING, ...input.timing },
      faults: { ...DEFAULT_FAULTS, ...input.faults, tasks: [...(input.faults?.tasks ?? [])] },
    }
    if (!this.options.host.startsWith('127.')) {
      throw new Error(`the simulator listens on 127.0.0.0/8 only, not ${this.options.host}`)
    }
    if (input.backend === undefined)
      this.options.backend = new BannerBackend({ log: this.options.log })
    this.cluster = new SimCluster(this.options)
  }

  /** Faults can be changed while running (e.g. `sim.faults.loseRace = 2`). */
  get faults(): SimFaults {
    return this.options.faults
  }

  /** The first token (id and secret), for building a connection. */
  get token(): { tokenId: string; secret: string } {
    const t = this.options.tokens[0]
    if (!t) throw new Error('the simulator has no token')
    return { tokenId: t.tokenId, secret: t.secret }
  }

  get fingerprint(): string {
    return this.certs?.fingerprint ?? ''
  }

  get caPem(): string {
    return this.certs?.caPem ?? ''
  }

  /** Start listening; resolves with the base URL (no /api2/json). */
  async start(): Promise<string> {
    let seed = this.options.seed >>> 0 || 1
    const random = (): number => {
      // xorshift32: reproducible fault injection.
      seed ^= seed << 13
      seed ^= seed >>> 17
      seed ^= seed << 5
      return (seed >>> 0) / 0x1_0000_0000
    }
    const handler = createRequestHandler({ cluster: this.cluster, requests: this.requests, random })
    if (this.options.https) {
      // Certificates are reused within a process (openssl takes ~200 ms per set).
      this.certs = CERT_CACHE.get(this.options.node) ?? generateCertificates(this.options.node)
      CERT_CACHE.set(this.options.node, this.certs)
      this.cluster.fingerprint = this.certs.fingerprint
      this.server = https.createServer(
        { cert: this.certs.certPem, key: this.certs.keyPem },
        handler,
      )
    } else {
      this.server = http.createServer(handler)
    }
    const server = this.server
    server.on('connection', () => this.connections++)
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.options.port, this.options.host, () => resolve())
    })
    return this.url
  }

  get url(): string {
    const addr = this.server?.address() as AddressInfo | null
    if (!addr) throw new Error('simulator not started')
    return `${this.options.https ? 'https' : 'http'}://${this.options.host}:${addr.port}`
  }

  /**
   * Connection settings that work against this simulator: pinned fingerprint (HTTPS), the
   * template, storage and bridge it has, and an IP pool in 127.77.0.0/16 (loopback only).
   */
  connection(over: Partial<ProxmoxConnection> = {}): ProxmoxConnection {
    return {
      apiUrl: this.url,
      node: this.options.node,
      tokenId: this.token.tokenId,
      tokenSecret: this.token.secret,
      tls: this.options.https
        ? { mode: 'fingerprint', fingerprint: this.fingerprint }
        : { mode: 'insecure' },
      templateVmid: this.options.templates[0]?.vmid ?? 9000,
      storage: 'local-lvm',
      backupStorage: 'local',
      // The first pool, where new VMs go (docs/proxmox-token.md).
      pool: this.options.pools[0]?.poolid ?? '',
      bridge: this.options.bridges[0] ?? 'vmbr0',
      vlan: null,
      gateway: '127.77.0.1',
      dnsServers: ['127.77.0.1'],
      searchDomain: '',
      ipPool: { cidr: '127.77.0.0/16', rangeStart: '127.77.0.2', rangeEnd: '127.77.250.250' },
      ciUser: 'debian',
      sshPort: this.options.guestSshPort,
      ...over,
    }
  }

  /** Hold a VM's flock as "someone else" for `ms` (lock timeout, docs/proxmox-api.md#locks). */
  async holdLock(vmid: number, ms: number): Promise<void> {
    const release = await this.cluster.flocks.acquire(
      `/var/lock/qemu-server/lock-${vmid}.conf`,
      true,
      1_000,
    )
    setTimeout(release, ms)
  }

  /** Stop listening, wait for running tasks (bounded), stop every guest. */
  async stop(): Promise<void> {
    const server = this.server
    this.server = null
    if (server) {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
    await this.cluster.tasks.drain(5_000)
    await this.options.backend?.close()
  }
}
