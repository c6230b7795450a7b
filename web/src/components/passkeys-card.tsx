import { useState, type FormEvent } from 'react'
import { api, ApiFailure, call, errorText } from '../api'
import { CardTable } from './card-table'
import { ConfirmButton } from './confirm-button'
import { Alert, Field } from './field'
import { usePoll } from '../hooks/use-poll'
import { useT } from '../i18n'
import { formatAgo } from '../lib/format'
import { createPasskey, PasskeyCancelled, passkeysSupported } from '../lib/webauthn'

/** Your passkeys: add one on this device (named), rename, remove. */
export function PasskeysCard(props: { onAdded?: () => void }) {
  const t = useT()
  const { data, error, refresh } = usePoll(
    async () => (await call(api.api.auth.passkeys.$get())).passkeys,
    60_000,
  )
  const [name, setName] = useState('')
  const [fields, setFields] = useState<Record<string, string>>({})
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null)
  const [busy, setBusy] = useState(false)
  const [renaming, setRenaming] = useState<{ id: string; name: string } | null>(null)

  async function run(action: () => Promise<string | null>) {
    setFields({})
    setResult(null)
    setBusy(true)
    try {
      const done = await action()
      if (done) setResult({ ok: true, text: done })
      await refresh()
    } catch (err) {
      if (err instanceof PasskeyCancelled) setResult({ ok: false, text: t.passkeyCancelled })
      else if (err instanceof ApiFailure && Object.keys(err.fields).length > 0)
        setFields(err.fields)
      else setResult({ ok: false, text: errorText(err) })
    } finally {
      setBusy(false)
    }
  }

  function add(e: FormEvent) {
    e.preventDefault()
    void run(async () => {
      const options = await call(api.api.auth.passkeys.register.options.$post())
      const answer = await createPasskey(options)
      const added = await call(api.api.auth.passkeys.$post({ json: { name, ...answer } }))
      setName('')
      props.onAdded?.()
      return t.passkeyAdded(added.passkey.name)
    })
  }

  function rename(e: FormEvent) {
    e.preventDefault()
    const target = renaming
    if (!target) return
    void run(async () => {
      await call(
        api.api.auth.passkeys[':id'].$patch({
          param: { id: target.id },
          json: { name: target.name },
        }),
      )
      setRenaming(null)
      return null
    })
  }

  return (
    <section className="card" aria-labelledby="passkeys-title">
      <h2 id="passkeys-title">{t.passkeysTitle}</h2>
      <p>{t.passkeysIntro}</p>
      {error ? <Alert kind="error">{error}</Alert> : null}
      {result ? <Alert kind={result.ok ? 'success' : 'error'}>{result.text}</Alert> : null}
      {data && data.length === 0 ? <p>{t.passkeysNone}</p> : null}
      {data && data.length > 0 ? (
        <CardTable columns={[t.colPasskeyName, t.colAdded, t.colLastUsed]} actions={t.actions}>
          {data.map((p) => (
            <tr key={p.id}>
              <td data-label={t.colPasskeyName}>
                {renaming?.id === p.id ? (
                  <form onSubmit={rename} className="inline">
                    <Field
                      label={t.passkeyRename}
                      name="passkey-rename"
                      value={renaming.name}
                      onChange={(v) => setRenaming({ id: p.id, name: v })}
                      error={fields.name}
                      required
                    />
                    <button type="submit" disabled={busy}>
                      {t.passkeyRenameSave}
                    </button>
                  </form>
                ) : (
                  p.name
                )}
              </td>
              <td data-label={t.colAdded}>{formatAgo(p.createdAt, t.lang)}</td>
              <td data-label={t.colLastUsed}>
                {p.lastUsedAt ? formatAgo(p.lastUsedAt, t.lang) : t.neverUsed}
              </td>
              <td>
                <div className="actions">
                  {renaming?.id !== p.id ? (
                    <button
                      type="button"
                      className="secondary"
                      aria-label={`${t.passkeyRename} ${p.name}`}
                      onClick={() => setRenaming({ id: p.id, name: p.name })}
                    >
                      {t.passkeyRename}
                    </button>
                  ) : null}
                  <ConfirmButton
                    label={t.passkeyRemove}
                    ariaLabel={`${t.passkeyRemove} ${p.name}`}
                    title={t.passkeyRemoveTitle(p.name)}
                    body={t.passkeyRemoveBody}
                    confirmLabel={t.passkeyRemove}
                    danger
                    onConfirm={async () => {
                      await call(api.api.auth.passkeys[':id'].$delete({ param: { id: p.id } }))
                      await refresh()
                    }}
                  />
                </div>
              </td>
            </tr>
          ))}
        </CardTable>
      ) : null}
      {passkeysSupported() ? (
        <form onSubmit={add}>
          <Field
            label={t.passkeyName}
            name="passkey-name"
            value={name}
            onChange={setName}
            placeholder={t.passkeyNamePlaceholder}
            error={fields.name}
            required
          />
          <button type="submit" disabled={busy}>
            {t.passkeyAdd}
          </button>
        </form>
      ) : (
        <p>{t.passkeyUnsupported}</p>
      )}
    </section>
  )
}
