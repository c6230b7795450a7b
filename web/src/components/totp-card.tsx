import { useState, type FormEvent } from 'react'
import { api, ApiFailure, call, errorText } from '../api'
import { Alert, Field } from './field'
import { usePoll } from '../hooks/use-poll'
import { useT } from '../i18n'

type Enrolment = { secret: string; qrSvg: string }

/** Your second factor: set it up with a QR code, see the recovery codes once, turn it off. */
export function TotpCard(props: { onEnrolled?: () => void }) {
  const t = useT()
  const { data, refresh } = usePoll(async () => call(api.api.auth.totp.$get()), 60_000)
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null)
  const [codes, setCodes] = useState<string[] | null>(null)
  const [code, setCode] = useState('')
  const [fields, setFields] = useState<Record<string, string>>({})
  const [error, setError] = useState<string | null>(null)

  async function run(action: () => Promise<void>) {
    setFields({})
    setError(null)
    try {
      await action()
    } catch (err) {
      if (err instanceof ApiFailure && Object.keys(err.fields).length > 0) setFields(err.fields)
      else setError(errorText(err))
    }
  }

  async function confirm(e: FormEvent) {
    e.preventDefault()
    await run(async () => {
      const r = await call(api.api.auth.totp.confirm.$post({ json: { code } }))
      setCodes(r.recoveryCodes)
      setEnrolment(null)
      setCode('')
      await refresh()
    })
  }

  async function turnOff(e: FormEvent) {
    e.preventDefault()
    await run(async () => {
      await call(api.api.auth.totp.disable.$post({ json: { code } }))
      setCode('')
      await refresh()
    })
  }

  const codeField = (
    <Field
      label={t.authenticatorCode}
      name="totp-code"
      value={code}
      onChange={setCode}
      inputMode="numeric"
      autoComplete="one-time-code"
      error={fields.code}
      required
    />
  )
  return (
    <section className="card" aria-labelledby="totp-title" data-testid="totp-card">
      <h2 id="totp-title">{t.totpTitle}</h2>
      {error ? <Alert kind="error">{error}</Alert> : null}
      {codes ? (
        <Alert kind="success">
          <p>{t.recoveryCodesIntro}</p>
          <ul className="recovery-codes" data-testid="recovery-codes">
            {codes.map((c) => (
              <li key={c}>
                <code>{c}</code>
              </li>
            ))}
          </ul>
          <button type="button" onClick={() => (setCodes(null), props.onEnrolled?.())}>
            {t.recoveryCodesSaved}
          </button>
        </Alert>
      ) : null}
      {data && !data.enrolled && !enrolment ? (
        <>
          <p>{data.required ? t.totpRequired : t.totpIntro}</p>
          <button
            type="button"
            onClick={() =>
              void run(async () => setEnrolment(await call(api.api.auth.totp.enrol.$post())))
            }
          >
            {t.totpSetUp}
          </button>
        </>
      ) : null}
      {enrolment ? (
        <form onSubmit={confirm}>
          <p>{t.totpScan}</p>
          <img
            className="qr"
            width={200}
            height={200}
            alt={t.totpQrAlt}
            src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(enrolment.qrSvg)}`}
          />
          <p>
            {t.totpManual} <code data-testid="totp-secret">{enrolment.secret}</code>
          </p>
          {codeField}
          <button type="submit">{t.totpConfirm}</button>
        </form>
      ) : null}
      {data?.enrolled && !codes ? (
        <form onSubmit={turnOff}>
          <p>{t.totpOn(data.recoveryCodesLeft)}</p>
          {data.required ? null : (
            <>
              {codeField}
              <button type="submit" className="danger">
                {t.totpTurnOff}
              </button>
            </>
          )}
        </form>
      ) : null}
    </section>
  )
}
