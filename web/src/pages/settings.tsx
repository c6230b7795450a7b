import { useEffect, useId, useState, type FormEvent } from 'react'
import { TemplateJob } from '../components/template-job'
import { setupCommands } from '../../../core/proxmox-privileges'
import type { CleanupPolicy } from '../../../core/settings'
import { api, ApiFailure, call, errorText } from '../api'
import { Commands } from '../components/commands'
import { Alert, Field, ErrorText } from '../components/field'
import { useT } from '../i18n'
import { useTitle } from '../router'
import { TestConnection } from '../components/test-connection'

type TlsMode = 'fingerprint' | 'ca' | 'insecure'

/** The form's state: strings as typed; the API validates and normalises. */
const EMPTY = {
  apiUrl: '',
  node: '',
  tokenId: '',
  tokenSecret: '',
  tlsMode: 'fingerprint' as TlsMode,
  fingerprint: '',
  caPem: '',
  templateVmid: '9000',
  storage: 'local-lvm',
  pool: '',
  bridge: 'vmbr0',
  vlan: '',
  gateway: '',
  dnsServers: '',
  searchDomain: '',
  poolCidr: '',
  poolStart: '',
  poolEnd: '',
  ciUser: 'debian',
  sshPort: '22',
}
type Form = typeof EMPTY

function fromView(view: NonNullable<ProxmoxView>): Form {
  return {
    ...EMPTY,
    apiUrl: view.apiUrl,
    node: view.node,
    tokenId: view.tokenId,
    tlsMode: view.tls.mode,
    fingerprint: view.tls.mode === 'fingerprint' ? view.tls.fingerprint : '',
    caPem: view.tls.mode === 'ca' ? view.tls.caPem : '',
    templateVmid: String(view.templateVmid),
    storage: view.storage,
    pool: view.pool,
    bridge: view.bridge,
    vlan: view.vlan === null ? '' : String(view.vlan),
    gateway: view.gateway,
    dnsServers: view.dnsServers.join(', '),
    searchDomain: view.searchDomain,
    poolCidr: view.ipPool.cidr,
    poolStart: view.ipPool.rangeStart,
    poolEnd: view.ipPool.rangeEnd,
    ciUser: view.ciUser,
    sshPort: String(view.sshPort),
  }
}

/**
 * Whether the form sends the token somewhere else, or checks the server otherwise, than the saved
 * connection: the server then wants the secret typed again (it never sends a stored secret to a
 * new destination). Normalised as the API normalises, so a trailing slash is no change.
 */
function destinationChanged(saved: Form, form: Form): boolean {
  const url = (u: string) =>
    u
      .trim()
      .replace(/\/+$/, '')
      .replace(/\/api2\/json$/, '')
  if (url(saved.apiUrl) !== url(form.apiUrl)) return true
  if (saved.tokenId.trim() !== form.tokenId.trim()) return true
  if (saved.tlsMode !== form.tlsMode) return true
  if (form.tlsMode === 'fingerprint')
    return saved.fingerprint.trim().toUpperCase() !== form.fingerprint.trim().toUpperCase()
  if (form.tlsMode === 'ca') return saved.caPem.trim() !== form.caPem.trim()
  return false
}

type ProxmoxView = Awaited<ReturnType<typeof loadView>>
const loadView = async () => (await call(api.api.settings.proxmox.$get())).proxmox

/**
 * Digits-only fields are text inputs with a numeric keypad, not `type="number"`. Seen in
 * Chromium: after the viewport changed size (here a full-page screenshot), the blur of a focused
 * number input scrolled the page by 136 px between the mouse's down and up on Save, so the click
 * landed on the form and nothing was submitted (the previous save's field errors stayed up). The
 * API coerces and range-checks the digits either way.
 */
const NUMERIC = { inputMode: 'numeric' } as const

/** API field paths → the form field that shows their error. */
const FIELD_OF_PATH: Record<string, keyof Form> = {
  'tls.fingerprint': 'fingerprint',
  'tls.caPem': 'caPem',
  'tls.mode': 'tlsMode',
  'ipPool.cidr': 'poolCidr',
  'ipPool.rangeStart': 'poolStart',
  'ipPool.rangeEnd': 'poolEnd',
}

/** Settings: the Proxmox connection (secrets write-only), its test, and the cleanup policy. */
export function SettingsPage() {
  const t = useT()
  useTitle(`${t.settingsTitle} · ${t.appName}`)
  // A template job selects its template in the connection: the form reads it again then.
  const [formKey, setFormKey] = useState(0)
  return (
    <section className="settings-page">
      <h1>{t.settingsTitle}</h1>
      <section aria-labelledby="proxmox-title">
        <h2 id="proxmox-title">{t.proxmoxTitle}</h2>
        <p>{t.proxmoxIntro}</p>
        <ProxmoxForm key={formKey} />
      </section>
      <section className="card" aria-labelledby="template-title">
        <h2 id="template-title">{t.templateTitle}</h2>
        <TemplateJob onReady={() => setFormKey((k) => k + 1)} />
      </section>
      <section className="card" aria-labelledby="test-title">
        <h2 id="test-title">{t.testConnection}</h2>
        <p>{t.testIntro}</p>
        <TestConnection />
      </section>
      <EncryptionCard />
      <CleanupForm />
    </section>
  )
}

