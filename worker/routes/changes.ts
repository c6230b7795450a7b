import { Hono } from 'hono'
import * as z from 'zod'
import { changeLines, snapshotName } from '../../core/change-plan'
import { getGame } from '../../core/games'
import type { DeploymentSpec } from '../../core/protocol'
import type { AppEnv } from '../env'
import { randomToken } from '../crypto/tokens'
import { storedInputs } from '../db/deployments'
import { deploymentStub } from '../do/stubs'
import { ApiError } from '../http/errors'
import { validate } from '../http/validate'
import { HIDDEN_VALUE, openInputs, sealInputs } from '../lib/game-secrets'
import { enqueue } from '../lib/enqueue'
import { loadRow, refused, rowView } from './deployments'

const ChangeBody = z.object({ config: z.record(z.string(), z.unknown()) })
/** The release the dashboard offered (the one the live status named), so a newer one is not taken unseen. */
const UpdateBody = z.object({
  version: z
    .string()
    .min(1)
    .max(64)
    .regex(/^\d+(\.\d+)*$/, 'must be a release number such as 1.21.5'),
})

/**
 * Change a ready deployment: the same config as the new-deployment form, validated the same way.
 * A sensitive field sent as the hidden placeholder (or left out) keeps its sealed value; a new
 * one is sealed and reaches D1 only once the change succeeded. The deployment's object decides
 * (ready only, no downgrade, the disk only grows) and runs the change job, which snapshots
 * first and rolls back on any failure. The audit row holds the diff, never a secret's value.
 */
export const changesRoutes = new Hono<AppEnv>()
  .post('/:id/change', validate('json', ChangeBody), async (c) => {
    const row = await loadRow(c, c.req.param('id'))
    const game = getGame(row.game)
    if (!game) throw new ApiError(409, 'invalid_state', `Unknown game "${row.game}".`)
    const inputs = storedInputs(row)
    const opened = await openInputs(c.env, game.id, inputs)
    const asked = { ...c.req.valid('json').config }
    for (const key of game.sensitiveFields ?? []) {
      if (asked[key] === HIDDEN_VALUE || asked[key] === undefined)
        asked[key] = opened.gameConfig[key]
    }
    const parsed = game.configSchema.safeParse(asked)
    if (!parsed.success) {
      const first = parsed.error.issues[0]
      const path = `config.${first?.path.join('.') ?? ''}`
      throw new ApiError(400, 'invalid_request', `Invalid body: ${path}: ${first?.message}`, {
        details: parsed.error.issues.map((i) => ({
          path: `config.${i.path.join('.')}`,
          message: i.message,
        })),
      })
    }
    const config = parsed.data as Record<string, unknown>
    // The generated secrets stay; one the new config needs for the first time is minted.
    const secrets: Record<string, string> = { ...opened.gameSecrets }
    for (const s of game.secrets(parsed.data)) secrets[s.name] ??= randomToken(s.bytes)
    const { publicConfig, gameSecretsEnc } = await sealInputs(
      c.env,
      row.id,
      game.id,
      config,
      secrets,
    )
    const sizing = game.sizing(parsed.data)
    const spec: DeploymentSpec = {
      ...inputs.spec,
      gameConfig: publicConfig,
      cores: sizing.cores,
      memoryMiB: sizing.memoryMb,
      diskGiB: sizing.diskGb,
    }
    // Sealed apart from the spec: which of them change is known here only (values never leave).
    const secretKeys = (game.sensitiveFields ?? []).filter(
      (key) => String(config[key] ?? '') !== String(opened.gameConfig[key] ?? ''),
    )
    const jobId = crypto.randomUUID()
    const stub = deploymentStub(c.env, row.id)
    refused(await stub.requestChange(jobId, spec, gameSecretsEnc, secretKeys))
    await enqueue(c, row.id, jobId, 'change', 'deployment.change_requested', {
      changes: changeLines(inputs.spec, spec, secretKeys),
      snapshot: snapshotName(jobId),
    })
    return c.json({ deployment: rowView(await loadRow(c, row.id)) }, 202)
  })
  .post(
    /**
     * Update a deployment that follows `latest` to the newer release its live status reports:
     * a change job with the same settings (snapshot, playbook, verify, rollback on failure). A
     * pinned version stays pinned; an older or equal release is refused with the reason.
     */
    '/:id/update',
    validate('json', UpdateBody),
    async (c) => {
      const row = await loadRow(c, c.req.param('id'))
      const { version } = c.req.valid('json')
      const spec = storedInputs(row).spec
      const installed = (rowView(row).result as { version?: unknown } | null)?.version
      const from = typeof installed === 'string' ? installed : ''
      const jobId = crypto.randomUUID()
      const stub = deploymentStub(c.env, row.id)
      refused(await stub.requestChange(jobId, spec, undefined, [], version))
      await enqueue(c, row.id, jobId, 'change', 'deployment.change_requested', {
        changes: [{ key: 'version', from, to: version, secret: false }],
        snapshot: snapshotName(jobId),
      })
      return c.json({ deployment: rowView(await loadRow(c, row.id)) }, 202)
    },
  )
