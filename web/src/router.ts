import { useSyncExternalStore } from 'react'

/** A tiny history router: the dashboard has a handful of screens, no library needed. */
const listeners = new Set<() => void>()

function notify() {
  for (const l of listeners) l()
}
window.addEventListener('popstate', notify)

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', path)
  else history.pushState(null, '', path)
  notify()
}

export function usePath(): string {
  return useSyncExternalStore(
    (cb) => {
      listeners.add(cb)
      return () => listeners.delete(cb)
    },
    () => location.pathname,
  )
}
