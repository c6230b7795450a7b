import { execFileSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

/**
 * A cluster CA and a node certificate signed by it, like `pve-root-ca.pem` + `pve-ssl.pem`
 * (docs/proxmox-api.md#tls): SANs 127.0.0.1, ::1, localhost and the node name. Made with the
 * openssl CLI.
 */
export interface SimCertificates {
  caPem: string
  certPem: string
  keyPem: string
  /** SHA-256 of the node certificate, `AB:CD:…` as GET /nodes shows it. */
  fingerprint: string
}

/** Generate fresh certificates (about 100 ms). */
export function generateCertificates(node: string): SimCertificates {
  const dir = mkdtempSync(path.join(tmpdir(), 'pve-sim-tls-'))
  const run = (args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
  }
  try {
    run([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '3650',
      '-subj',
      '/CN=Proxmox Virtual Environment/OU=pve-sim/O=PVE Cluster Manager CA',
    ])
    run([
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      'node.key',
      '-out',
      'node.csr',
      '-subj',
      `/CN=${node}.sim.invalid/OU=PVE Cluster Node/O=Proxmox Virtual Environment`,
    ])
    writeFileSync(
      path.join(dir, 'ext.cnf'),
      `subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost,DNS:${node}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`,
    )
    run([
      'x509',
      '-req',
      '-in',
      'node.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'node.pem',
      '-days',
      '730',
      '-extfile',
      'ext.cnf',
    ])
    const certPem = readFileSync(path.join(dir, 'node.pem'), 'utf8')
    return {
      caPem: readFileSync(path.join(dir, 'ca.pem'), 'utf8'),
      certPem,
      keyPem: readFileSync(path.join(dir, 'node.key'), 'utf8'),
      fingerprint: new X509Certificate(certPem).fingerprint256,
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
