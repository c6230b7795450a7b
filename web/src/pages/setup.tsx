import { useCallback, useEffect, useState, type FormEvent } from 'react'
import { api, ApiFailure, call, errorText, type ConnectionTest } from '../api'
import { AddRunner, type Registration } from '../components/add-runner'
import { Alert, Field } from '../components/field'
import { Link } from '../components/link'
import { useT } from '../i18n'
import { navigate, useTitle } from '../router'
import { TestConnection } from '../components/test-connection'
import { ProxmoxForm } from '../components/settings/proxmox-form'
import { TemplateJob } from '../components/template-job'

const STEPS = ['admin', 'proxmox', 'runner', 'test', 'template', 'done'] as const
type Step = (typeof STEPS)[number]

/**
 * The wizard's own progress, for what the server cannot tell: whether this browser is midway
 * (so the test step is still due) and the one-time code it was shown.
 */
const ACTIVE_KEY = 'pgd.wizard.active'
const REGISTRATION_KEY = 'pgd.wizard.registration'

function storedRegistration(): Registration | null {
  try {
    const raw = sessionStorage.getItem(REGISTRATION_KEY)
    const r = raw ? (JSON.parse(raw) as Partial<Registration>) : null
    return r && typeof r.runnerId === 'string' && typeof r.command === 'string'
      ? (r as Registration)
      : null
  } catch {
    return null
  }
}

/**
 * Where a signed-in admin resumes the wizard, from what the server already has: no Proxmox
 * connection → that step; no runner ever registered → the runner step; else the test.
 */
export async function onboardingStep(): Promise<Step> {
  const [{ proxmox }, { runners }] = await Promise.all([
    call(api.api.settings.proxmox.$get()),
    call(api.api.runners.$get()),
  ])
  if (!proxmox?.tokenSecretSet) return 'proxmox'
  if (!runners.some((r) => r.registeredAt !== null && r.state !== 'revoked')) return 'runner'
  const active = localStorage.getItem(ACTIVE_KEY)
  return active === 'yes' ? 'test' : active === 'template' ? 'template' : 'done'
}

/**
 * First-run setup: admin account → Proxmox connection → register a runner → test the connection
 * through it → done. Closing the browser midway resumes at the first unfinished step.
 */
export function SetupWizard(props: { signedIn: boolean; onAdminCreated: () => void }) {
  const t = useT()
  useTitle(`${t.wizardTitle} · ${t.appName}`)
  const [step, setStep] = useState<Step | null>(props.signedIn ? null : 'admin')
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    if (!props.signedIn) return
    onboardingStep()
      .then((s) => {
        if (s !== 'done') localStorage.setItem(ACTIVE_KEY, 'yes')
        setStep(s)
      })
      .catch((err: unknown) => setError(errorText(err)))
  }, [props.signedIn])

  return (
    <div className="wizard">
      <h1>{t.wizardTitle}</h1>
      <ol className="wizard-steps" aria-label={t.wizardProgress}>
        {STEPS.map((s, i) => (
          <li
            key={s}
            aria-current={s === step ? 'step' : undefined}
            className={step && STEPS.indexOf(step) > i ? 'done' : undefined}
          >
            <span className="n" aria-hidden="true">
              {i + 1}
            </span>{' '}
            {t.wizardStep[s]}
          </li>
        ))}
      </ol>
      {error ? <Alert kind="error">{error}</Alert> : null}
      {step === null && !error ? <p className="loading">{t.loading}</p> : null}
      {step === 'admin' ? <AdminStep onDone={props.onAdminCreated} /> : null}
      {step === 'proxmox' ? (
        <section className="card">
          <h2>{t.wizardStep.proxmox}</h2>
          <p>{t.proxmoxIntro}</p>
          <ProxmoxForm submitLabel={t.saveAndContinue} onSaved={() => setStep('runner')} />
        </section>
      ) : null}
      {step === 'runner' ? <RunnerStep onDone={() => setStep('test')} /> : null}
      {step === 'test' ? (
        <TestStep
          onDone={() => {
            localStorage.setItem(ACTIVE_KEY, 'template')
            setStep('template')
          }}
          onBack={() => setStep('proxmox')}
        />
      ) : null}
      {step === 'template' ? (
        <TemplateStep
          onDone={() => {
            localStorage.removeItem(ACTIVE_KEY)
            setStep('done')
          }}
        />
      ) : null}
      {step === 'done' ? (
        <section className="card">
          <h2>{t.wizardDoneTitle}</h2>
          <p>{t.wizardDoneBody}</p>
          <div className="actions">
            <Link to="/deployments/new" className="button">
              {t.deployFirst}
            </Link>
            <Link to="/deployments">{t.goToDashboard}</Link>
          </div>
        </section>
      ) : null}
    </div>
  )
}

