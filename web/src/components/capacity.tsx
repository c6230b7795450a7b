import { useEffect, useState } from 'react'
import { freeFigures, shortfalls, shortfallText, type Shortfall } from '../../../core/capacity'
import { api, ApiFailure, call, errorText } from '../api'
import { useT } from '../i18n'
import { Alert } from './field'

type CapacityView = Awaited<ReturnType<typeof readCapacity>>

function readCapacity() {
  return call(api.api.capacity.$get()).then((r) => r.capacity)
}

/** The shortfalls a refused deploy carries (409 insufficient_capacity), if that is what it is. */
export function refusedShortfalls(err: unknown): Shortfall[] | null {
  if (!(err instanceof ApiFailure) || err.code !== 'insufficient_capacity') return null
  const details = err.details as { shortfalls?: Shortfall[] } | undefined
  return Array.isArray(details?.shortfalls) ? details.shortfalls : null
}

/**
 * The node's free memory and the storage's free space, read by a runner, and whether a VM of this
 * size fits: said before the click. Asked again (after a pause) when the size changes; the server
 * reuses a runner's answer for a few seconds, so typing does not flood it. Unknown figures (no
 * runner online…) are explained and block nothing.
 */
export function CapacityPanel(props: { memoryMb: number; diskGb: number }) {
  const t = useT()
  const [view, setView] = useState<CapacityView | null>(null)
  const [failure, setFailure] = useState<string | null>(null)
  const { memoryMb, diskGb } = props

  useEffect(() => {
    let live = true
    const timer = setTimeout(() => {
      readCapacity()
        .then((v) => {
          if (!live) return
          setView(v)
          setFailure(null)
        })
        .catch((err: unknown) => live && setFailure(errorText(err)))
    }, 400)
    return () => {
      live = false
      clearTimeout(timer)
    }
  }, [memoryMb, diskGb])

  let body
  if (failure) {
    body = (
      <p className="help">
        {t.capacityUnknown} {failure}
      </p>
    )
  } else if (!view) {
    body = <p className="help">{t.capacityChecking}</p>
  } else if (!view.known) {
    body = (
      <p className="help">
        {t.capacityUnknown} {t.capacityReason(view.reason, view.runner, view.message)}
      </p>
    )
  } else {
    const f = freeFigures(view.capacity)
    const missing =
      Number.isFinite(memoryMb) && Number.isFinite(diskGb)
        ? shortfalls(view.capacity, { memoryMb, diskGb })
        : []
    body = (
      <>
        <p className="help">
          {t.capacityMemory(view.capacity.node, f.memoryFreeMiB, f.memoryTotalMiB)}{' '}
          {t.capacityDisk(view.capacity.storage.id, f.diskFreeGiB, f.diskTotalGiB)}
        </p>
        {missing.length > 0 ? (
          <Alert kind="error">
            {missing.map((s) => (
              <span key={s.kind} className="shortfall">
                {shortfallText(s, t.lang)}{' '}
              </span>
            ))}
          </Alert>
        ) : (
          <p className="help">{t.capacityFits}</p>
        )}
      </>
    )
  }
  return (
    <div className="capacity" aria-live="polite">
      <strong>{t.capacityTitle}</strong>
      {body}
    </div>
  )
}
