import { enAdmin } from './en/admin'
import { enApp } from './en/app'
import { enAlerts } from './en/alerts'
import { enBackups } from './en/backups'
import { enOperate } from './en/operate'
import { enSchedules } from './en/schedules'
import { enSnapshots } from './en/snapshots'
import { enChanges } from './en/changes'
import { enDeployments } from './en/deployments'
import { enPeople } from './en/people'

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
  ...enOperate,
  ...enSchedules,
  ...enSnapshots,
  ...enPeople,
  ...enChanges,
}

export type Dict = typeof en
