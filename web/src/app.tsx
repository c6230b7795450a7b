import { useCallback, useEffect, useState } from 'react'
import { api, call, SESSION_EXPIRED } from './api'
import { setLang, useT, type Lang } from './i18n'
import { AuditPage } from './pages/audit'
import { LoginPage } from './pages/login'
import { SettingsPage } from './pages/settings'
import { SetupPage } from './pages/setup'
import { navigate, usePath } from './router'

type Gate =
  | { kind: 'loading' }
  | { kind: 'setup' }
  | { kind: 'login'; expired: boolean }
  | { kind: 'in'; username: string }

/** Decides between setup, sign-in and the dashboard, and routes inside the dashboard. */
export function App() {
  const t = useT()
  const path = usePath()
  const [gate, setGate] = useState<Gate>({ kind: 'loading' })

  const refresh = useCallback(async () => {
    const { needed } = await call(api.api.setup.$get())
    if (needed) return setGate({ kind: 'setup' })
    try {
      const { user } = await call(api.api.auth.me.$get())
      setGate({ kind: 'in', username: user.username })
    } catch {
      setGate({ kind: 'login', expired: false })
    }
  }, [])

  useEffect(() => {
    void refresh()
    // A 401 anywhere: back to sign-in, and back to this page afterwards (the URL stays).
    const onExpired = () => setGate((g) => (g.kind === 'in' ? { kind: 'login', expired: true } : g))
    window.addEventListener(SESSION_EXPIRED, onExpired)
    return () => window.removeEventListener(SESSION_EXPIRED, onExpired)
  }, [refresh])

  async function signOut() {
    await call(api.api.auth.logout.$post()).catch(() => undefined)
    setGate({ kind: 'login', expired: false })
  }

  if (gate.kind === 'loading') return <p className="loading">{t.loading}</p>
  if (gate.kind === 'setup') return <SetupPage onDone={() => void refresh()} />
  if (gate.kind === 'login')
    return <LoginPage expired={gate.expired} onDone={() => void refresh()} />

  const page = path.startsWith('/audit') ? <AuditPage /> : <SettingsPage />
  const link = (to: string, label: string) => (
    <a
      href={to}
      aria-current={path.startsWith(to) ? 'page' : undefined}
      onClick={(e) => {
        e.preventDefault()
        navigate(to)
      }}
    >
      {label}
    </a>
  )
  return (
    <>
      <header className="topbar">
        <strong className="brand">{t.appName}</strong>
        <nav aria-label="Main">
          {link('/settings', t.navSettings)}
          {link('/audit', t.navAudit)}
        </nav>
        <div className="topbar-end">
          <label>
            <span className="sr-only">{t.language}</span>
            <select value={t.lang} onChange={(e) => setLang(e.target.value as Lang)}>
              <option value="en">English</option>
              <option value="fr">Français</option>
            </select>
          </label>
          <span className="who">{gate.username}</span>
          <button type="button" className="secondary" onClick={() => void signOut()}>
            {t.signOut}
          </button>
        </div>
      </header>
      <main>{page}</main>
    </>
  )
}
