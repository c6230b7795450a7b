import { describe, expect, it } from 'vitest'
import { parseFrame } from '../../core/protocol'
import { WatchFrame } from '../../core/protocol/watch'
import { watchFrame } from '../../runner/src/net/watch-frame'

/**
 * A runner between jobs checks `watch` frames by hand (no zod). These tests hold the hand check to
 * the frame's zod schema over many variants: whatever it accepts, the schema accepts with the same
 * value; what it refuses goes to the schema (so a refusal only costs memory, never a wrong list);
 * and the frames the hub sends are accepted.
 */

const PROXMOX = {
  apiUrl: 'https://pve.lan:8006',
  node: 'pve',
  tokenId: 'deployer@pve!pgd',
  tokenSecret: 'watch000-1111-2222-3333-444455556666',
  tls: { mode: 'insecure' },
  templateVmid: 9000,
  storage: 'local-lvm',
  backupStorage: 'local',
  pool: '',
  bridge: 'vmbr0',
  vlan: null,
  gateway: '192.168.1.1',
  dnsServers: ['192.168.1.1'],
  searchDomain: '',
  ipPool: { cidr: '192.168.1.0/24', rangeStart: '192.168.1.10', rangeEnd: '192.168.1.250' },
  ciUser: 'debian',
  sshPort: 22,
}
const SLP = { kind: 'minecraft-slp', port: 25_565, expect: { motd: 'hi' }, timeoutMs: 5_000 }
const TARGET = {
  deploymentId: 'd-1',
  vmid: 101,
  ipAddress: '192.168.1.10',
  game: 'minecraft',
  check: SLP,
  channel: { kind: 'minecraft-server', edition: 'vanilla', version: 'latest' },
}
const FRAME = {
  v: 1,
  type: 'watch',
  proxmox: PROXMOX,
  statusIntervalMs: 30_000,
  sweepIntervalMs: 0,
  targets: [TARGET],
}

const FINGERPRINT = Array.from({ length: 32 }, () => 'AB').join(':')
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----'

/** Each entry changes one thing of FRAME; the schema decides, the hand check must agree. */
const proxmoxVariants: Record<string, unknown>[] = [
  {},
  { apiUrl: 'http://127.0.0.1:8006' },
  { apiUrl: 'https://pve.lan:8006/' },
  { apiUrl: 'https://pve.lan:8006/api2/json' },
  { apiUrl: ' https://pve.lan:8006' },
  { apiUrl: 'ftp://pve.lan' },
  { apiUrl: 'https://' },
  { apiUrl: 'https://pve\n.lan' },
  { apiUrl: 7 },
  { node: 'pve-2' },
  { node: '-pve' },
  { node: ' pve' },
  { tokenId: 'root@pam!x' },
  { tokenId: 'root@pam' },
  { tokenSecret: '' },
  { tokenSecret: undefined },
  { tls: { mode: 'fingerprint', fingerprint: FINGERPRINT } },
  { tls: { mode: 'fingerprint', fingerprint: FINGERPRINT.toLowerCase() } },
  { tls: { mode: 'fingerprint', fingerprint: 'AB:CD' } },
  { tls: { mode: 'ca', caPem: PEM } },
  { tls: { mode: 'ca', caPem: `${PEM}\n` } },
  { tls: { mode: 'ca', caPem: 'nope' } },
  { tls: { mode: 'insecure', extra: 1 } },
  { tls: { mode: 'other' } },
  { tls: null },
  { templateVmid: 99 },
  { templateVmid: 1_000_000_000 },
  { templateVmid: '9000' },
  { templateVmid: 9000.5 },
  { storage: '1local' },
  { backupStorage: undefined },
  { backupStorage: 'pbs-1' },
  { backupStorage: '' },
  { pool: 'pgd' },
  { pool: 'a/b/c' },
  { pool: 'a/b/c/d' },
  { pool: undefined },
  { pool: 'x'.repeat(65) },
  { bridge: 'vmbr0.100' },
  { bridge: 'x'.repeat(16) },
  { vlan: 10 },
  { vlan: 0 },
  { vlan: 4095 },
  { vlan: '10' },
  { vlan: undefined },
  { gateway: '192.168.1.256' },
  { gateway: '192.168.1.1 ' },
  { dnsServers: [] },
  { dnsServers: ['1.1.1.1', '8.8.8.8', '9.9.9.9'] },
  { dnsServers: ['1.1.1.1', '8.8.8.8', '9.9.9.9', '1.0.0.1'] },
  { dnsServers: ['1.1.1'] },
  { searchDomain: 'lan.example' },
  { searchDomain: 'bad domain' },
  { searchDomain: undefined },
  { ipPool: { cidr: '192.168.1.0/24', rangeStart: '192.168.1.250', rangeEnd: '192.168.1.10' } },
  { ipPool: { cidr: '192.168.1.0/24', rangeStart: '192.168.2.10', rangeEnd: '192.168.2.20' } },
  { ipPool: { cidr: '192.168.1.0/33', rangeStart: '192.168.1.10', rangeEnd: '192.168.1.20' } },
  { ipPool: null },
  { ciUser: 'Debian' },
  { ciUser: 'ubuntu' },
  { sshPort: 2222 },
  { sshPort: 0 },
  { sshPort: 65_536 },
  { sshPort: undefined },
  { unknown: 'dropped' },
]