function AdminStep(props: { onDone: () => void }) {
  const t = useT()
  const [setupCode, setSetupCode] = useState('')
  /** Where this install's setup code is to be found, as the server says. */
  const [codeSource, setCodeSource] = useState<'secret' | 'generated' | null>(null)
  const [username, setUsername] = useState('admin')
  const [password, setPassword] = useState('')
  const [failure, setFailure] = useState<ApiFailure | null>(null)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    call(api.api.setup.$get())
      .then((s) => setCodeSource(s.codeSource))
      .catch(() => undefined)
  }, [])

  async function submit(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setFailure(null)
    try {
      await call(api.api.setup.$post({ json: { setupCode, username, password } }))
      localStorage.setItem(ACTIVE_KEY, 'yes')
      navigate('/setup', { replace: true })
      props.onDone()
    } catch (err) {
      setFailure(err instanceof ApiFailure ? err : new ApiFailure(0, 'unknown', String(err)))
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="card">
      <h2>{t.setupTitle}</h2>
      <p>{t.setupIntro}</p>
      <form onSubmit={submit} noValidate>
        {failure && Object.keys(failure.fields).length === 0 ? (
          <Alert kind="error">
            {failure.code === 'too_many_attempts'
              ? t.tooManyAttempts(failure.retryAfterSeconds ?? 1)
              : failure.message}
          </Alert>
        ) : null}
        <Field
          label={t.setupCode}
          name="setupCode"
          value={setupCode}
          onChange={setSetupCode}
          autoComplete="off"
          required
          help={codeSource === 'generated' ? t.setupCodeHelpLog : t.setupCodeHelp}
          error={
            failure?.code === 'invalid_setup_code' ? t.setupCodeWrong : failure?.fields.setupCode
          }
        />
        <Field
          label={t.username}
          name="username"
          value={username}
          onChange={setUsername}
          autoComplete="username"
          required
          error={failure?.fields.username}
        />
        <Field
          label={t.password}
          name="password"
          type="password"
          value={password}
          onChange={setPassword}
          autoComplete="new-password"
          required
          help={t.passwordHint}
          error={failure?.fields.password}
        />
        <button type="submit" disabled={busy}>
          {t.createAdmin}
        </button>
      </form>
    </section>
  )
}

function RunnerStep(props: { onDone: () => void }) {
  const t = useT()
  const [registration, setRegistration] = useState<Registration | null>(storedRegistration)
  const [online, setOnline] = useState(false)
  const onOnline = useCallback(() => {
    sessionStorage.removeItem(REGISTRATION_KEY)
    setOnline(true)
  }, [])
  return (
    <section className="card">
      <h2>{t.wizardStep.runner}</h2>
      <p>{t.runnerWhy}</p>
      <AddRunner
        registration={registration}
        defaultName="homelab"
        onRegistration={(r) => {
          if (r) sessionStorage.setItem(REGISTRATION_KEY, JSON.stringify(r))
          setRegistration(r)
        }}
        onOnline={onOnline}
      />
      <button type="button" disabled={!online} onClick={props.onDone}>
        {t.continue}
      </button>
    </section>
  )
}

/** The template the servers are cloned from: made by the runner, or by hand (then skipped). */
function TemplateStep(props: { onDone: () => void }) {
  const t = useT()
  const [ready, setReady] = useState(false)
  return (
    <section className="card">
      <h2>{t.templateTitle}</h2>
      <TemplateJob onReady={() => setReady(true)} />
      <p className="muted">{t.templateByHand}</p>
      <div className="actions">
        <button type="button" className="secondary" onClick={props.onDone}>
          {t.templateSkip}
        </button>
        <button type="button" disabled={!ready} onClick={props.onDone}>
          {t.continue}
        </button>
      </div>
    </section>
  )
}

function TestStep(props: { onDone: () => void; onBack: () => void }) {
  const t = useT()
  const [result, setResult] = useState<ConnectionTest | null>(null)
  return (
    <section className="card">
      <h2>{t.wizardStep.test}</h2>
      <p>{t.testIntro}</p>
      <TestConnection onResult={setResult} />
      <div className="actions">
        <button type="button" className="secondary" onClick={props.onBack}>
          {t.editProxmox}
        </button>
        <button type="button" disabled={!result} onClick={props.onDone}>
          {!result || result.checks.every((c) => c.ok) ? t.finish : t.finishAnyway}
        </button>
      </div>
    </section>
  )
}
