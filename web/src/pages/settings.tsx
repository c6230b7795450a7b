import { useState } from 'react'
import { BakeJob } from '../components/bake-job'
import { TemplateJob } from '../components/template-job'
import { useT } from '../i18n'
import { useTitle } from '../router'
import { TestConnection } from '../components/test-connection'
import { AlertsCard } from '../components/settings/alerts-card'
import { CleanupForm } from '../components/settings/cleanup-form'
import { DefaultSchedules } from '../components/schedules'
import { EncryptionCard } from '../components/settings/encryption-card'
import { ProxmoxForm } from '../components/settings/proxmox-form'
import { SecondFactorPolicy } from '../components/settings/second-factor-policy'
import { AccessCard } from '../components/settings/access-card'

/** Settings: the Proxmox connection (secrets write-only), its test, and the cleanup policy. */
export function SettingsPage() {
  const t = useT()
  useTitle(`${t.settingsTitle} · ${t.appName}`)
  // A template job selects its template in the connection: the form reads it again then.
  const [formKey, setFormKey] = useState(0)
  return (
    <section className="settings-page">
      <h1>{t.settingsTitle}</h1>
      <section aria-labelledby="proxmox-title">
        <h2 id="proxmox-title">{t.proxmoxTitle}</h2>
        <p>{t.proxmoxIntro}</p>
        <ProxmoxForm key={formKey} />
      </section>
      <section className="card" aria-labelledby="template-title">
        <h2 id="template-title">{t.templateTitle}</h2>
        <TemplateJob onReady={() => setFormKey((k) => k + 1)} />
      </section>
      <section className="card" aria-labelledby="bake-title">
        <h2 id="bake-title">{t.bakeTitle}</h2>
        <BakeJob />
      </section>
      <section className="card" aria-labelledby="test-title">
        <h2 id="test-title">{t.testConnection}</h2>
        <p>{t.testIntro}</p>
        <TestConnection />
      </section>
      <SecondFactorPolicy />
      <AccessCard />
      <EncryptionCard />
      <CleanupForm />
      <DefaultSchedules />
      <AlertsCard />
    </section>
  )
}