const targetVariants: Record<string, unknown>[] = [
  {},
  { deploymentId: '' },
  { deploymentId: 'x'.repeat(64) },
  { deploymentId: 'x'.repeat(65) },
  { vmid: 0 },
  { vmid: 2 ** 53 },
  { vmid: 1.5 },
  { ipAddress: 7 },
  { game: undefined },
  { check: null },
  { check: undefined },
  { check: { kind: 'tcp', port: 22, timeoutMs: 1 } },
  { check: { kind: 'tcp', port: 22, timeoutMs: 0 } },
  { check: { kind: 'tcp', port: 22.5, timeoutMs: 10 } },
  { check: { kind: 'udp', port: 2457, payloadHex: 'ff00', timeoutMs: 10 } },
  { check: { kind: 'udp', port: 2457, payloadHex: 'FF00', timeoutMs: 10 } },
  { check: { kind: 'udp', port: 2457, payloadHex: 'f', timeoutMs: 10 } },
  { check: { kind: 'steam-a2s', port: 2457, expect: {}, timeoutMs: 10 } },
  { check: { kind: 'steam-a2s', port: 2457, expect: { name: 'x', more: 1 }, timeoutMs: 10 } },
  { check: { kind: 'steam-a2s', port: 2457, expect: { name: 1 }, timeoutMs: 10 } },
  { check: { kind: 'steam-a2s', port: 2457, timeoutMs: 10 } },
  { check: { ...SLP, expect: { maxPlayers: 20, version: '1.21', edition: 'paper' } } },
  { check: { ...SLP, expect: { edition: 'forge' } } },
  { check: { ...SLP, expect: { maxPlayers: 2.5 } } },
  { check: { ...SLP, extra: true } },
  { check: { kind: 'telnet', port: 23, timeoutMs: 10 } },
  { channel: undefined },
  { channel: { kind: 'minecraft-server', edition: 'paper', version: '1.21.4' } },
  { channel: { kind: 'minecraft-server', edition: 'forge', version: 'latest' } },
  { channel: { kind: 'steam', edition: 'vanilla', version: 'latest' } },
  { channel: null },
  { extra: 'dropped' },
]

const frameVariants: unknown[] = [
  FRAME,
  { ...FRAME, proxmox: null, targets: [] },
  { ...FRAME, proxmox: null },
  { ...FRAME, proxmox: null, targets: [], sweepIntervalMs: 60_000 },
  { ...FRAME, targets: [] },
  { ...FRAME, statusIntervalMs: 99 },
  { ...FRAME, statusIntervalMs: '30000' },
  { ...FRAME, sweepIntervalMs: -1 },
  { ...FRAME, sweepIntervalMs: 60_000 },
  { ...FRAME, v: 2 },
  { ...FRAME, type: 'watch', extra: 1 },
  { ...FRAME, targets: Array.from({ length: 1_000 }, (_, i) => ({ ...TARGET, vmid: 100 + i })) },
  { ...FRAME, targets: Array.from({ length: 1_001 }, (_, i) => ({ ...TARGET, vmid: 100 + i })) },
  { ...FRAME, targets: null },
  ...proxmoxVariants.map((p) => ({ ...FRAME, proxmox: { ...PROXMOX, ...p } })),
  ...targetVariants.map((t) => ({ ...FRAME, targets: [{ ...TARGET, ...t }] })),
]

describe('the hand-checked watch frame', () => {
  it('accepts only what the schema accepts, with the same value', () => {
    let accepted = 0
    for (const variant of frameVariants) {
      const text = JSON.stringify(variant)
      const zod = parseFrame(WatchFrame, text)
      const hand = watchFrame(text)
      if (hand) {
        accepted++
        expect(zod, text).toEqual({ ok: true, frame: hand })
      }
    }
    // The valid variants already in the form the hub sends are taken by the hand check.
    expect(accepted).toBeGreaterThan(30)
  })

  it('takes every frame the schema accepts unchanged (what the hub sends)', () => {
    for (const variant of frameVariants) {
      const text = JSON.stringify(variant)
      const zod = parseFrame(WatchFrame, text)
      // The schema's own output is what the hub sends (it parses what it stores).
      if (zod.ok) expect(watchFrame(JSON.stringify(zod.frame)), text).toEqual(zod.frame)
    }
  })
})
