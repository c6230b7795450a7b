import { useCallback, useEffect, useRef, useState } from 'react'
import { errorText } from '../api'

/**
 * Loads `load()` now and again every `intervalMs` while the tab is visible (the list pages have no
 * socket of their own). Keeps the last good value when a refresh fails, and says why.
 */
export function usePoll<T>(load: () => Promise<T>, intervalMs: number) {
  const [data, setData] = useState<T | null>(null)
  const [error, setError] = useState<string | null>(null)
  const loadRef = useRef(load)
  loadRef.current = load

  const refresh = useCallback(async () => {
    try {
      setData(await loadRef.current())
      setError(null)
    } catch (err) {
      setError(errorText(err))
    }
  }, [])

  useEffect(() => {
    void refresh()
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void refresh()
    }, intervalMs)
    return () => clearInterval(timer)
  }, [refresh, intervalMs])

  return { data, error, refresh }
}
