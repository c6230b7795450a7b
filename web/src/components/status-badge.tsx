import { useT } from '../i18n'

/** Colour family of a deployment status, for the badge. */
function tone(status: string): 'ok' | 'busy' | 'bad' | 'off' {
  switch (status) {
    case 'ready':
      return 'ok'
    case 'failed':
      return 'bad'
    case 'cancelled':
    case 'stopped':
    case 'destroyed':
      return 'off'
    default:
      return 'busy'
  }
}

/** A deployment's status as a coloured pill, with its words (never colour alone). */
export function StatusBadge(props: { status: string }) {
  const t = useT()
  const label = (t.status as Record<string, string>)[props.status] ?? props.status
  return (
    <span className={`badge badge-${tone(props.status)}`} data-status={props.status}>
      {label}
    </span>
  )
}
