import { enAdmin } from './en/admin'
import { enApp } from './en/app'
import { enAlerts } from './en/alerts'
import { enBackups } from './en/backups'
import { enChanges } from './en/changes'
import { enDeployments } from './en/deployments'

/**
 * English, the reference dictionary, in one part per area of the dashboard. French must have
 * every key of every part (each French part is typed by its English one).
 */
export const en = {
  ...enApp,
  ...enDeployments,
  ...enAdmin,
  ...enBackups,
  ...enAlerts,
  ...enChanges,
}

export type Dict = typeof en
