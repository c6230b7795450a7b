import { lazy, Suspense, useCallback, useEffect, useRef, useState } from 'react'
import { api, ApiFailure, call, SECOND_FACTOR_NEEDED, SESSION_EXPIRED } from './api'
import { CodeForm, type FactorMethods } from './components/code-form'
import { TotpCard } from './components/totp-card'
import { Link } from './components/link'
import { setLang, setTheme, useT, useTheme, type Lang, type Theme } from './i18n'
import { allows } from '../../core/people'
import { Alert } from './components/field'
import { NotAllowed } from './components/not-allowed'
import { MeContext, type Me } from './me'
import { JoinPage } from './pages/join'
import { LoginPage } from './pages/login'
import { onboardingStep, SetupWizard } from './pages/setup'
import { navigate, usePath } from './router'

// The deployment screens carry zod and the game catalogue: loaded on first use, which keeps the
// first paint (sign-in, setup wizard) small.
const DeploymentsPage = lazy(() =>
  import('./pages/deployments').then((m) => ({ default: m.DeploymentsPage })),
)
const DeploymentPage = lazy(() =>
  import('./pages/deployment').then((m) => ({ default: m.DeploymentPage })),
)
// Accounts screens: visited now and then, not on the first paint.
const PasskeysCard = lazy(() =>
  import('./components/passkeys-card').then((m) => ({ default: m.PasskeysCard })),
)
const UsersPage = lazy(() => import('./pages/users').then((m) => ({ default: m.UsersPage })))
const SecurityPage = lazy(() =>
  import('./pages/security').then((m) => ({ default: m.SecurityPage })),
)
// Admin screens: Settings carries the schedules' zod schemas; none is on the first paint.
const SettingsPage = lazy(() =>
  import('./pages/settings').then((m) => ({ default: m.SettingsPage })),
)
const RunnersPage = lazy(() => import('./pages/runners').then((m) => ({ default: m.RunnersPage })))
const AuditPage = lazy(() => import('./pages/audit').then((m) => ({ default: m.AuditPage })))
const NewDeploymentPage = lazy(() =>
  import('./pages/new-deployment').then((m) => ({ default: m.NewDeploymentPage })),
)

type Gate =
  | { kind: 'loading' }
  | { kind: 'setup' }
  | { kind: 'login'; expired: boolean }
  | { kind: 'second-factor'; methods?: FactorMethods }
  | { kind: 'in'; me: Me }
  /** Cloudflare Access let the browser through, but the worker refuses it (no account, …). */
  | { kind: 'access-refused'; message: string }

/** The page for a path inside the signed-in dashboard; admin screens only for admins. */
function route(path: string, admin: boolean) {
  if (path === '/deployments/new') return <NewDeploymentPage />
  const detail = /^\/deployments\/([^/]+)$/.exec(path)
  if (detail?.[1]) return <DeploymentPage key={detail[1]} id={decodeURIComponent(detail[1])} />
  if (path.startsWith('/security')) return <SecurityPage />
  if (path.startsWith('/users')) return <UsersPage />
  const adminOnly = ['/runners', '/settings', '/audit'].some((p) => path.startsWith(p))
  if (adminOnly && !admin) return <NotAllowed />
  if (path.startsWith('/runners')) return <RunnersPage />
  if (path.startsWith('/settings')) return <SettingsPage />
  if (path.startsWith('/audit')) return <AuditPage />
  return <DeploymentsPage />
}

/**
 * Says, on every screen, when the dashboard drives the local Proxmox simulator (`npm run demo`)
 * rather than a real cluster.
 */
function TargetBanner() {
  const t = useT()
  const [simulator, setSimulator] = useState(false)
  useEffect(() => {
    call(api.api.health.$get())
      .then((h) => setSimulator(h.target === 'simulator'))
      .catch(() => undefined)
  }, [])
  if (!simulator) return null
  return (
    <p className="demo-banner" role="note">
      {t.simulatorBanner}
    </p>
  )
}

