import { useState, type FormEvent } from 'react'
import { ROLES, mayManage, type Role } from '../../../core/people'
import { api, ApiFailure, call, errorText } from '../api'
import { CopyButton } from './copy-button'
import { Alert, Field, SelectField } from './field'
import { chosenGrants, GrantsFieldset, type GrantsValue } from './grants-fieldset'
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
  const [access, setAccess] = useState<GrantsValue>({ scope: 'all', grants: {} })
  const [hours, setHours] = useState('72')
  const [link, setLink] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [fields, setFields] = useState<Record<string, string>>({})
  const [busy, setBusy] = useState(false)
  const limited = role === 'operator' || role === 'viewer'

  async function submit(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setError(null)
    setFields({})
    try {
      const r = await call(
        api.api.users.invites.$post({
          json: {
            role,
            deploymentScope: limited ? access.scope : 'all',
            grants: limited && access.scope === 'granted' ? chosenGrants(access) : [],
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
        <GrantsFieldset role={role} value={access} onChange={setAccess} name="scope" />
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
