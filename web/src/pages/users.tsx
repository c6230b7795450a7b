import { useState, type FormEvent } from 'react'
import { ROLES, atLeast, mayManage, type Role } from '../../../core/people'
import { api, call, errorText } from '../api'
import { CardTable } from '../components/card-table'
import { ConfirmButton } from '../components/confirm-button'
import { Alert } from '../components/field'
import {
  chosenGrants,
  GrantsFieldset,
  grantsValue,
  type GrantsValue,
} from '../components/grants-fieldset'
import { InviteForm, OneTimeLink } from '../components/invite-form'
import { NotAllowed } from '../components/not-allowed'
import { usePoll } from '../hooks/use-poll'
import { useT } from '../i18n'
import { formatTime } from '../lib/format'
import { useCan } from '../me'
import { useTitle } from '../router'

const REFRESH_MS = 10_000

async function load() {
  const [users, invites] = await Promise.all([
    call(api.api.users.$get()),
    call(api.api.users.invites.$get()),
  ])
  return { users: users.users, invites: invites.invites }
}

type Person = Awaited<ReturnType<typeof load>>['users'][number]

/** Users: who may use the dashboard, their roles and servers; invite, change, disable, remove. */
export function UsersPage() {
  const t = useT()
  useTitle(`${t.usersTitle} · ${t.appName}`)
  const { admin } = useCan()
  if (!admin) return <NotAllowed />
  return <Users />
}

