import { useCallback, useEffect, useState } from 'react'
import { api, ApiFailure, call } from '../api'
import { Alert } from '../components/field'
import { useT } from '../i18n'
import { useTitle } from '../router'

interface Entry {
  id: number
  at: number
  actor: string
  action: string
  target: string | null
  ip: string | null
  details: unknown
}

/** Who did what, when, from where — newest first, paged. */
export function AuditPage() {
  const t = useT()
  useTitle(`${t.auditTitle} · ${t.appName}`)
  const [entries, setEntries] = useState<Entry[]>([])
  const [nextBefore, setNextBefore] = useState<number | undefined>(undefined)
  const [error, setError] = useState<string | null>(null)
  const [loaded, setLoaded] = useState(false)

  const load = useCallback(async (before?: number) => {
    try {
      const page = await call(
        api.api.audit.$get({ query: before === undefined ? {} : { before: String(before) } }),
      )
      setEntries((prev) => (before === undefined ? page.entries : [...prev, ...page.entries]))
      setNextBefore(page.nextBefore)
    } catch (err) {
      setError(err instanceof ApiFailure ? err.message : String(err))
    } finally {
      setLoaded(true)
    }
  }, [])

  useEffect(() => {
    void load()
  }, [load])

  return (
    <section>
      <h1>{t.auditTitle}</h1>
      {error ? <Alert kind="error">{error}</Alert> : null}
      {loaded && entries.length === 0 && !error ? <p>{t.auditEmpty}</p> : null}
      {entries.length > 0 ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t.when}</th>
                <th scope="col">{t.who}</th>
                <th scope="col">{t.action}</th>
                <th scope="col">{t.target}</th>
                <th scope="col">{t.from}</th>
                <th scope="col">{t.details}</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.id}>
                  <td>
                    <time dateTime={new Date(e.at).toISOString()}>
                      {new Date(e.at).toLocaleString(t.lang)}
                    </time>
                  </td>
                  <td>{e.actor}</td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td>{e.target ?? ''}</td>
                  <td>{e.ip ?? ''}</td>
                  <td>
                    {e.details ? <code className="details">{JSON.stringify(e.details)}</code> : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {nextBefore !== undefined ? (
        <button type="button" className="secondary" onClick={() => void load(nextBefore)}>
          {t.loadMore}
        </button>
      ) : null}
    </section>
  )
}
