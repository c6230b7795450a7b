import type { MouseEvent, ReactNode } from 'react'
import { navigate } from '../router'

/** An in-app link: a real `<a href>` (so open-in-new-tab works) that routes without a reload. */
export function Link(props: {
  to: string
  children: ReactNode
  className?: string
  current?: boolean
}) {
  function onClick(e: MouseEvent<HTMLAnchorElement>) {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
    e.preventDefault()
    navigate(props.to)
  }
  return (
    <a
      href={props.to}
      className={props.className}
      aria-current={props.current ? 'page' : undefined}
      onClick={onClick}
    >
      {props.children}
    </a>
  )
}