function Users() {
  const t = useT()
  const { data, error, refresh } = usePoll(load, REFRESH_MS)
  const [reset, setReset] = useState<{ name: string; path: string } | null>(null)
  return (
    <section>
      <h1>{t.usersTitle}</h1>
      <p>{t.usersIntro}</p>
      {error ? <Alert kind="error">{error}</Alert> : null}
      {reset ? (
        <OneTimeLink
          title={t.resetLinkTitle(reset.name)}
          body={t.resetLinkBody}
          path={reset.path}
        />
      ) : null}
      {data ? (
        <CardTable columns={[t.colUser, t.colRole, t.colServers, t.colStatus]} actions={t.actions}>
          {data.users.map((u) => (
            <UserRow
              key={u.id}
              user={u}
              onChanged={refresh}
              onReset={(path) => setReset({ name: u.username, path })}
            />
          ))}
        </CardTable>
      ) : null}
      {data && data.invites.length > 0 ? (
        <section aria-labelledby="pending-title">
          <h2 id="pending-title">{t.pendingInvites}</h2>
          <ul className="plain">
            {data.invites.map((i) => (
              <li key={i.id}>
                {t.roles[i.role ?? 'viewer']} ·{' '}
                {i.deploymentScope === 'granted' ? t.serversGranted(i.grants.length) : t.serversAll}{' '}
                · {t.expiresAt(formatTime(i.expiresAt, t.lang))}{' '}
                <button
                  type="button"
                  className="secondary small"
                  onClick={() =>
                    void call(api.api.users.invites[':id'].$delete({ param: { id: i.id } })).then(
                      refresh,
                    )
                  }
                >
                  {t.withdraw}
                </button>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <section className="card">
        <InviteForm onInvited={() => void refresh()} />
      </section>
    </section>
  )
}

function UserRow(props: {
  user: Person
  onChanged: () => Promise<void>
  onReset: (path: string) => void
}) {
  const t = useT()
  const { me } = useCan()
  const u = props.user
  const [error, setError] = useState<string | null>(null)
  const [editing, setEditing] = useState(false)
  const self = me?.id === u.id
  const manageable = !self && me !== null && mayManage(me.role, u.role)
  // Admins and owners reach every server: only operators and viewers have a choice.
  const limitable = !atLeast(u.role, 'admin')
  const param = { param: { id: u.id } }

  async function patch(json: { role?: Role; disabled?: boolean }) {
    setError(null)
    try {
      await call(api.api.users[':id'].$patch({ ...param, json }))
      await props.onChanged()
    } catch (err) {
      setError(errorText(err))
    }
  }

  return (
    <>
      <tr data-user={u.username}>
        <td data-label={t.colUser}>
          {u.username} {self ? t.you : null}
          {error ? <Alert kind="error">{error}</Alert> : null}
        </td>
        <td data-label={t.colRole}>
          {manageable ? (
            <select
              aria-label={t.roleOf(u.username)}
              value={u.role}
              onChange={(e) => void patch({ role: e.target.value as Role })}
            >
              {ROLES.filter((r) => me && mayManage(me.role, r))
                .reverse()
                .map((r) => (
                  <option key={r} value={r}>
                    {t.roles[r]}
                  </option>
                ))}
            </select>
          ) : (
            t.roles[u.role]
          )}
        </td>
        <td data-label={t.colServers}>
          {u.deploymentScope === 'granted' && limitable
            ? t.serversGranted(u.grants.length)
            : t.serversAll}{' '}
          {manageable && limitable && !editing ? (
            <button
              type="button"
              className="secondary small"
              aria-label={t.changeServersOf(u.username)}
              onClick={() => setEditing(true)}
            >
              {t.changeServers}
            </button>
          ) : null}
        </td>
        <td data-label={t.colStatus}>
          <span className={`badge badge-${u.disabledAt ? 'off' : 'ok'}`}>
            {u.disabledAt ? t.statusDisabled : t.statusActive}
          </span>
        </td>
        <td>
          {manageable ? (
            <div className="actions">
              {u.disabledAt ? (
                <button
                  type="button"
                  className="secondary"
                  onClick={() => void patch({ disabled: false })}
                >
                  {t.enable}
                </button>
              ) : (
                <ConfirmButton
                  label={t.disable}
                  ariaLabel={`${t.disable} ${u.username}`}
                  title={t.disableTitle(u.username)}
                  body={t.disableBody}
                  confirmLabel={t.disable}
                  onConfirm={async () => {
                    await call(api.api.users[':id'].$patch({ ...param, json: { disabled: true } }))
                    await props.onChanged()
                  }}
                />
              )}
              <ConfirmButton
                label={t.resetPassword}
                ariaLabel={`${t.resetPassword} ${u.username}`}
                title={t.resetTitle(u.username)}
                body={t.resetBody}
                confirmLabel={t.resetPassword}
                onConfirm={async () => {
                  const r = await call(api.api.users[':id'].reset.$post(param))
                  props.onReset(r.path)
                }}
              />
              <ConfirmButton
                danger
                label={t.remove}
                ariaLabel={`${t.remove} ${u.username}`}
                title={t.removeTitle(u.username)}
                body={t.removeBody}
                confirmLabel={t.remove}
                onConfirm={async () => {
                  await call(api.api.users[':id'].$delete(param))
                  await props.onChanged()
                }}
              />
            </div>
          ) : null}
        </td>
      </tr>
      {editing ? (
        <tr>
          <td colSpan={5}>
            <ServersEditor
              user={u}
              onDone={async () => {
                setEditing(false)
                await props.onChanged()
              }}
              onCancel={() => setEditing(false)}
            />
          </td>
        </tr>
      ) : null}
    </>
  )
}

/** Change which servers an operator or viewer reaches, and with which access. */
function ServersEditor(props: { user: Person; onDone: () => Promise<void>; onCancel: () => void }) {
  const t = useT()
  const u = props.user
  const [value, setValue] = useState<GrantsValue>(() => grantsValue(u.deploymentScope, u.grants))
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function save(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const grants = value.scope === 'granted' ? chosenGrants(value) : []
      await call(
        api.api.users[':id'].$patch({
          param: { id: u.id },
          json: { deploymentScope: value.scope, grants },
        }),
      )
      await props.onDone()
    } catch (err) {
      setError(errorText(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <form onSubmit={(e) => void save(e)} aria-label={t.serversOf(u.username)}>
      <h3>{t.serversOf(u.username)}</h3>
      {error ? <Alert kind="error">{error}</Alert> : null}
      <GrantsFieldset role={u.role} value={value} onChange={setValue} name={`scope-${u.id}`} />
      <div className="actions">
        <button type="submit" disabled={busy}>
          {t.save}
        </button>
        <button type="button" className="secondary" onClick={props.onCancel}>
          {t.cancelDialog}
        </button>
      </div>
    </form>
  )
}
