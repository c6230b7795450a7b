import { useT } from '../i18n'

/** What a screen shows an account whose role may not use it (the API refuses it too). */
export function NotAllowed() {
  const t = useT()
  return (
    <section className="card" role="alert" data-testid="not-allowed">
      <h1>{t.notAllowedTitle}</h1>
      <p>{t.notAllowedBody}</p>
    </section>
  )
}
