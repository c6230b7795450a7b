import { useEffect, useState, type FormEvent } from 'react'
import { ROLES, mayManage, type Access, type Role } from '../../../core/people'
import { api, ApiFailure, call, errorText } from '../api'
import { CopyButton } from './copy-button'
import { Alert, Field, SelectField } from './field'
import { useT } from '../i18n'
import { useCan } from '../me'

/** A one-time link to show once: the full address, built from this dashboard's own origin. */
export function OneTimeLink(props: { title: string; body: string; path: string }) {
  const url = `${location.origin}${props.path}`
  return (
    <section className="card" role="status" aria-labelledby="link-title">
      <h3 id="link-title">{props.title}</h3>
      <p>{props.body}</p>
      <p>
        <code data-testid="one-time-link">{url}</code> <CopyButton text={url} />
      </p>
    </section>
  )
}

/** Invite someone: a role, every server or chosen ones, and how long the link lives. */
export function InviteForm(props: { onInvited: () => void }) {
  const t = useT()
  const { me } = useCan()
  const [role, setRole] = useState<Role>('operator')
  const [scope, setScope] = useState<'all' | 'granted'>('all')
  const [grants, setGrants] = useState<Record<string, Access | ''>>({})
  const [hours, setHours] = useState('72')
  const [servers, setServers] = useState<{ id: string; name: string }[]>([])
  const [link, setLink] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [fields, setFields] = useState<Record<string, string>>({})
  const [busy, setBusy] = useState(false)
  const limited = role === 'operator' || role === 'viewer'

  useEffect(() => {
    call(api.api.deployments.$get({ query: { limit: '200' } }))
      .then((r) => setServers(r.deployments.filter((d) => d.status !== 'destroyed')))
      .catch(() => setServers([]))
  }, [])

  async function submit(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setError(null)
    setFields({})
    try {
      const chosen = Object.entries(grants).flatMap(([deploymentId, access]) =>
        access ? [{ deploymentId, access }] : [],
      )
      const r = await call(
        api.api.users.invites.$post({
          json: {
            role,
            deploymentScope: limited ? scope : 'all',
            grants: limited && scope === 'granted' ? chosen : [],
            expiresInHours: Number(hours),
          },
        }),
      )
      setLink(r.path)
      props.onInvited()
    } catch (err) {
      if (err instanceof ApiFailure && Object.keys(err.fields).length > 0) setFields(err.fields)
      setError(errorText(err))
    } finally {
      setBusy(false)
    }
  }

  const roles = ROLES.filter((r) => me && mayManage(me.role, r)).reverse()
  return (
    <form onSubmit={submit} aria-labelledby="invite-title">
      <h2 id="invite-title">{t.inviteTitle}</h2>
      {error ? <Alert kind="error">{error}</Alert> : null}
      <SelectField
        label={t.inviteRole}
        name="role"
        value={role}
        options={roles.map((r) => ({ value: r, label: t.roles[r] }))}
        onChange={(v) => setRole(v as Role)}
        help={t.roleHelp[role]}
        error={fields.role}
      />
      {limited ? (
        <fieldset>
          <legend>{t.inviteScope}</legend>
          <div className="radio-row">
            {(['all', 'granted'] as const).map((s) => (
              <label key={s}>
                <input
                  type="radio"
                  name="scope"
                  value={s}
                  checked={scope === s}
                  onChange={() => setScope(s)}
                />{' '}
                {s === 'all' ? t.scopeAll : t.scopeGranted}
              </label>
            ))}
          </div>
          {scope === 'granted' && servers.length === 0 ? <p>{t.noServersYet}</p> : null}
          {scope === 'granted'
            ? servers.map((d) => (
                <SelectField
                  key={d.id}
                  label={d.name}
                  name={`grant-${d.id}`}
                  value={grants[d.id] ?? ''}
                  options={[
                    { value: '', label: t.accessNone },
                    { value: 'view', label: t.access.view },
                    ...(role === 'operator' ? [{ value: 'operate', label: t.access.operate }] : []),
                  ]}
                  onChange={(v) => setGrants((g) => ({ ...g, [d.id]: v as Access | '' }))}
                />
              ))
            : null}
        </fieldset>
      ) : null}
      <Field
        label={t.inviteHours}
        name="hours"
        type="number"
        inputMode="numeric"
        min={1}
        max={168}
        value={hours}
        onChange={setHours}
        error={fields.expiresInHours}
      />
      <button type="submit" disabled={busy}>
        {t.inviteCreate}
      </button>
      {link ? <OneTimeLink title={t.inviteLinkTitle} body={t.inviteLinkBody} path={link} /> : null}
    </form>
  )
}
