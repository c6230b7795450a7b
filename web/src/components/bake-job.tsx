import { useEffect, useState, type FormEvent } from 'react'
import type { InferResponseType } from 'hono/client'
import { api, call } from '../api'
import { useSettingsJob } from '../hooks/use-settings-job'
import { useT } from '../i18n'
import { Alert, SelectField } from './field'
import { JobSection } from './job-section'

type BakeJobView = NonNullable<
  InferResponseType<(typeof api.api.templates)['bake']['$get'], 200>['job']
>

const JAVA_MAJORS = ['21', '25', '17'] as const

/**
 * "Bake a game-ready template" (core/bake.ts): the runner clones the base template, installs the
 * game's base layer (Java, the service user, the firewall's defaults), seals and converts it;
 * deployments of that game then clone it and only install the server. Says when the base layer
 * changed since, so the template is out of date (deployments then use the base template).
 */
export function BakeJob() {
  const t = useT()
  const [javaMajor, setJavaMajor] = useState<(typeof JAVA_MAJORS)[number]>('21')
  const { job, setJob, live, status, running, failure, fail, busy, act } =
    useSettingsJob<BakeJobView>()

  const reload = () => call(api.api.templates.bake.$get()).then((r) => setJob(r.job))

  useEffect(() => {
    reload().catch(fail)
  }, [])
  // Once the job ends, its template (and whether it is current) is read back.
  useEffect(() => {
    if (status === 'ready') reload().catch(fail)
  }, [status, job?.id])

  function start(e: FormEvent) {
    e.preventDefault()
    void act(async () => {
      const r = await call(
        api.api.templates.bake.$post({
          json: { game: 'minecraft', javaMajor: Number(javaMajor) as 17 | 21 | 25 },
        }),
      )
      setJob(r.job)
    })
  }

  const made = job?.status === 'ready' && job.templateVmid !== null ? job : null
  return (
    <div className="bake-job">
      <p>{t.bakeIntro}</p>
      {made && made.outOfDate ? (
        <Alert kind="error">{t.bakeOutOfDate(made.name)}</Alert>
      ) : made ? (
        <p className="muted" data-baked={made.name}>
          {t.bakeCurrent(made.name, made.templateVmid ?? 0)}
        </p>
      ) : null}
      {failure ? <Alert kind="error">{failure.message}</Alert> : null}
      {!running ? (
        <form onSubmit={start} noValidate>
          <SelectField
            label={t.bakeJava}
            name="javaMajor"
            value={javaMajor}
            options={JAVA_MAJORS.map((v) => ({ value: v, label: `Java ${v}` }))}
            onChange={(v) => setJavaMajor(JAVA_MAJORS.find((j) => j === v) ?? '21')}
            help={t.bakeJavaHelp}
          />
          <button type="submit" disabled={busy}>
            {made?.outOfDate ? t.bakeAgain : t.bakeStart}
          </button>
        </form>
      ) : null}
      {job && status !== 'ready' ? (
        <JobSection id={job.id} title={t.bakeJobTitle} live={live} statusAttr="bake-status" />
      ) : null}
    </div>
  )
}
