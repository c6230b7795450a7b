import { useEffect, useState } from 'react'
import { api, call, errorText } from '../../api'
import { Alert } from '../field'
import { useT } from '../../i18n'

type EncryptionView = Awaited<ReturnType<typeof loadEncryption>>
const loadEncryption = async () => (await call(api.api.settings.encryption.$get())).encryption

/**
 * Settings → Encryption: which key the stored secrets are sealed with, and, after APP_ENC_KEY was
 * rotated (the old key in APP_ENC_KEY_PREVIOUS), one button to seal them all with the new key.
 */
export function EncryptionCard() {
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
