import { generateKeyPairSync } from 'node:crypto'
import type { DeploymentSpec, JobAssignment } from '../../core/protocol'
import type { ProxmoxConnection } from '../../core/settings'
import type { VmSpec } from '../../core/vm-spec'
import { VmSteps, type VmStepsOptions } from '../../runner/src/proxmox/vm-steps'
import { BannerBackend, PveSimulator, type PveSimInput } from '../pve-sim/index'

/** Shared set-up for the client tests: a simulator on loopback and a client pointed at it. */

/** Fast polling and backoff, so tests take milliseconds (behaviour, not timing, is asserted). */
export const FAST: VmStepsOptions = {
  pollIntervalMs: 5,
  retryBaseMs: 5,
  retryCapMs: 40,
  retry: { attempts: 6, baseMs: 5, capMs: 40 },
  timeouts: {
    cloneMs: 15_000,
    taskMs: 10_000,
    startMs: 10_000,
    unlockMs: 15_000,
    cloneAppearMs: 200,
  },
}

/** A high port for the simulated guests' sshd; addresses are unique per test, in 127.77.0.0/16. */
export const GUEST_SSH_PORT = 20_000 + Math.floor(Math.random() * 20_000)

let nextHost = Math.floor(Math.random() * 200)

/** A fresh loopback address in the test pool 127.77.0.0/16 (never any other range). */
export function loopbackIp(): string {
  nextHost += 1
  return `127.77.${Math.floor(nextHost / 250) % 250}.${(nextHost % 250) + 2}`
}

/** The connection settings for a simulator (pool in 127.0.0.0/8 as the network rule demands). */
export function connectionFor(
  sim: PveSimulator,
  over: Partial<ProxmoxConnection> = {},
): ProxmoxConnection {
  return sim.connection({
    vlan: 20,
    dnsServers: ['1.1.1.1', '9.9.9.9'],
    searchDomain: 'games.example',
    ...over,
  })
}

/** A real OpenSSH ed25519 public key line, with the given comment. */
export function sshKey(comment: string): string {
  const { publicKey } = generateKeyPairSync('ed25519')
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32)
  const type = Buffer.from('ssh-ed25519')
  const blob = Buffer.concat([u32(type.length), type, u32(raw.length), raw])
  return `ssh-ed25519 ${blob.toString('base64')} ${comment}`
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n)
  return b
}

let specCounter = 0

/** A valid VmSpec with a unique deployment id and loopback address. */
export function specFor(over: Partial<VmSpec> = {}): VmSpec {
  specCounter += 1
  return {
    deploymentId: `01jdtest${Date.now().toString(36)}${specCounter.toString(36).padStart(3, '0')}`,
    name: `Survival World ${specCounter}`,
    cores: 2,
    memoryMiB: 4096,
    diskGiB: 20,
    ipAddress: loopbackIp(),
    sshPublicKeys: [sshKey('runner@pgd')],
    ...over,
  }
}

export interface Harness {
  sim: PveSimulator
  steps: VmSteps
  conn: ProxmoxConnection
  logs: string[]
  ctx: { log: (line: string) => void }
  close: () => Promise<void>
}

/**
 * Start a simulator (HTTPS, banner backend) and a VmSteps client pinned to its fingerprint.
 * `close()` fails if any request failed schema validation, unless `allowInvalid` (tests that
 * send invalid requests on purpose).
 */
export async function startHarness(
  input: PveSimInput = {},
  stepOptions: VmStepsOptions = {},
  conn: Partial<ProxmoxConnection> = {},
  allowInvalid = false,
): Promise<Harness> {
  const sim = new PveSimulator({
    guestSshPort: GUEST_SSH_PORT,
    backend: new BannerBackend({ bootDelayMs: 30 }),
    ...input,
    timing: { cloneMs: 40, ...input.timing },
  })
  await sim.start()
  const logs: string[] = []
  const connection = connectionFor(sim, conn)
  const steps = new VmSteps(connection, { ...FAST, ...stepOptions, log: (l) => logs.push(l) })
  return {
    sim,
    steps,
    conn: connection,
    logs,
    ctx: { log: (line) => logs.push(line) },
    close: async () => {
      steps.close()
      await sim.stop()
      // Every client test doubles as a schema test: nothing the client sent may fail validation.
      const invalid = sim.requests.filter((r) => Object.keys(r.errors).length > 0)
      if (invalid.length > 0 && !allowInvalid) {
        throw new Error(
          `the client sent requests PVE would reject: ${JSON.stringify(invalid.map((r) => [r.endpoint, r.errors]))}`,
        )
      }
    },
  }
}

/** Run the provisioning steps up to a started VM; returns its id. */
export async function deployVm(h: Harness, spec: VmSpec): Promise<number> {
  const { vmid } = await h.steps.allocateAndClone(spec, h.ctx)
  await h.steps.configure(vmid, spec, h.ctx)
  await h.steps.resizeDisk(vmid, spec, h.ctx)
  await h.steps.start(vmid, spec.deploymentId, h.ctx)
  return vmid
}

/** Poll `check` every 5 ms until it returns a value other than null/false, or fail with `message`. */
export async function until<T>(
  check: () => T | null | false | Promise<T | null | false>,
  timeoutMs: number,
  message: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v !== null && v !== false) return v
    if (Date.now() > deadline) throw new Error(`${message} (within ${timeoutMs} ms)`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** A job as the hub would hand it for a deployment of the harness's node (a backup by default). */
export function assignmentFor(
  h: Harness,
  deploymentId: string,
  jobId: string,
  over: Partial<JobAssignment> = {},
  spec: Partial<DeploymentSpec> = {},
): JobAssignment {
  return {
    jobId,
    deploymentId,
    kind: 'backup',
    attempt: 1,
    leaseExpiresAt: Date.now() + 30_000,
    spec: {
      deploymentId,
      name: 'Survival World',
      game: 'minecraft',
      gameConfig: {},
      cores: 2,
      memoryMiB: 4096,
      diskGiB: 20,
      ipAddress: '127.0.0.1',
      sshPublicKeys: [],
      ...spec,
    },
    proxmox: h.conn,
    secrets: [],
    gameSecrets: {},
    ...over,
  }
}
