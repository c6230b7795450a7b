import { timingSafeEqual } from 'node:crypto'
import type net from 'node:net'
import ssh2 from 'ssh2'
import type { SshHostKey } from './ssh-server'
import type { SimJournal } from './journal'

/**
 * The simulated guests' sshd past the key exchange (the `ssh2` library's server): public key
 * login as the VM's cloud-init user with one of its cloud-init `sshkeys` (the signature checked),
 * and exec of the one command the product runs on a VM by itself, `journalctl`, against the
 * guest's simulated journal (./journal.ts). No shell, no other command, no forwarding. Each open
 * exec channel is counted, so a test sees when the runner's session ends.
 */

export interface GuestLogin {
  /** The cloud-init user (`ciuser`); null: none configured, nobody logs in. */
  user: string | null
  /** `sshkeys` lines (`ssh-ed25519 AAAA… comment`). */
  authorizedKeys: string[]
  journal: SimJournal
  /** Called when an exec channel opens (+1) and closes (-1). */
  onExec: (delta: 1 | -1) => void
}

/** Serve one TCP connection as the VM's sshd. */
export function serveSshLogin(
  socket: net.Socket,
  banner: string,
  hostKey: SshHostKey,
  login: GuestLogin,
): void {
  const server = new ssh2.Server(
    { hostKeys: [hostKey.openssh], ident: banner.replace(/^SSH-2\.0-/, '') },
    (client) => {
      // A client that goes away (killed, network gone) ends its channels with it.
      const open = new Set<() => void>()
      client.on('close', () => {
        for (const end of [...open]) end()
      })
      client.on('error', () => client.end())
      client.on('authentication', (ctx) => {
        if (ctx.method !== 'publickey' || login.user === null || ctx.username !== login.user) {
          return ctx.reject(['publickey'])
        }
        const key = login.authorizedKeys
          .map((line) => ssh2.utils.parseKey(line))
          .find((k): k is ssh2.ParsedKey => !(k instanceof Error) && sameKey(k, ctx.key))
        if (!key) return ctx.reject(['publickey'])
        // Without a signature the client only asks whether the key would do (RFC 4252 §7).
        if (!ctx.signature || !ctx.blob) return ctx.accept()
        if (key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true) return ctx.accept()
        ctx.reject(['publickey'])
      })
      client.on('ready', () => {
        client.on('session', (acceptSession) => {
          const session = acceptSession()
          session.on('exec', (accept, _reject, info) => {
            const channel = accept()
            login.onExec(1)
            let closed = false
            const stop = login.journal.run(info.command, {
              write: (text) => {
                if (!closed) channel.write(text)
              },
              exit: (code, stderr) => {
                if (closed) return
                if (stderr) channel.stderr.write(stderr)
                channel.exit(code)
                channel.end()
              },
            })
            const end = () => {
              if (closed) return
              closed = true
              open.delete(end)
              stop()
              login.onExec(-1)
            }
            open.add(end)
            channel.on('close', end)
          })
          // No shell, no pty, no subsystem: a VM the product configured needs none from here.
          session.on('shell', (_accept, reject) => reject())
          session.on('subsystem', (_accept, reject) => reject())
        })
      })
    },
  )
  server.injectSocket(socket)
}

function sameKey(key: ssh2.ParsedKey, offered: { algo: string; data: Buffer }): boolean {
  const blob = key.getPublicSSH()
  return key.type === offered.algo && blob.length === offered.data.length
    ? timingSafeEqual(blob, offered.data)
    : false
}