/** Decides between setup, sign-in and the dashboard, and routes inside the dashboard. */
export function App() {
  const t = useT()
  const path = usePath()
  const [gate, setGate] = useState<Gate>({ kind: 'loading' })

  const refresh = useCallback(async () => {
    try {
      const { needed } = await call(api.api.setup.$get())
      if (needed) return setGate({ kind: 'setup' })
      const { user } = await call(api.api.auth.me.$get())
      if (user.secondFactor?.pending)
        return setGate({ kind: 'second-factor', methods: user.secondFactor.methods })
      setGate({ kind: 'in', me: user })
      // The first-run wizard is the Proxmox side: admins only.
      if (!allows(user, 'admin')) return
    } catch (err) {
      if (err instanceof ApiFailure && err.code.startsWith('access_'))
        return setGate({ kind: 'access-refused', message: err.message })
      return setGate({ kind: 'login', expired: false })
    }
    // A wizard left midway (browser closed) resumes where it stopped.
    if (location.pathname !== '/setup' && location.pathname !== '/join') {
      const step = await onboardingStep().catch(() => 'done' as const)
      if (step !== 'done') navigate('/setup', { replace: true })
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
  if (gate.kind === 'setup')
    return (
      <>
        <TargetBanner />
        <Preferences />
        <main id="main" tabIndex={-1}>
          <SetupWizard signedIn={false} onAdminCreated={() => void refresh()} />
        </main>
      </>
    )
  if (path === '/join')
    return (
      <>
        <Preferences />
        <JoinPage onDone={() => void refresh()} />
      </>
    )
  if (gate.kind === 'second-factor')
    return (
      <>
        <Preferences />
        <main className="narrow">
          <h1>{t.secondFactorTitle}</h1>
          {gate.methods?.totp !== false ? <p>{t.secondFactorIntro}</p> : null}
          <CodeForm onDone={() => void refresh()} methods={gate.methods} />
        </main>
      </>
    )
  if (gate.kind === 'access-refused')
    return (
      <>
        <Preferences />
        <main className="narrow">
          <h1>{t.accessRefusedTitle}</h1>
          <Alert kind="error">{gate.message}</Alert>
        </main>
      </>
    )
  if (gate.kind === 'login')
    return (
      <>
        <TargetBanner />
        <Preferences />
        <LoginPage expired={gate.expired} onDone={() => void refresh()} />
      </>
    )

  const admin = allows(gate.me, 'admin')
  const link = (to: string, label: string) => (
    <Link to={to} current={path.startsWith(to)}>
      {label}
    </Link>
  )
  return (
    <MeContext.Provider value={gate.me}>
      <a className="skip" href="#main">
        {t.skipToContent}
      </a>
      <TargetBanner />
      <header className="topbar">
        <Link to="/deployments" className="brand">
          {t.appName}
        </Link>
        <nav aria-label={t.mainNav}>
          {link('/deployments', t.navDeployments)}
          {admin ? link('/runners', t.navRunners) : null}
          {admin ? link('/settings', t.navSettings) : null}
          {admin ? link('/users', t.navUsers) : null}
          {admin ? link('/audit', t.navAudit) : null}
          {link('/security', t.navSecurity)}
        </nav>
        <Preferences inline />
        <div className="topbar-end">
          <span className="who">
            {gate.me.username} · {t.roles[gate.me.role]}
          </span>
          <button type="button" className="secondary small" onClick={() => void signOut()}>
            {t.signOut}
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <RecentFactorDialog />
        {gate.me.secondFactor?.mustEnrol ? (
          <section>
            <Alert kind="info">{t.mustEnrolIntro}</Alert>
            <TotpCard onEnrolled={() => void refresh()} />
            <Suspense fallback={null}>
              <PasskeysCard onAdded={() => void refresh()} />
            </Suspense>
          </section>
        ) : path === '/setup' ? (
          <SetupWizard signedIn onAdminCreated={() => void refresh()} />
        ) : (
          <Suspense fallback={<p className="loading">{t.loading}</p>}>
            {route(path, admin)}
          </Suspense>
        )}
      </main>
    </MeContext.Provider>
  )
}

/** Language and theme pickers: in the top bar, or in a corner before sign-in. */
function Preferences(props: { inline?: boolean }) {
  const t = useT()
  const theme = useTheme()
  return (
    <div className={props.inline ? 'prefs' : 'prefs prefs-corner'}>
      <label>
        <span className="sr-only">{t.language}</span>
        <select value={t.lang} onChange={(e) => void setLang(e.target.value as Lang)}>
          <option value="en">English</option>
          <option value="fr">Français</option>
        </select>
      </label>
      <label>
        <span className="sr-only">{t.theme}</span>
        <select value={theme} onChange={(e) => setTheme(e.target.value as Theme)}>
          <option value="system">{t.themes.system}</option>
          <option value="light">{t.themes.light}</option>
          <option value="dark">{t.themes.dark}</option>
        </select>
      </label>
    </div>
  )
}

/**
 * Asks for a code when a sensitive action was refused for want of a recent second factor; the
 * person then does the action again (its own error stays where it was shown).
 */
function RecentFactorDialog() {
  const t = useT()
  const ref = useRef<HTMLDialogElement>(null)
  // The form exists only while asking: a closed dialog holds no second code field.
  const [asking, setAsking] = useState(false)
  const [methods, setMethods] = useState<FactorMethods | undefined>(undefined)
  useEffect(() => {
    const open = () => {
      // Read afresh: a passkey or an app may have been added since the dashboard loaded.
      void call(api.api.auth.me.$get())
        .then(({ user }) => setMethods(user.secondFactor?.methods))
        .catch(() => undefined)
        .finally(() => {
          setAsking(true)
          ref.current?.showModal()
        })
    }
    window.addEventListener(SECOND_FACTOR_NEEDED, open)
    return () => window.removeEventListener(SECOND_FACTOR_NEEDED, open)
  }, [])
  const close = () => {
    ref.current?.close()
    setAsking(false)
  }
  return (
    <dialog ref={ref} aria-labelledby="recent-factor-title" onClose={() => setAsking(false)}>
      <h2 id="recent-factor-title">{t.recentFactorTitle}</h2>
      <p>{t.recentFactorIntro}</p>
      {asking ? <CodeForm onDone={close} methods={methods} /> : null}
      <button type="button" className="secondary" onClick={close}>
        {t.cancelDialog}
      </button>
    </dialog>
  )
}