type EncryptionView = Awaited<ReturnType<typeof loadEncryption>>
const loadEncryption = async () => (await call(api.api.settings.encryption.$get())).encryption

/**
 * Settings → Encryption: which key the stored secrets are sealed with, and, after APP_ENC_KEY was
 * rotated (the old key in APP_ENC_KEY_PREVIOUS), one button to seal them all with the new key.
 */
function EncryptionCard() {
  const t = useT()
  const [status, setStatus] = useState<EncryptionView | null>(null)
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string } | null>(null)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    loadEncryption()
      .then(setStatus)
      .catch((err: unknown) => setMessage({ kind: 'error', text: errorText(err) }))
  }, [])

  async function reseal() {
    setBusy(true)
    setMessage(null)
    try {
      const result = await call(api.api.settings.encryption.reseal.$post())
      setStatus(result.encryption)
      setMessage(
        result.failed.length === 0
          ? { kind: 'success', text: t.resealed(result.resealed) }
          : {
              kind: 'error',
              text: t.resealFailed(result.failed.map((f) => `${f.target}: ${f.error}`).join('; ')),
            },
      )
    } catch (err) {
      setMessage({ kind: 'error', text: errorText(err) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="card" aria-labelledby="encryption-title">
      <h2 id="encryption-title">{t.encryptionTitle}</h2>
      <p>{t.encryptionIntro}</p>
      {status ? (
        <>
          <p>
            {status.sealed.older === 0
              ? t.encryptionCurrent(status.sealed.current, status.keyId)
              : t.encryptionOlder(status.sealed.older, status.keyId)}
          </p>
          {status.sealed.older === 0 && status.previousKeySet ? (
            <Alert kind="info">{t.encryptionDropPrevious}</Alert>
          ) : null}
          {status.sealed.older > 0 ? (
            <button type="button" disabled={busy} onClick={() => void reseal()}>
              {t.reseal}
            </button>
          ) : null}
        </>
      ) : message ? null : (
        <p className="loading">{t.loading}</p>
      )}
      {message ? <Alert kind={message.kind}>{message.text}</Alert> : null}
    </section>
  )
}

/** One radio of a policy group: its label, and help text read with it. */
/** A group of radio buttons, each with its own help line. */
function Choices<V extends string>(props: {
  legend: string
  name: string
  value: V
  options: { value: V; label: string; help: string }[]
  onChange: (value: V) => void
}) {
  const id = useId()
  return (
    <fieldset>
      <legend>{props.legend}</legend>
      {props.options.map((o, i) => (
        <div className="choice" key={o.value}>
          <input
            type="radio"
            id={`${id}-${i}`}
            name={props.name}
            value={o.value}
            checked={props.value === o.value}
            aria-describedby={`${id}-${i}-help`}
            onChange={() => props.onChange(o.value)}
          />
          <label htmlFor={`${id}-${i}`}>{o.label}</label>
          <small id={`${id}-${i}-help`} className="help">
            {o.help}
          </small>
        </div>
      ))}
    </fieldset>
  )
}

/** Settings → Cleanup: what happens to a failed deployment's VM and to orphaned VMs. */
export function CleanupForm() {
  const t = useT()
  const [policy, setPolicy] = useState<CleanupPolicy | null>(null)
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string } | null>(null)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    call(api.api.settings.cleanup.$get())
      .then((r) => {
        setPolicy(r.cleanup)
        // Arriving from a "Settings → Cleanup" link: bring the section into view.
        if (location.hash === '#cleanup') {
          requestAnimationFrame(() => document.getElementById('cleanup')?.scrollIntoView())
        }
      })
      .catch((err: unknown) => setMessage({ kind: 'error', text: errorText(err) }))
  }, [])

  async function submit(e: FormEvent) {
    e.preventDefault()
    if (!policy) return
    setBusy(true)
    setMessage(null)
    try {
      setPolicy((await call(api.api.settings.cleanup.$put({ json: policy }))).cleanup)
      setMessage({ kind: 'success', text: t.cleanupSaved })
    } catch (err) {
      setMessage({ kind: 'error', text: errorText(err) })
    } finally {
      setBusy(false)
    }
  }

  const change = (key: keyof CleanupPolicy) => (value: string) => {
    setMessage(null)
    setPolicy((p) => (p ? ({ ...p, [key]: value } as CleanupPolicy) : p))
  }

  return (
    <section className="card" aria-labelledby="cleanup-title" id="cleanup">
      <h2 id="cleanup-title">{t.cleanupTitle}</h2>
      <p>{t.cleanupIntro}</p>
      {policy ? (
        <form onSubmit={submit} className="cleanup">
          <Choices
            legend={t.cleanupOnFailure}
            name="onFailure"
            value={policy.onFailure}
            options={[
              { value: 'keep', label: t.cleanupKeep, help: t.cleanupKeepHelp },
              { value: 'destroy', label: t.cleanupDestroyFailed, help: t.cleanupDestroyFailedHelp },
            ]}
            onChange={change('onFailure')}
          />
          <Choices
            legend={t.cleanupOrphans}
            name="orphans"
            value={policy.orphans}
            options={[
              { value: 'report', label: t.cleanupReport, help: t.cleanupReportHelp },
              { value: 'destroy', label: t.cleanupAuto, help: t.cleanupAutoHelp },
            ]}
            onChange={change('orphans')}
          />
          {message ? <Alert kind={message.kind}>{message.text}</Alert> : null}
          <button type="submit" disabled={busy}>
            {t.save}
          </button>
        </form>
      ) : message ? (
        <Alert kind={message.kind}>{message.text}</Alert>
      ) : (
        <p className="loading">{t.loading}</p>
      )}
    </section>
  )
}

