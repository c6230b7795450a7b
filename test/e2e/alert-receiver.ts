import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type Server } from 'node:http'

/** One request the loopback receiver got, as it got it. */
export interface Received {
  timestamp: string
  signature: string
  raw: string
  body: {
    id: string
    event: string
    deployment?: { name: string }
    runner?: { id: string; name: string }
    detail?: string
  }
  answered: number
  /** When it arrived (epoch ms). */
  at: number
}

/**
 * A webhook receiver on 127.0.0.1:`port`; `answer(n)` is the HTTP status for the n-th request
 * (from 0), 200 unless told otherwise.
 */
export function startReceiver(
  port: number,
  answer: (n: number) => number = () => 200,
): Promise<{ server: Server; got: Received[] }> {
  const got: Received[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8')
      const answered = answer(got.length)
      got.push({
        timestamp: String(req.headers['x-pgd-timestamp'] ?? ''),
        signature: String(req.headers['x-pgd-signature'] ?? ''),
        raw,
        body: JSON.parse(raw) as Received['body'],
        answered,
        at: Date.now(),
      })
      res.writeHead(answered).end()
    })
  })
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({ server, got })))
}

/** docs/alerts.md's check, as a receiver runs it. */
export function verify(
  secret: string,
  r: Pick<Received, 'timestamp' | 'signature' | 'raw'>,
): boolean {
  if (!/^\d+$/.test(r.timestamp) || Math.abs(Date.now() / 1000 - Number(r.timestamp)) > 300)
    return false
  const mac = createHmac('sha256', secret).update(`${r.timestamp}.${r.raw}`).digest('hex')
  const a = Buffer.from(r.signature)
  const b = Buffer.from(`sha256=${mac}`)
  return a.length === b.length && timingSafeEqual(a, b)
}
