import { useEffect, useState, type FormEvent } from 'react'
import type { InferResponseType } from 'hono/client'
import { api, type ApiFailure, call } from '../api'
import { useDeploymentEvents } from '../hooks/use-deployment-events'
import { useT } from '../i18n'
import { Alert, Field, SelectField } from './field'
import { asFailure, JobSection } from './job-section'

type TemplateJobView = NonNullable<InferResponseType<typeof api.api.templates.$get, 200>['job']>

/**
 * "Prepare a template": the runner downloads an official Debian cloud image onto the node, makes
 * a cloud-init template of it and Settings selects it. Its steps and live log show here; a failed
 * job can be retried, and resumes where it stopped.
 */
export function TemplateJob(props: { onReady?: (templateVmid: number) => void }) {
  const t = useT()
  const [job, setJob] = useState<TemplateJobView | null>(null)
  const [selected, setSelected] = useState<number | null>(null)
  const [release, setRelease] = useState<'12' | '13'>('13')
  const [mirrorUrl, setMirrorUrl] = useState('')
  const [imageStorage, setImageStorage] = useState('local')
  const [failure, setFailure] = useState<ApiFailure | null>(null)
  const [busy, setBusy] = useState(false)
  const live = useDeploymentEvents(job?.id ?? null)
  const state = live.state
  const status = state?.status ?? job?.status ?? null
  const running = status !== null && !['ready', 'failed', 'cancelled', 'destroyed'].includes(status)

  const reload = () =>
    call(api.api.templates.$get()).then((r) => {
      setJob(r.job)
      setSelected(r.templateVmid)
      return r
    })

  useEffect(() => {
    reload().catch((err: unknown) => setFailure(asFailure(err)))
  }, [])

  // Once the job ends ready, Settings holds the new template: read it back.
  const { onReady } = props
  useEffect(() => {
    if (status !== 'ready' || !job) return
    reload()
      .then((r) => {
        if (r.templateVmid !== null) onReady?.(r.templateVmid)
      })
      .catch((err: unknown) => setFailure(asFailure(err)))
  }, [status, job?.id])

  async function start(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setFailure(null)
    try {
      const r = await call(api.api.templates.$post({ json: { release, mirrorUrl, imageStorage } }))
      setJob(r.job)
    } catch (err) {
      setFailure(asFailure(err))
    } finally {
      setBusy(false)
    }
  }

  async function retry() {
    if (!job) return
    setBusy(true)
    setFailure(null)
    try {
      await call(api.api.deployments[':id'].retry.$post({ param: { id: job.id } }))
    } catch (err) {
      setFailure(asFailure(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <div className="template-job">
      <p>{t.templateIntro}</p>
      {selected !== null ? <p className="muted">{t.templateSelected(selected)}</p> : null}
      {failure && Object.keys(failure.fields).length === 0 ? (
        <Alert kind="error">{failure.message}</Alert>
      ) : null}
      {!running ? (
        <form onSubmit={start} noValidate>
          <SelectField
            label={t.templateRelease}
            name="release"
            value={release}
            options={[
              { value: '13', label: 'Debian 13 (trixie)' },
              { value: '12', label: 'Debian 12 (bookworm)' },
            ]}
            onChange={(v) => setRelease(v === '12' ? '12' : '13')}
          />
          <Field
            label={t.templateMirror}
            name="mirrorUrl"
            value={mirrorUrl}
            onChange={setMirrorUrl}
            placeholder="https://cloud.debian.org/images/cloud/trixie/latest/"
            help={t.templateMirrorHelp}
            error={failure?.fields.mirrorUrl}
          />
          <Field
            label={t.templateImageStorage}
            name="imageStorage"
            value={imageStorage}
            onChange={setImageStorage}
            help={t.templateImageStorageHelp}
            error={failure?.fields.imageStorage}
          />
          <button type="submit" disabled={busy}>
            {t.templatePrepare}
          </button>
        </form>
      ) : null}
      {job ? (
        <JobSection id={job.id} title={t.templateJobTitle} live={live} statusAttr="template-status">
          {status === 'ready' ? (
            <Alert kind="success">{t.templateReady(selected ?? 0)}</Alert>
          ) : null}
          {status === 'failed' ? (
            <button type="button" disabled={busy} onClick={() => void retry()}>
              {t.retry}
            </button>
          ) : null}
        </JobSection>
      ) : null}
    </div>
  )
}
