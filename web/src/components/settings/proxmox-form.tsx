import { useEffect, useState, type FormEvent } from 'react'
import { setupCommands } from '../../../../core/proxmox-privileges'
import { api, ApiFailure, call } from '../../api'
import { Commands } from '../commands'
import { Alert, Field, ErrorText } from '../field'
import { useT } from '../../i18n'

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
  backupStorage: 'local',
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
    backupStorage: view.backupStorage,
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
    backupStorage: f.backupStorage.trim() || 'local',
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
            backupStorage: form.backupStorage,
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
        {field('backupStorage')}
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