/**
 * The `pveum` commands that prepare a least-privilege token for the values in the form (the
 * privileges come from core/proxmox-privileges.ts, as the runner's "Test connection" checks them).
 */
function TokenSetup(props: { form: Form }) {
  const t = useT()
  const f = props.form
  const commands = setupCommands({
    tokenId: f.tokenId.trim() || 'pgd@pve!runner',
    pool: f.pool.trim(),
    templateVmid: Number(f.templateVmid) || 9000,
    storage: f.storage.trim() || 'local-lvm',
    bridge: f.bridge.trim() || 'vmbr0',
  })
  return (
    <details className="token-setup">
      <summary>{t.proxmox.setupTitle}</summary>
      <p>{t.proxmox.setupIntro}</p>
      <Commands commands={commands} testId="token-setup-commands" />
      <p className="help">{t.proxmox.setupPve7}</p>
    </details>
  )
}

/** The Proxmox connection form, shared by Settings and the setup wizard. */
export function ProxmoxForm(props: { onSaved?: () => void; submitLabel?: string }) {
  const t = useT()
  const [form, setForm] = useState<Form>(EMPTY)
  /** The connection as saved, to tell when the token's destination is being changed. */
  const [saved, setSaved] = useState<Form | null>(null)
  const [secretSet, setSecretSet] = useState(false)
  const [errors, setErrors] = useState<Partial<Record<keyof Form, string>>>({})
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string } | null>(null)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    loadView()
      .then((view) => {
        if (view) {
          setForm(fromView(view))
          setSaved(fromView(view))
          setSecretSet(view.tokenSecretSet)
        }
      })
      .catch((err: unknown) => setMessage({ kind: 'error', text: String(err) }))
  }, [])

  // Editing a field clears its error: a message left over from an earlier save must not read as
  // the verdict on what is typed now.
  const set = (key: keyof Form) => (value: string) => {
    setForm((f) => ({ ...f, [key]: value }))
    setErrors((e) => (e[key] ? { ...e, [key]: undefined } : e))
  }

  async function submit(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setMessage(null)
    setErrors({})
    const tls =
      form.tlsMode === 'fingerprint'
        ? { mode: 'fingerprint' as const, fingerprint: form.fingerprint }
        : form.tlsMode === 'ca'
          ? { mode: 'ca' as const, caPem: form.caPem }
          : { mode: 'insecure' as const }
    try {
      const result = await call(
        api.api.settings.proxmox.$put({
          json: {
            apiUrl: form.apiUrl,
            node: form.node,
            tokenId: form.tokenId,
            ...(form.tokenSecret ? { tokenSecret: form.tokenSecret } : {}),
            tls,
            templateVmid: form.templateVmid,
            storage: form.storage,
            pool: form.pool,
            bridge: form.bridge,
            vlan: form.vlan.trim() === '' ? null : form.vlan,
            gateway: form.gateway,
            dnsServers: form.dnsServers.split(/[\s,]+/).filter(Boolean),
            searchDomain: form.searchDomain,
            ipPool: { cidr: form.poolCidr, rangeStart: form.poolStart, rangeEnd: form.poolEnd },
            ciUser: form.ciUser,
            sshPort: form.sshPort,
          },
        }),
      )
      if (result.proxmox) {
        setForm(fromView(result.proxmox))
        setSaved(fromView(result.proxmox))
        setSecretSet(result.proxmox.tokenSecretSet)
      }
      setMessage({ kind: 'success', text: t.saved })
      props.onSaved?.()
    } catch (err) {
      if (err instanceof ApiFailure && Object.keys(err.fields).length > 0) {
        const next: Partial<Record<keyof Form, string>> = {}
        for (const [path, text] of Object.entries(err.fields)) {
          const key = FIELD_OF_PATH[path] ?? (path in EMPTY ? (path as keyof Form) : undefined)
          if (key) next[key] ??= text
        }
        if (err.code === 'token_secret_required') next.tokenSecret = t.secretRequiredAgain
        setErrors(next)
        setMessage({ kind: 'error', text: t.fixFields })
      } else {
        setMessage({ kind: 'error', text: err instanceof Error ? err.message : String(err) })
      }
    } finally {
      setBusy(false)
    }
  }

  const px = t.proxmox
  const secretAgain = secretSet && saved !== null && destinationChanged(saved, form)
  const field = (
    key: keyof Form,
    extra: { type?: string; inputMode?: 'numeric'; placeholder?: string } = {},
  ) => (
    <Field
      label={px.labels[key]}
      name={key}
      value={form[key]}
      onChange={set(key)}
      error={errors[key]}
      help={px.help[key]}
      {...extra}
    />
  )

  return (
    <form onSubmit={submit} noValidate className="settings">
      {message?.kind === 'error' ? <Alert kind="error">{message.text}</Alert> : null}
      <fieldset>
        <legend>{px.legendApi}</legend>
        {field('apiUrl', { placeholder: 'https://pve.lan:8006' })}
        {field('node', { placeholder: 'pve' })}
        {field('tokenId', { placeholder: 'deployer@pve!pgd' })}
        <Field
          label={px.labels.tokenSecret}
          name="tokenSecret"
          type="password"
          value={form.tokenSecret}
          onChange={set('tokenSecret')}
          autoComplete="off"
          error={errors.tokenSecret}
          help={
            secretAgain ? (
              <strong>{t.secretAgain}</strong>
            ) : secretSet ? (
              t.secretSet
            ) : (
              px.help.tokenSecret
            )
          }
        />
      </fieldset>
      <fieldset>
        <legend>{px.legendTls}</legend>
        <div className="field">
          <label htmlFor="tls-mode">{px.labels.tlsMode}</label>
          <select
            id="tls-mode"
            value={form.tlsMode}
            onChange={(e) => set('tlsMode')(e.target.value)}
          >
            <option value="fingerprint">{px.tlsFingerprint}</option>
            <option value="ca">{px.tlsCa}</option>
            <option value="insecure">{px.tlsInsecure}</option>
          </select>
        </div>
        {form.tlsMode === 'fingerprint' ? field('fingerprint', { placeholder: 'AB:CD:…' }) : null}
        {form.tlsMode === 'ca' ? (
          <div className="field">
            <label htmlFor="ca-pem">{px.labels.caPem}</label>
            <textarea
              id="ca-pem"
              rows={6}
              value={form.caPem}
              onChange={(e) => set('caPem')(e.target.value)}
              aria-invalid={errors.caPem ? true : undefined}
            />
            <small className="help">{px.help.caPem}</small>
            {errors.caPem ? (
              <small className="error" role="alert">
                <ErrorText text={errors.caPem} />
              </small>
            ) : null}
          </div>
        ) : null}
        {form.tlsMode === 'insecure' ? <Alert kind="error">{px.insecureWarning}</Alert> : null}
      </fieldset>
      <fieldset>
        <legend>{px.legendVms}</legend>
        {field('templateVmid', NUMERIC)}
        {field('storage')}
        {field('pool', { placeholder: 'pgd' })}
        {field('ciUser')}
      </fieldset>
      <fieldset>
        <legend>{px.legendNetwork}</legend>
        {field('bridge')}
        {field('vlan', NUMERIC)}
        {field('poolCidr', { placeholder: '192.168.1.0/24' })}
        {field('poolStart', { placeholder: '192.168.1.100' })}
        {field('poolEnd', { placeholder: '192.168.1.150' })}
        {field('gateway', { placeholder: '192.168.1.1' })}
        {field('dnsServers', { placeholder: '192.168.1.1, 1.1.1.1' })}
        {field('searchDomain')}
        {field('sshPort', NUMERIC)}
      </fieldset>
      <TokenSetup form={form} />
      <div className="form-actions">
        <button type="submit" disabled={busy}>
          {props.submitLabel ?? t.save}
        </button>
        {/* Said where the admin's eyes are: beside the button just pressed. */}
        {message?.kind === 'success' ? (
          <span className="saved" role="status">
            {message.text}
          </span>
        ) : null}
      </div>
    </form>
  )
}
