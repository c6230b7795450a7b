import { useState } from 'react'
import { api, ApiFailure, call } from '../api'
import { useT } from '../i18n'
import { navigate } from '../router'
import { ConfirmButton } from './confirm-button'
import { Field } from './field'

/**
 * "Restore into a new server": the backup becomes a new deployment (same game, settings and size,
 * a new VM and address, the name typed here), then its page opens.
 */
export function RestoreNewButton(props: {
  sourceId: string
  sourceName: string
  volid: string
  when: string
}) {
  const t = useT()
  const b = t.backups
  const [name, setName] = useState(`${props.sourceName} (restored)`.slice(0, 63))
  const [nameError, setNameError] = useState<string | undefined>(undefined)
  return (
    <ConfirmButton
      label={b.restoreNew}
      ariaLabel={b.restoreNewLabel(props.when)}
      title={b.restoreNewTitle(props.when)}
      confirmLabel={b.restoreNewConfirm}
      body={
        <>
          <p>{b.restoreNewBody}</p>
          <Field
            label={b.restoreNewName}
            name="name"
            value={name}
            maxLength={63}
            error={nameError}
            onChange={(v) => {
              setName(v)
              setNameError(undefined)
            }}
          />
        </>
      }
      onConfirm={async () => {
        try {
          const r = await call(
            api.api.deployments[':id'].backups['restore-new'].$post({
              param: { id: props.sourceId },
              json: { volid: props.volid, name },
            }),
          )
          navigate(`/deployments/${r.deployment.id}`)
        } catch (err) {
          if (err instanceof ApiFailure && err.fields.name) setNameError(err.fields.name)
          throw err
        }
      }}
    />
  )
}
