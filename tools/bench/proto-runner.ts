import WebSocket from 'ws'
import {
  encodeRunnerToDeployment,
  encodeRunnerToHub,
  HEARTBEAT_PING,
  HEARTBEAT_PONG,
} from '../../core/protocol'

/**
 * A runner speaking the wire protocol directly, for measurements that need the exact moment a
 * frame arrives (job pickup). The product's runner is measured elsewhere as a real process.
 */
export class ProtoRunner {
  private ws: WebSocket | null = null
  private assigned = new Map<string, { at: number; deploymentId: string }>()
  private waiters = new Map<string, (at: number) => void>()
  private heartbeat: NodeJS.Timeout | null = null

  constructor(
    private readonly url: string,
    private readonly key: string,
  ) {}

  async connect(maxJobs = 64): Promise<void> {
    const ws = new WebSocket(`${this.url.replace('http', 'ws')}/api/runner/connect`, {
      headers: { authorization: `Bearer ${this.key}` },
    })
    this.ws = ws
    await new Promise<void>((resolve, reject) => {
      ws.once('error', reject)
      ws.on('message', (data) => {
        const at = performance.timeOrigin + performance.now()
        if (data.toString() === HEARTBEAT_PONG) return
        const frame = JSON.parse(data.toString()) as {
          type: string
          heartbeatIntervalMs?: number
          job?: { jobId: string; deploymentId: string }
        }
        if (frame.type === 'welcome') {
          // Ping like a runner does: the hub stops giving jobs to a runner it has not heard
          // from in three intervals (the pickup section runs for longer than that).
          this.heartbeat = setInterval(
            () => ws.send(HEARTBEAT_PING),
            frame.heartbeatIntervalMs ?? 10_000,
          )
          resolve()
        }
        // The create route reads the node's room first (a runner answers it): a big empty node,
        // as the fake executors report, so no deployment waits for the capacity timeout.
        if (frame.type === 'capacity.request') {
          const { requestId, proxmox } = frame as unknown as {
            requestId: string
            proxmox: { node: string; storage: string }
          }
          ws.send(
            encodeRunnerToHub({
              type: 'capacity.result',
              requestId,
              capacity: {
                node: proxmox.node,
                memory: { free: 60 * 1024 ** 3, total: 64 * 1024 ** 3 },
                storage: { id: proxmox.storage, avail: 900 * 1024 ** 3, total: 1024 ** 4 },
              },
            }),
          )
        }
        if (frame.type === 'job.assign' && frame.job) {
          this.assigned.set(frame.job.deploymentId, { at, deploymentId: frame.job.deploymentId })
          this.waiters.get(frame.job.deploymentId)?.(at)
          this.jobs.set(frame.job.deploymentId, frame.job.jobId)
        }
      })
      ws.once('open', () =>
        ws.send(
          encodeRunnerToHub({
            type: 'hello',
            version: 'bench',
            sshPublicKey: 'ssh-ed25519 AAAAbench bench',
            maxJobs,
            activeJobs: [],
          }),
        ),
      )
    })
  }

  readonly jobs = new Map<string, string>()

  /** Epoch ms at which `deploymentId`'s job.assign arrived; waits up to `timeoutMs`. */
  assignedAt(deploymentId: string, timeoutMs = 10_000): Promise<number> {
    const known = this.assigned.get(deploymentId)
    if (known) return Promise.resolve(known.at)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no job.assign for ${deploymentId} within ${timeoutMs} ms`)),
        timeoutMs,
      )
      this.waiters.set(deploymentId, (at) => {
        clearTimeout(timer)
        this.waiters.delete(deploymentId)
        resolve(at)
      })
    })
  }

  /** Finish a job at once (as a no-op runner would), freeing the slot. */
  async finish(deploymentId: string): Promise<void> {
    const jobId = this.jobs.get(deploymentId)
    if (!jobId) throw new Error(`no job for ${deploymentId}`)
    const path = `/api/runner/deployments/${deploymentId}/jobs/${jobId}/connect`
    const ws = new WebSocket(`${this.url.replace('http', 'ws')}${path}`, {
      headers: { authorization: `Bearer ${this.key}` },
    })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`job ${jobId} did not finish`)), 10_000)
      ws.once('error', reject)
      ws.once('open', () =>
        ws.send(encodeRunnerToDeployment({ type: 'job.hello', jobId, attempt: 1 })),
      )
      ws.on('message', (data) => {
        const frame = JSON.parse(data.toString()) as { type: string }
        if (frame.type === 'job.welcome') {
          ws.send(
            encodeRunnerToDeployment({ type: 'job.done', jobId, outcome: 'succeeded', result: {} }),
          )
        }
      })
      ws.once('close', () => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  close(): void {
    if (this.heartbeat) clearInterval(this.heartbeat)
    this.ws?.close()
  }
}
