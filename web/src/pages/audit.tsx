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

/** A target as a person knows it: the deployment's or runner's name, else a short id. */
function targetName(target: string | null, names: ReadonlyMap<string, string>): string {
  if (!target) return ''
  const name = names.get(target)
  if (name) return name
  return /^[0-9a-f]{8}-[0-9a-f-]{27}$/.test(target) ? `${target.slice(0, 8)}…` : target
}

/** `{ changed: ['apiUrl','node'], ok: true }` → `changed: apiUrl, node · ok: yes`. */
function describeDetails(details: unknown, lang: string): string {
  if (details === null || details === undefined) return ''
  if (typeof details !== 'object' || Array.isArray(details)) return word(details, lang)
  return Object.entries(details as Record<string, unknown>)
    .map(([k, v]) => `${k}: ${word(v, lang)}`)
    .join(' · ')
}

function word(value: unknown, lang: string): string {
  if (typeof value === 'boolean')
    return value ? (lang === 'fr' ? 'oui' : 'yes') : lang === 'fr' ? 'non' : 'no'
  if (Array.isArray(value)) return value.map((v) => word(v, lang)).join(', ')
  if (value !== null && typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

/** Who did what, when, from where — newest first, paged. */
export function AuditPage() {
  const t = useT()
  useTitle(`${t.auditTitle} · ${t.appName}`)
  const [entries, setEntries] = useState<Entry[]>([])
  const [nextBefore, setNextBefore] = useState<number | undefined>(undefined)
  const [error, setError] = useState<string | null>(null)
  const [loaded, setLoaded] = useState(false)

  // Ids become names where the dashboard still knows them (deployments and runners).
  const [names, setNames] = useState<Map<string, string>>(new Map())
  useEffect(() => {
    Promise.all([
      call(api.api.deployments.$get({ query: { limit: '200' } })),
      call(api.api.runners.$get()),
    ])
      .then(([d, r]) =>
        setNames(
          new Map([
            ...d.deployments.map((x) => [x.id, x.name] as const),
            ...r.runners.map((x) => [x.id, x.name] as const),
          ]),
        ),
      )
      .catch(() => {})
  }, [])

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
                    <span title={e.action}>{t.auditAction(e.action)}</span>
                  </td>
                  <td>{targetName(e.target, names)}</td>
                  <td>{e.ip ?? ''}</td>
                  <td className="details">{describeDetails(e.details, t.lang)}</td>
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
