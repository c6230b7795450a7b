import { useEffect, useSyncExternalStore } from 'react'

/** A tiny history router: the dashboard has a handful of screens, no library needed. */
const listeners = new Set<() => void>()

function notify() {
  for (const l of listeners) l()
}
window.addEventListener('popstate', notify)

function subscribe(cb: () => void) {
  listeners.add(cb)
  return () => listeners.delete(cb)
}

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', path)
  else history.pushState(null, '', path)
  notify()
  if (!options.replace) {
    window.scrollTo(0, 0)
    // A new screen: move keyboard and screen-reader focus to its content, as a page load would.
    requestAnimationFrame(() => document.getElementById('main')?.focus({ preventScroll: true }))
  }
}

/** Sets the tab title for the current screen. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title
  }, [title])
}

export function usePath(): string {
  return useSyncExternalStore(subscribe, () => location.pathname)
}

/** The current query string, e.g. `?status=failed`, re-rendered when it changes. */
export function useSearch(): URLSearchParams {
  const search = useSyncExternalStore(subscribe, () => location.search)
  return new URLSearchParams(search)
}
