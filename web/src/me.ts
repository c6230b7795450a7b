import { createContext, useContext } from 'react'
import { allows, deploymentAccess, type Principal } from '../../core/people'

/** The signed-in account and what it may do, as /api/auth/me says. */
export interface Me extends Principal {
  id: string
  username: string
  secondFactor?: {
    enrolled: boolean
    methods?: { totp: boolean; passkey: boolean }
    pending: boolean
    at: number | null
    mustEnrol: boolean
  }
}

export const MeContext = createContext<Me | null>(null)

/**
 * What the signed-in account may do, so screens hide what it cannot (the worker decides
 * anyway, core/people.ts being the same rules on both sides).
 */
export function useCan() {
  const me = useContext(MeContext)
  return {
    me,
    admin: me !== null && allows(me, 'admin'),
    create: me !== null && allows(me, 'create'),
    operate: (deploymentId: string) =>
      me !== null && deploymentAccess(me, deploymentId) === 'operate',
  }
}
