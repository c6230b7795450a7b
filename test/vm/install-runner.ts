import { spawn, type ChildProcess } from 'node:child_process'
import { createReadStream, existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { REPO_ROOT } from './qemu'

/**
 * What the real-VM tier needs to install the runner on its Debian VM the way the README says
 * (`ansible-playbook -i 'host,' ansible/install_runner.yml -e pgd_server=… -e pgd_code=…`),
 * with the guest isolated: it has no route anywhere, so the dashboard is reached through an SSH
 * reverse tunnel onto the guest's own loopback, and Node.js (which a real host would get from
 * NodeSource) is copied in beforehand.
 */

/** A Node.js of the major the playbook requires, to copy onto the guest as /usr/bin/node. */
export function localNodeBinary(): string {
  const fromPackage = join(REPO_ROOT, 'node_modules/node/bin/node')
  if (existsSync(fromPackage)) return fromPackage
  const major = Number(process.versions.node.split('.')[0])
  if (major >= 22) return process.execPath
  throw new Error('no Node.js ≥ 22 to copy onto the VM: run npm ci (node@24 is a devDependency)')
}

/** Streams a local file into the guest at `dest` (root-owned, mode 0755) over SSH. */
export function copyExecutable(ssh: string[], file: string, dest: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', [...ssh, `sudo tee ${dest} >/dev/null && sudo chmod 0755 ${dest}`], {
      stdio: ['pipe', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 10 * 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      if (code === 0) resolve()
      else reject(new Error(`copying ${file} to the VM failed (${code}): ${stderr}`))
    })
    createReadStream(file).pipe(child.stdin)
  })
}

/**
 * Opens `ssh -N -R 127.0.0.1:<guestPort>:127.0.0.1:<hostPort>`: the guest's loopback port reaches
 * the local dashboard. Resolves once the forward is up (ssh exits at once when it cannot be).
 */
export async function reverseTunnel(
  ssh: string[],
  guestPort: number,
  hostPort: number,
): Promise<ChildProcess> {
  const child = spawn(
    'ssh',
    [
      ...['-N', '-o', 'ExitOnForwardFailure=yes', '-o', 'ServerAliveInterval=15'],
      ...['-R', `127.0.0.1:${guestPort}:127.0.0.1:${hostPort}`],
      ...ssh,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let stderr = ''
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()))
  // ExitOnForwardFailure: a forward the guest's sshd refuses ends ssh within its first seconds.
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, 5_000)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the SSH reverse tunnel ended (${code}): ${stderr}`))
    })
  })
  return child
}

export interface InstallRun {
  code: number | null
  output: string
  /** `PLAY RECAP` counts for the one host. */
  recap: { ok: number; changed: number; failed: number; unreachable: number } | null
}

/** Shell-quotes one word for bash. */
const sh = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`

/**
 * Runs the install command the dashboard showed (the README's, core/runner-install.ts) against
 * the guest, as an admin would from a clone of the repository: the inventory names the VM instead
 * of `runner.lan`, and how to reach it (port, user, key, its pinned host key) is added the way an
 * admin's inventory would hold it.
 */
export async function runInstallPlaybook(options: {
  command: string
  host: string
  port: number
  user: string
  privateKey: string
  hostKey: string
  workDir: string
  extraVars?: Record<string, unknown>
}): Promise<InstallRun> {
  if (!options.command.startsWith("ansible-playbook -i 'runner.lan,' ")) {
    throw new Error(`not the dashboard's install command: ${options.command}`)
  }
  const known = join(options.workDir, 'known_hosts')
  await writeFile(known, `[${options.host}]:${options.port} ${options.hostKey}\n`)
  const line = [
    options.command.replace("'runner.lan,'", sh(`${options.host},`)),
    ...['-e', `ansible_port=${options.port}`, '-e', `ansible_user=${options.user}`],
    ...['--private-key', sh(options.privateKey)],
    '--ssh-common-args',
    sh(`-o UserKnownHostsFile=${known} -o StrictHostKeyChecking=yes`),
    ...(options.extraVars ? ['-e', sh(JSON.stringify(options.extraVars))] : []),
  ].join(' ')
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', line], {
      cwd: REPO_ROOT,
      env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (c: Buffer) => (output += c.toString()))
    child.stderr.on('data', (c: Buffer) => (output += c.toString()))
    const timer = setTimeout(() => child.kill('SIGTERM'), 15 * 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      const m = /ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/.exec(output)
      const [ok, changed, unreachable, failed] = (m?.slice(1) ?? []).map(Number)
      resolve({
        code,
        output,
        recap:
          m && ok !== undefined && changed !== undefined
            ? { ok, changed, unreachable: unreachable ?? 0, failed: failed ?? 0 }
            : null,
      })
    })
  })
}
