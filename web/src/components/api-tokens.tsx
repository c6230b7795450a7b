import { useState, type FormEvent } from 'react'
import { scopesFor, type TokenScope } from '../../../core/people'
import { api, ApiFailure, call, errorText } from '../api'
import { CardTable } from './card-table'
import { ConfirmButton } from './confirm-button'
import { CopyButton } from './copy-button'
import { Alert, Field, SelectField } from './field'
import { usePoll } from '../hooks/use-poll'
import { useT } from '../i18n'
import { formatAgo, formatTime } from '../lib/format'
import { useCan } from '../me'

/** Your API tokens for scripts: create (the secret shown once), see when used, revoke. */
export function ApiTokens() {
  const t = useT()
  const { me } = useCan()
  const { data, error, refresh } = usePoll(
    async () => (await call(api.api.tokens.$get())).tokens,
    30_000,
  )
  const scopes = me ? scopesFor(me.role) : []
  const [name, setName] = useState('')
  const [scope, setScope] = useState<TokenScope>('read')
  const [days, setDays] = useState('90')
  const [secret, setSecret] = useState<string | null>(null)
  const [fields, setFields] = useState<Record<string, string>>({})
  const [failure, setFailure] = useState<string | null>(null)

  async function submit(e: FormEvent) {
    e.preventDefault()
    setFields({})
    setFailure(null)
    try {
      const r = await call(
        api.api.tokens.$post({ json: { name, scope, expiresInDays: Number(days) } }),
      )
      setSecret(r.secret)
      setName('')
      await refresh()
    } catch (err) {
      if (err instanceof ApiFailure && Object.keys(err.fields).length > 0) setFields(err.fields)
      else setFailure(errorText(err))
    }
  }

  const live = (data ?? []).filter((k) => k.revokedAt === null)
  return (
    <section className="card" aria-labelledby="tokens-title">
      <h2 id="tokens-title">{t.tokensTitle}</h2>
      <p>{t.tokensIntro}</p>
      {error || failure ? <Alert kind="error">{failure ?? error}</Alert> : null}
      {secret ? (
        <Alert kind="success">
          {t.tokenShownOnce} <code data-testid="token-secret">{secret}</code>{' '}
          <CopyButton text={secret} />
        </Alert>
      ) : null}
      {live.length > 0 ? (
        <CardTable
          columns={[t.colName, t.tokenScope, t.colExpires, t.colLastUsed]}
          actions={t.actions}
        >
          {live.map((k) => (
            <tr key={k.id}>
              <td data-label={t.colName}>{k.name}</td>
              <td data-label={t.tokenScope}>
                {t.tokenScopes[k.scope]}
                {k.deploymentIds ? ` · ${t.serversGranted(k.deploymentIds.length)}` : ''}
              </td>
              <td data-label={t.colExpires}>{formatTime(k.expiresAt, t.lang)}</td>
              <td data-label={t.colLastUsed}>
                {k.lastUsedAt ? formatAgo(k.lastUsedAt, t.lang) : t.neverUsed}
              </td>
              <td>
                <ConfirmButton
                  danger
                  label={t.revoke}
                  ariaLabel={`${t.revoke} ${k.name}`}
                  title={t.revokeTokenTitle(k.name)}
                  body={t.revokeTokenBody}
                  confirmLabel={t.revoke}
                  onConfirm={async () => {
                    await call(api.api.tokens[':id'].$delete({ param: { id: k.id } }))
                    await refresh()
                  }}
                />
              </td>
            </tr>
          ))}
        </CardTable>
      ) : null}
      <form onSubmit={submit}>
        <Field
          label={t.colName}
          name="token-name"
          value={name}
          onChange={setName}
          error={fields.name}
          required
        />
        <SelectField
          label={t.tokenScope}
          name="token-scope"
          value={scope}
          options={scopes.map((s) => ({ value: s, label: t.tokenScopes[s] }))}
          onChange={(v) => setScope(v as TokenScope)}
          error={fields.scope}
        />
        <Field
          label={t.tokenDays}
          name="token-days"
          type="number"
          inputMode="numeric"
          min={1}
          max={365}
          value={days}
          onChange={setDays}
          error={fields.expiresInDays}
        />
        <button type="submit">{t.createToken}</button>
      </form>
    </section>
  )
}
