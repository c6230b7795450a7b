import { useEffect, useState } from 'react'
import type { Access, DeploymentScope, Grant, Role } from '../../../core/people'
import { api, call } from '../api'
import { SelectField } from './field'
import { useT } from '../i18n'

/** Which servers an operator or viewer reaches: every one, or those chosen with their access. */
export interface GrantsValue {
  scope: DeploymentScope
  grants: Record<string, Access | ''>
}

/** The value for an account's current scope and grants. */
export function grantsValue(scope: DeploymentScope, grants: readonly Grant[]): GrantsValue {
  return { scope, grants: Object.fromEntries(grants.map((g) => [g.deploymentId, g.access])) }
}

/** The chosen grants, as the API takes them (servers left at "no access" are left out). */
export function chosenGrants(value: GrantsValue): Grant[] {
  return Object.entries(value.grants).flatMap(([deploymentId, access]) =>
    access ? [{ deploymentId, access }] : [],
  )
}

/** The servers one may grant access to (not destroyed ones). */
function useServers(): { id: string; name: string }[] {
  const [servers, setServers] = useState<{ id: string; name: string }[]>([])
  useEffect(() => {
    call(api.api.deployments.$get({ query: { limit: '200' } }))
      .then((r) => setServers(r.deployments.filter((d) => d.status !== 'destroyed')))
      .catch(() => setServers([]))
  }, [])
  return servers
}

/** Every server or chosen ones, and for each chosen one view or operate (operators only). */
export function GrantsFieldset(props: {
  role: Role
  value: GrantsValue
  onChange: (value: GrantsValue) => void
  /** Distinguishes the radios of several fieldsets on one page. */
  name: string
}) {
  const t = useT()
  const servers = useServers()
  const { scope, grants } = props.value
  return (
    <fieldset>
      <legend>{t.inviteScope}</legend>
      <div className="radio-row">
        {(['all', 'granted'] as const).map((s) => (
          <label key={s}>
            <input
              type="radio"
              name={props.name}
              value={s}
              checked={scope === s}
              onChange={() => props.onChange({ scope: s, grants })}
            />{' '}
            {s === 'all' ? t.scopeAll : t.scopeGranted}
          </label>
        ))}
      </div>
      {scope === 'granted' && servers.length === 0 ? <p>{t.noServersYet}</p> : null}
      {scope === 'granted'
        ? servers.map((d) => (
            <SelectField
              key={d.id}
              label={d.name}
              name={`${props.name}-${d.id}`}
              value={grants[d.id] ?? ''}
              options={[
                { value: '', label: t.accessNone },
                { value: 'view', label: t.access.view },
                ...(props.role === 'operator'
                  ? [{ value: 'operate', label: t.access.operate }]
                  : []),
              ]}
              onChange={(v) =>
                props.onChange({ scope, grants: { ...grants, [d.id]: v as Access } })
              }
            />
          ))
        : null}
    </fieldset>
  )
}
