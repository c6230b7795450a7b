import { useEffect, useState, type FormEvent } from 'react'
import type { InferResponseType } from 'hono/client'
import { api, call } from '../api'
import { useSettingsJob } from '../hooks/use-settings-job'
import { useT } from '../i18n'
import { Alert, Field, SelectField } from './field'
import { JobSection } from './job-section'

type TemplateJobView = NonNullable<InferResponseType<typeof api.api.templates.$get, 200>['job']>

/**
 * "Prepare a template": the runner downloads an official Debian cloud image onto the node, makes
 * a cloud-init template of it and Settings selects it. Its steps and live log show here; a failed
 * job can be retried, and resumes where it stopped.
 */
export function TemplateJob(props: { onReady?: (templateVmid: number) => void }) {
  const t = useT()
  const [selected, setSelected] = useState<number | null>(null)
  const [release, setRelease] = useState<'12' | '13'>('13')
  const [mirrorUrl, setMirrorUrl] = useState('')
  const [imageStorage, setImageStorage] = useState('local')
  const { job, setJob, live, status, running, failure, fail, busy, act } =
    useSettingsJob<TemplateJobView>()

  const reload = () =>
    call(api.api.templates.$get()).then((r) => {
      setJob(r.job)
      setSelected(r.templateVmid)
      return r
    })

  useEffect(() => {
    reload().catch(fail)
  }, [])

  // Once the job ends ready, Settings holds the new template: read it back.
  const { onReady } = props
  useEffect(() => {
    if (status !== 'ready' || !job) return
    reload()
      .then((r) => {
        if (r.templateVmid !== null) onReady?.(r.templateVmid)
      })
      .catch(fail)
  }, [status, job?.id])

  function start(e: FormEvent) {
    e.preventDefault()
    void act(async () => {
      const r = await call(api.api.templates.$post({ json: { release, mirrorUrl, imageStorage } }))
      setJob(r.job)
    })
  }

  const retry = () =>
    act(async () => {
      if (job) await call(api.api.deployments[':id'].retry.$post({ param: { id: job.id } }))
    })

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
